//! The floor layer: the least a cookie-session layer can do in axum/tower, the physical
//! reference for our `SessionLayer` in the HTTP benchmark.
//!
//! Per request it reads the `Cookie` headers, verifies and decodes the session with the
//! floor codec (`crate::floor::Floor`: postcard, one pre-keyed HMAC-SHA256, base64url),
//! hands the value to the handler through the request's extensions, and when the
//! response comes back encodes, signs and appends `Set-Cookie` if the handler changed the
//! session. Nothing else: no header, key id, timestamps or name binding in the cookie, no
//! planted-cookie defence (the first cookie of the name is taken), no "changed but equal"
//! check, no guard-middleware semantics, no error reporting beyond a `500`. The gap
//! between this layer and ours is the price of those features plus whatever our
//! plumbing costs on top.
//!
//! What it costs per request beyond the codec, each chosen as the cheapest that still
//! makes a layer (the handler mutates a session and returns; the layer writes the cookie):
//! - one allocation shared by the handler's [`FloorSession`] and the response future,
//!   an `Arc<OnceLock<_>>` through which a changed session comes back (an atomic
//!   compare-and-swap when the handle is dropped, an atomic load in the future; no
//!   mutex, no copy of the session);
//! - one extension insert (boxed by `http::Extensions`) and one removal, which moves the
//!   value out (no clone);
//! - one `Arc` clone of the shared codec for the response future (axum also clones the
//!   whole layered service per request, so the codec is behind an `Arc`, as our config
//!   is);
//! - the decode is eager (in `call`): every route that is benchmarked uses the session,
//!   and it borrows the `Cookie` header instead of keeping a copy of it until the
//!   handler asks.
//!
//! The "changed" signal is a `bool` in the handle, set by `DerefMut`.
//!
//! The plumbing is generic over a [`LayerCodec`]: [`FloorCodec`] is the floor;
//! [`OurCodec`] runs our codec (`SessionConfig::load_cookies` and
//! `set_cookie_string`, a `Session<T>` in the handle) in the same plumbing, the
//! benchmark's `hybrid` apps, which split what our layer adds over the floor into codec
//! and plumbing.

use core::future::Future;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::sync::{Arc, OnceLock};

use axum_core::extract::FromRequestParts;
use http::header::{COOKIE, SET_COOKIE};
use http::request::Parts;
use http::{HeaderValue, Request, Response, StatusCode};
use pin_project_lite::pin_project;
use serde::de::DeserializeOwned;
use serde::Serialize;
use session_runtime::{CookieSession, Session, SessionConfig};
use tower_layer::Layer;
use tower_service::Service;

use crate::floor::{CookieSpec, Floor};
use crate::PeerError;

/// What a floor layer loads and stores with.
pub trait LayerCodec: Send + Sync + 'static {
    /// What the handler gets.
    type Session: Send + Sync + 'static;

    /// The session of a request's `Cookie` header values (a fresh one when there is no
    /// valid cookie).
    fn load<'a>(&self, cookie_headers: impl Iterator<Item = &'a [u8]> + 'a) -> Self::Session;

    /// The `Set-Cookie` text for a changed session (`None`: nothing to send).
    fn set_cookie(&self, session: &Self::Session) -> Result<Option<String>, PeerError>;
}

/// The floor codec for session type `T` in cookie `C`.
pub struct FloorCodec<T, C> {
    codec: Floor,
    session: PhantomData<fn() -> (T, C)>,
}

impl<T, C> FloorCodec<T, C> {
    /// A codec keyed with `key` (the HMAC key itself).
    pub fn new(key: &[u8]) -> Self {
        Self {
            codec: Floor::new(key),
            session: PhantomData,
        }
    }
}

impl<T, C> LayerCodec for FloorCodec<T, C>
where
    T: Serialize + DeserializeOwned + Default + Send + Sync + 'static,
    C: CookieSpec + 'static,
{
    type Session = T;

    fn load<'a>(&self, cookie_headers: impl Iterator<Item = &'a [u8]> + 'a) -> T {
        // A missing or refused cookie gives a default session, as in every session layer.
        self.codec
            .load_cookies::<C, T>(cookie_headers)
            .unwrap_or_default()
    }

    fn set_cookie(&self, session: &T) -> Result<Option<String>, PeerError> {
        Ok(Some(self.codec.set_cookie::<C, T>(session)?))
    }
}

/// Our codec in the floor's plumbing (the `hybrid` apps): loads a `Session<T>` with
/// `SessionConfig::load_cookies`, writes it with `set_cookie_string`, which
/// is what our adapters call (through `store`/`set_cookie`, which add the `HeaderValue`
/// conversion the floor's plumbing makes too).
pub struct OurCodec<T: CookieSession>(pub SessionConfig<T>);

impl<T: CookieSession + Send + Sync> LayerCodec for OurCodec<T> {
    type Session = Session<T>;

    fn load<'a>(&self, cookie_headers: impl Iterator<Item = &'a [u8]> + 'a) -> Session<T> {
        self.0.load_cookies(cookie_headers)
    }

    fn set_cookie(&self, session: &Session<T>) -> Result<Option<String>, PeerError> {
        Ok(self.0.set_cookie(session)?)
    }
}

