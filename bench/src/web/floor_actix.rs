//! The floor layer for actix-web 4: the least a cookie-session middleware can do there,
//! the physical reference for our `session_runtime::actix::SessionMiddleware`.
//!
//! The same work as the tower floor layer (`super::floor_layer`, whose docs list what it
//! leaves out), with the same [`LayerCodec`]s: decode the session from the `Cookie`
//! headers in `call`, put a [`FloorSession`] into the request's extensions for the
//! handler to move out, and on the response append `Set-Cookie` when the handler changed
//! it. The response future is hand-written (no boxing) and keeps the inner body type, and
//! the extractor's future is `Ready` (no boxing either).

use core::future::{ready, Future, Ready};
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::sync::{Arc, OnceLock};

use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderValue, COOKIE, SET_COOKIE};
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};
use pin_project_lite::pin_project;

use super::floor_layer::{FloorSession, LayerCodec};

/// actix-web middleware of the floor plumbing, with codec `C` (`App::wrap`).
pub struct FloorMiddleware<C> {
    codec: Arc<C>,
}

impl<C> FloorMiddleware<C> {
    /// A middleware sharing `codec` between all requests.
    pub fn new(codec: C) -> Self {
        Self {
            codec: Arc::new(codec),
        }
    }
}

impl<S, B, C> Transform<S, ServiceRequest> for FloorMiddleware<C>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    C: LayerCodec,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = FloorActixService<S, C>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(FloorActixService {
            service,
            codec: Arc::clone(&self.codec),
        }))
    }
}

/// The service made by [`FloorMiddleware`].
pub struct FloorActixService<S, C> {
    service: S,
    codec: Arc<C>,
}

impl<S, B, C> Service<ServiceRequest> for FloorActixService<S, C>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    C: LayerCodec,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = FloorActixFuture<S::Future, C>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let cookies = request.headers().get_all(COOKIE);
        let session = self.codec.load(cookies.map(HeaderValue::as_bytes));
        let (handle, back) = FloorSession::new(session);
        request.extensions_mut().insert(handle);
        FloorActixFuture {
            inner: self.service.call(request),
            back,
            codec: Arc::clone(&self.codec),
        }
    }
}

pin_project! {
    /// The response future of [`FloorActixService`].
    pub struct FloorActixFuture<F, C: LayerCodec> {
        #[pin]
        inner: F,
        back: Arc<OnceLock<C::Session>>,
        codec: Arc<C>,
    }
}

impl<F, B, C> Future for FloorActixFuture<F, C>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    C: LayerCodec,
{
    type Output = Result<ServiceResponse<B>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        if let Some(session) = this.back.get() {
            // An error becomes actix-web's `500` (never for the benchmark's bounded
            // session): the session must not look stored when it was not.
            let text = this
                .codec
                .set_cookie(session)
                .map_err(actix_web::error::ErrorInternalServerError)?;
            if let Some(text) = text {
                let value = HeaderValue::try_from(text)
                    .map_err(actix_web::error::ErrorInternalServerError)?;
                response.headers_mut().append(SET_COOKIE, value);
            }
        }
        Poll::Ready(Ok(response))
    }
}

/// The handler argument in actix-web: moves the session out of the request's extensions.
impl<S: 'static> FromRequest for FloorSession<S> {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let handle = request.extensions_mut().remove::<Self>();
        ready(
            handle
                .filter(|handle| handle.holds_session())
                .ok_or_else(|| {
                    actix_web::error::ErrorInternalServerError(
                        "no FloorMiddleware wraps this route, or the session was extracted twice",
                    )
                }),
        )
    }
}
