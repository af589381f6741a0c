//! actix-web 4 middleware and extractor (feature `actix`):
//! [`SessionMiddleware<T>`] loads and stores, [`RequestSession<T>`] is the
//! handler argument.
//!
//! The middleware puts a [`SessionSlot<T>`] into the request's extensions; the
//! handler takes the session from it, and when the response comes back the
//! middleware appends the session's `Set-Cookie` if one is due (changed,
//! renewed, cleared, re-keyed or idle-refreshed). Routes that never use the
//! session cost neither a MAC check nor a `Set-Cookie`; other `Set-Cookie`
//! headers are kept. A response that gets the session's `Set-Cookie` is marked
//! so that no shared cache stores it (`Cache-Control: private` by default, see
//! [`CacheProtection`](crate::CacheProtection)).
//!
//! ```
//! use actix_web::{web, App, HttpResponse};
//! use serde::{Deserialize, Serialize};
//! use session_runtime::actix::SessionMiddleware;
//! use session_runtime::{CookieSession, Key, RequestSession, SessionConfig};
//!
//! #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
//! #[session(name = "__Host-visits", version = 1)]
//! struct Visits {
//!     count: u32,
//! }
//!
//! async fn count(mut visits: RequestSession<Visits>) -> HttpResponse {
//!     let count = *visits.count() + 1;
//!     visits.set_count(count);
//!     HttpResponse::Ok().body(format!("visit number {count}"))
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let config = SessionConfig::<Visits>::new(Key::from_secret(&[7; 32]).unwrap()).unwrap();
//! // `HttpServer::new(move || App::new().wrap(...)...)` in a real app; built
//! // once, the config is shared by every worker (cloning it is cheap).
//! let app = actix_web::test::init_service(
//!     App::new()
//!         .wrap(SessionMiddleware::new(config))
//!         .route("/", web::get().to(count)),
//! )
//! .await;
//! let response =
//!     actix_web::test::call_service(&app, actix_web::test::TestRequest::get().to_request()).await;
//! let set_cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap();
//! assert!(set_cookie.starts_with("__Host-visits="));
//! # });
//! ```
//!
//! # Testing a handler
//!
//! With the `testing` feature (in `[dev-dependencies]`), the same helpers as
//! for axum work with actix-web's test service (its `http` 0.2 headers are
//! converted by bytes):
//!
#![cfg_attr(feature = "testing", doc = "```")]
#![cfg_attr(not(feature = "testing"), doc = "```ignore")]
//! # use serde::{Deserialize, Serialize};
//! # #[derive(session_runtime::CookieSession, Serialize, Deserialize, Default, Debug)]
//! # #[session(name = "__Host-visits", version = 1)]
//! # struct Visits { count: u32 }
//! use actix_web::{test, web, App, HttpResponse};
//! use session_runtime::actix::{RequestSession, SessionMiddleware};
//! use session_runtime::testing::{self, CookieJar};
//!
//! async fn count(mut visits: RequestSession<Visits>) -> HttpResponse {
//!     let count = *visits.count() + 1;
//!     visits.set_count(count);
//!     HttpResponse::Ok().body(format!("visit number {count}"))
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let (builder, _clock) = testing::builder::<Visits>();
//! let config = builder.build().unwrap();
//! let app = test::init_service(
//!     App::new().wrap(SessionMiddleware::new(config.clone())).route("/", web::get().to(count)),
//! )
//! .await;
//! let cookie = testing::cookie(&config, &Visits { count: 41 });
//! let request = test::TestRequest::get().insert_header(("cookie", cookie.as_bytes())).to_request();
//! let response = test::call_service(&app, request).await;
//! let mut jar = CookieJar::new();
//! for set_cookie in response.headers().get_all("set-cookie") {
//!     jar.apply_one(set_cookie.to_str().unwrap());
//! }
//! assert_eq!(*config.load(&jar.request_headers()).count(), 42);
//! # });
//! ```
//!
//! Without the middleware the extractor fails with [`SessionUnavailable`]:
//! `500 Internal Server Error` whose body says what to add (also logged as an
//! error through `tracing`, which actix-web forwards to `log` loggers).
//! `Option<RequestSession<T>>` gives `None` instead.
//!
//! A `middleware::from_fn` or `wrap_fn` guard may hold the session while it
//! calls the handler: both see the same session, and the changes of both are
//! stored once ([`RequestSession`] explains the rules; a guard that changes the
//! session calls `RequestSession::publish(&mut session)` before `next.call(req)`).
//! [`CsrfMiddleware`] checks CSRF tokens.

use core::future::{ready, Future, Ready};
use core::pin::Pin;
use core::task::{ready, Context, Poll};
use std::borrow::Cow;
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{self as actix_header, HeaderValue as ActixHeaderValue};
use actix_web::http::StatusCode;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use pin_project_lite::pin_project;

