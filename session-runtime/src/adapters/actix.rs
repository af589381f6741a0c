//! actix-web 4 middleware and extractor (feature `actix`):
//! [`SessionMiddleware<T>`] loads and stores, [`RequestSession<T>`] is the
//! handler argument.
//!
//! The middleware puts a [`SessionSlot<T>`] into the request's extensions; the
//! handler takes the session from it, and when the response comes back the
//! middleware appends the session's `Set-Cookie` if one is due (changed,
//! renewed, cleared, re-keyed or idle-refreshed). Routes that never use the
//! session cost neither a MAC check nor a `Set-Cookie`; other `Set-Cookie`
//! headers are kept.
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

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self as actix_header, HeaderValue as ActixHeaderValue};
use actix_web::http::StatusCode;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};

use super::{config_holder_impls, extract, SessionSlot, SessionUnavailable};

pub use super::actix_csrf::{CsrfMiddleware, SessionWithCsrf};
pub use super::RequestSession;
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

config_holder_impls!(SessionMiddleware);

/// The inner services the middleware of this crate wrap.
pub(crate) trait Inner<B>:
    Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static
{
}

impl<S, B> Inner<B> for S where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static
{
}

/// What the services of this crate's middleware answer: the inner body, or
/// their own (a `403`, `413` or `500`).
pub(crate) type Reply<B> =
    Pin<Box<dyn Future<Output = Result<ServiceResponse<EitherBody<B>>, Error>>>>;

/// The `Transform` impl of middleware `$middleware<T>`, whose service
/// `$service<S, T>` is built by `$make` (from `$this`, the middleware, and
/// `$inner`, the wrapped service), and that service's `Service` impl: ready
/// when its inner `service` is, it hands each request to its own `handle`.
macro_rules! actix_middleware {
    ($middleware:ident => $service:ident, |$this:ident, $inner:ident| $make:expr) => {
        $crate::adapters::actix::actix_middleware!(
            $middleware: $crate::CookieSession => $service, |$this, $inner| $make
        );
    };
    ($middleware:ident: $bound:path => $service:ident, |$this:ident, $inner:ident| $make:expr) => {
        impl<S, B, T> actix_web::dev::Transform<S, actix_web::dev::ServiceRequest>
            for $middleware<T>
        where
            // Whatever the service answers, the middleware does.
            $service<S, T>: actix_web::dev::Service<
                actix_web::dev::ServiceRequest,
                Response = actix_web::dev::ServiceResponse<B>,
                Error = actix_web::Error,
            >,
            T: $bound,
        {
            type Response = actix_web::dev::ServiceResponse<B>;
            type Error = actix_web::Error;
            type Transform = $service<S, T>;
            type InitError = ();
            type Future = core::future::Ready<Result<Self::Transform, Self::InitError>>;

            fn new_transform(&self, $inner: S) -> Self::Future {
                let $this = self;
                core::future::ready(Ok($make))
            }
        }

        impl<S, B, T> actix_web::dev::Service<actix_web::dev::ServiceRequest> for $service<S, T>
        where
            S: actix_web::dev::Service<
                    actix_web::dev::ServiceRequest,
                    Response = actix_web::dev::ServiceResponse<B>,
                    Error = actix_web::Error,
                > + 'static,
            B: actix_web::body::MessageBody + 'static,
            T: $bound,
        {
            type Response = actix_web::dev::ServiceResponse<actix_web::body::EitherBody<B>>;
            type Error = actix_web::Error;
            type Future = $crate::adapters::actix::Reply<B>;

            actix_web::dev::forward_ready!(service);

            fn call(&self, request: actix_web::dev::ServiceRequest) -> Self::Future {
                self.handle(request)
            }
        }
    };
}
pub(crate) use actix_middleware;

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
            // 4 uses `http` 0.2 types; the bytes are the same).
            let mut set_cookie = http::HeaderMap::new();
            match slot.finish_into(&mut set_cookie) {
                Ok(_) => {
                    for value in set_cookie.get_all(http::header::SET_COOKIE) {
                        let value = ActixHeaderValue::from_bytes(value.as_bytes())
                            .expect("a valid http::HeaderValue is a valid actix HeaderValue");
                        response
                            .headers_mut()
                            .append(actix_header::SET_COOKIE, value);
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
