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

use core::future::Future;
use core::pin::Pin;
use std::rc::Rc;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, Service, ServiceRequest};
use actix_web::http::header::{self as actix_header, HeaderValue as ActixHeaderValue};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};

use super::actix_csrf::CsrfMiddlewareService;
use super::actix_service::{actix_middleware, Inner, Reply};
use super::error::SessionUnavailable;
use super::slot::{extract, SessionSlot};

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

actix_middleware!(SessionMiddleware => SessionMiddlewareService, |this, service| {
    SessionMiddlewareService {
        service,
        config: this.config.clone(),
    }
});

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

impl<S, T: CookieSession> SessionMiddlewareService<S, T> {
    fn handle<B: MessageBody + 'static>(&self, request: ServiceRequest) -> Reply<B>
    where
        S: Inner<B>,
    {
        if request.extensions().contains::<SessionSlot<T>>() {
            // An outer middleware for the same session type stores it.
            let response = self.service.call(request);
            return Box::pin(async move { Ok(response.await?.map_into_left_body()) });
        }
        // actix-web 4 uses `http` 0.2 types; the bytes are the same.
        let cookies = request
            .headers()
            .get_all(actix_header::COOKIE)
            .filter_map(|value| http::HeaderValue::from_bytes(value.as_bytes()).ok())
            .collect();
        let slot = SessionSlot::new(self.config.clone(), cookies);
        request.extensions_mut().insert(slot.clone());
        let response = self.service.call(request);
        Box::pin(async move {
            let mut response = response.await?;
            // The shared finish path writes into an `http` 1.x map (actix-web
            // 4 uses `http` 0.2 types; the bytes are the same). It gets the
            // response's caching fields too: storing a session rewrites them
            // (`cache.rs`), and they go back with the `Set-Cookie`.
            let mut set_cookie = caching_fields(response.headers());
            match slot.finish_into(&mut set_cookie) {
                Ok(_) => {
                    let headers = response.headers_mut();
                    // `Set-Cookie`, and with DBSC `Secure-Session-Registration`;
                    // the caching fields are put back below, in one piece.
                    for (name, value) in &set_cookie {
                        if crate::cache::FIELDS.contains(&name.as_str()) {
                            continue;
                        }
                        let name = actix_header::HeaderName::from_bytes(name.as_str().as_bytes())
                            .expect("a valid http::HeaderName is a valid actix HeaderName");
                        let value = ActixHeaderValue::from_bytes(value.as_bytes())
                            .expect("a valid http::HeaderValue is a valid actix HeaderValue");
                        headers.append(name, value);
                    }
                    if set_cookie.contains_key(http::header::SET_COOKIE) {
                        restore_caching_fields(&set_cookie, headers);
                    }
                    Ok(response.map_into_left_body())
                }
                // Already logged. No cookie, and the request fails instead of
                // pretending the session was saved.
                Err(err) if response.status() == StatusCode::INTERNAL_SERVER_ERROR => {
                    // Already a 500 (e.g. the extractor's own, whose body says
                    // what to fix): keep it, without a cookie.
                    let _ = err;
                    Ok(response.map_into_left_body())
                }
                Err(err) => {
                    // Empty, as the tower adapter's: the message (already
                    // logged) is for the operator, not the user. Tests and
                    // outer middleware find it as a response extension.
                    let mut failure = HttpResponse::InternalServerError().finish();
                    failure.extensions_mut().insert(err);
                    Ok(response.into_response(failure).map_into_right_body())
                }
            }
        })
    }
}

/// The response's caching fields (`Cache-Control` and the CDN-targeted
/// ones), copied into an `http` 1.x map for the shared store path.
fn caching_fields(response: &actix_header::HeaderMap) -> http::HeaderMap {
    let mut fields = http::HeaderMap::new();
    for name in crate::cache::FIELDS {
        for value in response.get_all(name) {
            if let Ok(value) = http::HeaderValue::from_bytes(value.as_bytes()) {
                fields.append(name, value);
            }
        }
    }
    fields
}

/// Replaces the response's caching fields with those of `stored`, the map
/// the session was stored into.
fn restore_caching_fields(stored: &http::HeaderMap, response: &mut actix_header::HeaderMap) {
    for name in crate::cache::FIELDS {
        let name_actix = actix_header::HeaderName::from_static(name);
        response.remove(name_actix.clone());
        for value in stored.get_all(name) {
            let value = ActixHeaderValue::from_bytes(value.as_bytes())
                .expect("a valid http::HeaderValue is a valid actix HeaderValue");
            response.append(name_actix.clone(), value);
        }
    }
}

impl<T: CookieSession> FromRequest for RequestSession<T> {
    type Error = SessionUnavailable;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let slot = request.extensions().get::<SessionSlot<T>>().cloned();
        Box::pin(extract(slot))
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