use super::actix_csrf::CsrfMiddlewareService;
use super::cookies::{Cookies, Values};
use super::error::SessionUnavailable;
use super::extract::{extract, take_logged, Extraction};
use super::slot::SessionSlot;
use crate::response::{Field, InvalidValue, ResponseHeaders};

pub use super::actix_csrf::CsrfMiddleware;
#[cfg(feature = "dbsc")]
pub use super::actix_dbsc::{DbscMiddleware, RequireDeviceBound};
pub use super::handle::RequestSession;
pub use crate::prelude::*;

/// actix-web middleware that loads and stores sessions of type `T`: add it with
/// `App::wrap` (or on a scope), once per session type.
pub struct SessionMiddleware<T: CookieSession> {
    pub(super) config: SessionConfig<T>,
}

impl<T: CookieSession> SessionMiddleware<T> {
    /// A middleware that loads and stores sessions with `config` (built once
    /// at start-up and cloned into each worker's `App`; cloning is cheap).
    pub fn new(config: SessionConfig<T>) -> Self {
        SessionMiddleware { config }
    }
}

impl<T: CookieSession> Clone for SessionMiddleware<T> {
    fn clone(&self) -> Self {
        SessionMiddleware {
            config: self.config.clone(),
        }
    }
}

impl<T: CookieSession> core::fmt::Debug for SessionMiddleware<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionMiddleware")
            .field("config", &self.config)
            .finish()
    }
}

impl<S, B, T> Transform<S, ServiceRequest> for SessionMiddleware<T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    T: CookieSession,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = SessionMiddlewareService<S, T>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionMiddlewareService {
            service,
            config: self.config.clone(),
        }))
    }
}

/// The service made by [`SessionMiddleware`].
pub struct SessionMiddlewareService<S, T: CookieSession> {
    pub(super) service: S,
    pub(super) config: SessionConfig<T>,
}

impl<S, T: CookieSession> core::fmt::Debug for SessionMiddlewareService<S, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionMiddlewareService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S, B, T> Service<ServiceRequest> for SessionMiddlewareService<S, T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    T: CookieSession,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = ResponseFuture<S::Future, T>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let slot = if request.extensions().contains::<SessionSlot<T>>() {
            None // an outer middleware for the same session type stores it
        } else {
            // actix-web's own (`http` 0.2) values, kept as they are.
            let cookies = request.headers().get_all(actix_header::COOKIE).cloned();
            let cookies = Cookies::Actix(Values::collect(cookies));
            let slot = SessionSlot::with_cookies(self.config.clone(), cookies);
            request.extensions_mut().insert(slot.clone());
            Some(slot)
        };
        ResponseFuture {
            inner: self.service.call(request),
            slot,
        }
    }
}

pin_project! {
    /// The response future of [`SessionMiddlewareService`]: the inner
    /// service's response with the session's `Set-Cookie` appended when one
    /// is due, or a `500` when the session could not be stored.
    pub struct ResponseFuture<F, T: CookieSession> {
        #[pin]
        inner: F,
        slot: Option<SessionSlot<T>>,
    }
}

impl<F, B, T> Future for ResponseFuture<F, T>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    T: CookieSession,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        let Some(slot) = this.slot.take() else {
            return Poll::Ready(Ok(response.map_into_left_body()));
        };
        // Written straight into actix-web's map, caching fields included
        // (storing a session rewrites them, `cache.rs`).
        Poll::Ready(Ok(match slot.finish_into_any(response.headers_mut()) {
            Ok(_) => response.map_into_left_body(),
            // Already logged. No cookie, and the request fails instead of
            // pretending the session was saved; a response that already is a
            // 500 (e.g. the extractor's own, whose body says what to fix) is
            // kept.
            Err(_) if response.status() == StatusCode::INTERNAL_SERVER_ERROR => {
                response.map_into_left_body()
            }
            Err(err) => {
                // Empty, as the tower adapter's: the message (already
                // logged) is for the operator, not the user. Tests and
                // outer middleware find it as a response extension.
                let mut failure = HttpResponse::InternalServerError().finish();
                failure.extensions_mut().insert(err);
                response.into_response(failure).map_into_right_body()
            }
        }))
    }
}

/// The store path writes actix-web's response headers directly.
impl ResponseHeaders for actix_header::HeaderMap {
    fn append(&mut self, field: Field, value: String) -> Result<(), InvalidValue> {
        let value = ActixHeaderValue::try_from(value).map_err(|_| InvalidValue)?;
        actix_header::HeaderMap::append(self, actix_name(field), value);
        Ok(())
    }

