//! A tower [`Layer`] for typed cookie sessions (feature `tower`), for axum or
//! any other tower/hyper service.
//!
//! [`SessionLayer`] puts a [`SessionSlot<T>`] into every request's extensions;
//! the handler takes the session from it (in axum with the
//! [`RequestSession<T>`](crate::RequestSession) extractor, see
//! module `axum`), and when the response comes back the layer appends the
//! session's `Set-Cookie` if one is due: the session changed, was
//! [renewed](crate::Session::renew), [cleared](crate::Session::clear), verified
//! with a previous key (re-keyed) or is due for its idle refresh. Routes that
//! never use the session cost neither a MAC check nor a `Set-Cookie`. Other
//! `Set-Cookie` headers on the response are kept: the session's is appended,
//! and the response is then marked so that no shared cache stores it
//! (`Cache-Control: private` by default, see [`CacheProtection`](crate::CacheProtection)).
//!
//! ```
//! use axum::{routing::get, Router};
//! use serde::{Deserialize, Serialize};
//! use session_runtime::tower::SessionLayer;
//! use session_runtime::{CookieSession, Key, RequestSession, SessionConfig};
//! use tower::ServiceExt; // oneshot
//!
//! #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
//! #[session(name = "__Host-visits", version = 1)]
//! struct Visits {
//!     count: u32,
//! }
//!
//! async fn count(mut visits: RequestSession<Visits>) -> String {
//!     let count = *visits.count() + 1;
//!     visits.set_count(count);
//!     format!("visit number {count}")
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let config = SessionConfig::<Visits>::new(Key::from_secret(&[7; 32]).unwrap()).unwrap();
//! let app = Router::new()
//!     .route("/", get(count))
//!     .route("/health", get(|| async { "ok" })) // never touches the session
//!     .layer(SessionLayer::new(config));
//!
//! let request = || http::Request::get("/").body(axum::body::Body::empty()).unwrap();
//! let response = app.clone().oneshot(request()).await.unwrap();
//! let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
//! assert!(set_cookie.starts_with("__Host-visits="));
//!
//! let health = http::Request::get("/health").body(axum::body::Body::empty()).unwrap();
//! let response = app.oneshot(health).await.unwrap();
//! assert!(response.headers().get("set-cookie").is_none());
//! # }
//! ```
//!
//! Without axum, any `Service<http::Request<_>>` works; the handler finds the
//! [`SessionSlot<T>`] in the request's extensions:
//!
//! ```
//! # use serde::{Deserialize, Serialize};
//! # use session_runtime::{CookieSession, Key, SessionConfig};
//! # #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
//! # #[session(name = "__Host-visits", version = 1)]
//! # struct Visits { count: u32 }
//! use std::convert::Infallible;
//! use session_runtime::{adapter::SessionSlot, tower::SessionLayer};
//! use tower::{service_fn, Layer, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! # let config = SessionConfig::<Visits>::new(Key::from_secret(&[7; 32]).unwrap()).unwrap();
//! let service = SessionLayer::new(config).layer(service_fn(
//!     |request: http::Request<String>| async move {
//!         let slot = request.extensions().get::<SessionSlot<Visits>>().unwrap();
//!         let count = slot
//!             .with(|visits| {
//!                 let count = *visits.count() + 1;
//!                 visits.set_count(count);
//!                 count
//!             })
//!             .unwrap();
//!         Ok::<_, Infallible>(http::Response::new(format!("visit number {count}")))
//!     },
//! ));
//! let response = service.oneshot(http::Request::new(String::new())).await.unwrap();
//! assert_eq!(response.body(), "visit number 1");
//! assert!(response.headers()["set-cookie"].to_str().unwrap().starts_with("__Host-visits="));
//! # }
//! ```

use core::future::Future;
use core::pin::Pin;
use core::task::{ready, Context, Poll};