/// The session a floor layer lends to the handler: dereferences to the session; the
/// first mutable access marks it changed, and dropping a changed handle hands the session
/// back to the layer, which writes the cookie.
pub struct FloorSession<S> {
    /// `None` only in a clone (see `Clone`).
    value: Option<S>,
    changed: bool,
    back: Arc<OnceLock<S>>,
}

impl<S> FloorSession<S> {
    /// The handle for `value`, and the cell through which the layer gets it back.
    pub fn new(value: S) -> (Self, Arc<OnceLock<S>>) {
        let back = Arc::new(OnceLock::new());
        let handle = FloorSession {
            value: Some(value),
            changed: false,
            back: Arc::clone(&back),
        };
        (handle, back)
    }

    /// Whether this handle holds the session (a clone does not).
    pub(crate) fn holds_session(&self) -> bool {
        self.value.is_some()
    }
}

/// `http::Extensions` requires `Clone` of everything it holds; the session moves to one
/// handler only, so a clone holds no session and the extractors refuse it.
impl<S> Clone for FloorSession<S> {
    fn clone(&self) -> Self {
        FloorSession {
            value: None,
            changed: false,
            back: Arc::clone(&self.back),
        }
    }
}

impl<S> Deref for FloorSession<S> {
    type Target = S;

    fn deref(&self) -> &S {
        self.value
            .as_ref()
            .expect("extracted handles hold the session")
    }
}

impl<S> DerefMut for FloorSession<S> {
    fn deref_mut(&mut self) -> &mut S {
        self.changed = true;
        self.value
            .as_mut()
            .expect("extracted handles hold the session")
    }
}

impl<S> Drop for FloorSession<S> {
    fn drop(&mut self) {
        if self.changed {
            if let Some(value) = self.value.take() {
                let _ = self.back.set(value);
            }
        }
    }
}

/// The tower [`Layer`] of the floor plumbing, with codec `C`.
pub struct FloorLayer<C> {
    codec: Arc<C>,
}

impl<C> FloorLayer<C> {
    /// A layer sharing `codec` between all requests.
    pub fn new(codec: C) -> Self {
        Self {
            codec: Arc::new(codec),
        }
    }
}

impl<C> Clone for FloorLayer<C> {
    fn clone(&self) -> Self {
        Self {
            codec: Arc::clone(&self.codec),
        }
    }
}

impl<S, C> Layer<S> for FloorLayer<C> {
    type Service = FloorService<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        FloorService {
            inner,
            codec: Arc::clone(&self.codec),
        }
    }
}

/// The [`Service`] made by [`FloorLayer`].
pub struct FloorService<S, C> {
    inner: S,
    codec: Arc<C>,
}

impl<S: Clone, C> Clone for FloorService<S, C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            codec: Arc::clone(&self.codec),
        }
    }
}

impl<S, C, ReqBody, ResBody> Service<Request<ReqBody>> for FloorService<S, C>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    C: LayerCodec,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = FloorFuture<S::Future, C>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let cookies = request.headers().get_all(COOKIE).iter();
        let session = self.codec.load(cookies.map(HeaderValue::as_bytes));
        let (handle, back) = FloorSession::new(session);
        request.extensions_mut().insert(handle);
        FloorFuture {
            inner: self.inner.call(request),
            back,
            codec: Arc::clone(&self.codec),
        }
    }
}

pin_project! {
    /// The response future of [`FloorService`]: the inner response, with the session's
    /// `Set-Cookie` appended when the handler changed it.
    pub struct FloorFuture<F, C: LayerCodec> {
        #[pin]
        inner: F,
        back: Arc<OnceLock<C::Session>>,
        codec: Arc<C>,
    }
}

impl<F, C, ResBody, E> Future for FloorFuture<F, C>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    C: LayerCodec,
    ResBody: Default,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        if let Some(session) = this.back.get() {
            match set_cookie_header(this.codec.as_ref(), session) {
                Ok(Some(value)) => {
                    response.headers_mut().append(SET_COOKIE, value);
                }
                Ok(None) => {}
                // Never for the benchmark's bounded session; a layer must not claim
                // the session was stored when it was not.
                Err(_) => {
                    response = Response::new(ResBody::default());
                    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                }
            }
        }
        Poll::Ready(Ok(response))
    }
}

/// The `Set-Cookie` header value for a changed session.
fn set_cookie_header<C: LayerCodec>(
    codec: &C,
    session: &C::Session,
) -> Result<Option<HeaderValue>, PeerError> {
    match codec.set_cookie(session)? {
        Some(text) => Ok(Some(HeaderValue::try_from(text)?)),
        None => Ok(None),
    }
}

/// The handler argument in axum: moves the session out of the request's extensions.
impl<St, S> FromRequestParts<St> for FloorSession<S>
where
    St: Send + Sync,
    S: Send + Sync + 'static,
{
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _state: &St) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .remove::<Self>()
            .filter(FloorSession::holds_session)
            .ok_or((
                StatusCode::INTERNAL_SERVER_ERROR,
                "no FloorLayer wraps this route, or the session was extracted twice",
            ))
    }
}