    fn replace(&mut self, field: Field, value: Cow<'static, str>) -> Result<(), InvalidValue> {
        let value = match value {
            // Only the store path's constants are borrowed (`cache.rs`).
            Cow::Borrowed(text) => ActixHeaderValue::from_static(text),
            Cow::Owned(text) => ActixHeaderValue::try_from(text).map_err(|_| InvalidValue)?,
        };
        self.insert(actix_name(field), value);
        Ok(())
    }

    fn lines(&self, field: Field) -> impl Iterator<Item = &[u8]> {
        self.get_all(actix_name(field))
            .map(ActixHeaderValue::as_bytes)
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.keys().map(actix_header::HeaderName::as_str)
    }
}

/// actix-web's name of a field (constants: a name made at run time is
/// parsed each time).
fn actix_name(field: Field) -> actix_header::HeaderName {
    use actix_header::HeaderName;
    const CDN: HeaderName = HeaderName::from_static(Field::CdnCacheControl.name());
    const SURROGATE: HeaderName = HeaderName::from_static(Field::SurrogateControl.name());
    #[cfg(feature = "dbsc")]
    const REGISTRATION: HeaderName = HeaderName::from_static(Field::SessionRegistration.name());
    match field {
        Field::SetCookie => actix_header::SET_COOKIE,
        Field::CacheControl => actix_header::CACHE_CONTROL,
        Field::CdnCacheControl => CDN,
        Field::SurrogateControl => SURROGATE,
        #[cfg(feature = "dbsc")]
        Field::SessionRegistration => REGISTRATION,
    }
}

/// The extractor's future when it must await (boxed; actix-web's futures
/// need not be `Send`).
type Awaiting<T> = dyn Future<Output = Result<RequestSession<T>, SessionUnavailable>> + 'static;

/// The future of the [`RequestSession`] extractor: ready on its first poll,
/// unless the request's first use of the session awaits an asynchronous
/// revocation check (then that check, boxed).
pub struct ExtractFuture<T: CookieSession>(Extraction<T, Awaiting<T>>);

impl<T: CookieSession> Future for ExtractFuture<T> {
    type Output = Result<RequestSession<T>, SessionUnavailable>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().0).poll(cx)
    }
}

impl<T: CookieSession> FromRequest for RequestSession<T> {
    type Error = SessionUnavailable;
    type Future = ExtractFuture<T>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let extensions = request.extensions();
        ExtractFuture(extract(extensions.get::<SessionSlot<T>>(), |slot| {
            Box::pin(take_logged(slot)) as Pin<Box<Awaiting<T>>>
        }))
    }
}

impl ResponseError for SessionUnavailable {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::InternalServerError()
            .content_type("text/plain; charset=utf-8")
            .body(self.to_string())
    }
}

impl<T: CsrfSession> SessionMiddleware<T> {
    /// This middleware with the CSRF check of [`CsrfMiddleware`] inside it:
    /// one `wrap` that loads and stores the session and refuses unsafe
    /// requests without its token, in the only order that works.
    pub fn with_csrf(self) -> SessionWithCsrf<T> {
        SessionWithCsrf {
            session: self,
            csrf: CsrfMiddleware::new(),
        }
    }
}

/// [`SessionMiddleware`] with [`CsrfMiddleware`] inside it, made by
/// [`SessionMiddleware::with_csrf`].
pub struct SessionWithCsrf<T: CsrfSession> {
    session: SessionMiddleware<T>,
    csrf: CsrfMiddleware<T>,
}

impl<T: CsrfSession> SessionWithCsrf<T> {
    /// The largest form body read to find the token (default 64 KiB).
    pub fn form_limit(mut self, bytes: usize) -> Self {
        self.csrf = self.csrf.form_limit(bytes);
        self
    }
}

impl<T: CsrfSession> Clone for SessionWithCsrf<T> {
    fn clone(&self) -> Self {
        SessionWithCsrf {
            session: self.session.clone(),
            csrf: self.csrf.clone(),
        }
    }
}

impl<T: CsrfSession> core::fmt::Debug for SessionWithCsrf<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionWithCsrf")
            .field("session", &self.session)
            .field("csrf", &self.csrf)
            .finish()
    }
}

impl<S, B, T> actix_web::dev::Transform<S, ServiceRequest> for SessionWithCsrf<T>
where
    S: Service<
            ServiceRequest,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        > + 'static,
    B: MessageBody + 'static,
    T: CsrfSession,
{
    type Response = actix_web::dev::ServiceResponse<
        actix_web::body::EitherBody<actix_web::body::EitherBody<B>>,
    >;
    type Error = actix_web::Error;
    type Transform = SessionMiddlewareService<CsrfMiddlewareService<S, T>, T>;
    type InitError = ();
    type Future = core::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let csrf = CsrfMiddlewareService {
            service: Rc::new(service),
            settings: self.csrf.settings,
        };
        core::future::ready(Ok(SessionMiddlewareService {
            service: csrf,
            config: self.session.config.clone(),
        }))
    }
}