use http::header::COOKIE;
use http::{Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::error::{FinishError, FinishErrorKind};
use super::slot::SessionSlot;
use crate::config::SessionConfig;
use crate::session_type::CookieSession;
use crate::store::StoreError;

#[cfg(feature = "dbsc")]
pub use super::tower_dbsc::{
    DbscFuture, DbscLayer, DbscService, RequireDeviceBound, RequireDeviceBoundService,
};

/// A [`Layer`] that loads and stores sessions of type `T`; see the
/// [module docs](self). Cloning it is cheap (it holds the shared config).
///
/// Add one layer per session type. If the same session type is layered twice,
/// the inner layer sees the outer one's slot and stays out of the way, so the
/// cookie is written once.
pub struct SessionLayer<T: CookieSession> {
    config: SessionConfig<T>,
}

impl<T: CookieSession> SessionLayer<T> {
    /// A layer that loads and stores sessions with `config` (built once at
    /// start-up; the keys, timeouts and attributes are shared by all requests).
    pub fn new(config: SessionConfig<T>) -> Self {
        SessionLayer { config }
    }
}

impl<T: CookieSession> Clone for SessionLayer<T> {
    fn clone(&self) -> Self {
        SessionLayer {
            config: self.config.clone(),
        }
    }
}

impl<T: CookieSession> core::fmt::Debug for SessionLayer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionLayer")
            .field("config", &self.config)
            .finish()
    }
}

impl<S, T: CookieSession> Layer<S> for SessionLayer<T> {
    type Service = SessionService<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The [`Service`] made by [`SessionLayer`].
pub struct SessionService<S, T: CookieSession> {
    inner: S,
    config: SessionConfig<T>,
}

impl<S: Clone, T: CookieSession> Clone for SessionService<S, T> {
    fn clone(&self) -> Self {
        SessionService {
            inner: self.inner.clone(),
            config: self.config.clone(),
        }
    }
}

impl<S: core::fmt::Debug, T: CookieSession> core::fmt::Debug for SessionService<S, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionService")
            .field("inner", &self.inner)
            .field("config", &self.config)
            .finish()
    }
}

impl<S, T, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S, T>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    T: CookieSession + Send + Sync,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, T>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let slot = if request.extensions().get::<SessionSlot<T>>().is_some() {
            None // an outer layer for the same session type stores it
        } else {
            let cookies = request.headers().get_all(COOKIE).iter().cloned();
            let slot = SessionSlot::new(self.config.clone(), cookies);
            request.extensions_mut().insert(slot.clone());
            Some(slot)
        };
        ResponseFuture {
            inner: self.inner.call(request),
            slot,
        }
    }
}

pin_project! {
    /// The response future of [`SessionService`]: the inner service's
    /// response with the session's `Set-Cookie` appended when one is due.
    pub struct ResponseFuture<F, T: CookieSession> {
        #[pin]
        inner: F,
        slot: Option<SessionSlot<T>>,
    }
}

impl<F, T, ResBody, E> Future for ResponseFuture<F, T>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    T: CookieSession,
    ResBody: Default,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        if let Some(slot) = this.slot.take() {
            if let Err(err) = slot.finish_into(response.headers_mut()) {
                if response.status() == StatusCode::INTERNAL_SERVER_ERROR {
                    // Already a 500 (e.g. the extractor's own, whose body says
                    // what to fix): keep it, without a cookie.
                    response.extensions_mut().insert(err);
                } else {
                    response = finish_failure(err);
                }
            }
        }
        Poll::Ready(Ok(response))
    }
}

/// The session could not be stored (see [`FinishError`], already logged): the
/// handler's response is replaced by an empty `500` carrying the error as a
/// response extension (and, for a [`StoreError`], a [`SessionStoreFailed`]),
/// rather than reporting success while the browser keeps the old session.
fn finish_failure<B: Default>(err: FinishError) -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    if let FinishErrorKind::Store(store) = err.kind() {
        response
            .extensions_mut()
            .insert(SessionStoreFailed(err.message().to_owned(), store.clone()));
    }
    response.extensions_mut().insert(err);
    response
}

/// Response extension set by [`SessionLayer`] on the `500` that replaces a
/// response whose session could not be stored. This only happens when a
/// hand-written `MaxEncodedLen`/`CookieSession` impl understates its size (the
/// derive proves the bound); an outer layer can log it.
#[derive(Debug, Clone)]
pub struct SessionStoreFailed(String, StoreError);

impl SessionStoreFailed {
    /// What went wrong.
    pub fn error(&self) -> &StoreError {
        &self.1
    }

    /// A one-line description for logs.
    pub fn message(&self) -> &str {
        &self.0
    }
}
