//! Device-bound sessions for actix-web (features `actix` and `dbsc`):
//! [`DbscMiddleware`] answers the registration and refresh endpoints, and
//! [`RequireDeviceBound`] guards the scopes or resources that must be
//! device-bound. Re-exported by `session_runtime::actix`.

use core::marker::PhantomData;
use std::rc::Rc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest};
use actix_web::http::header::{HeaderName as ActixName, HeaderValue as ActixValue};
use actix_web::http::StatusCode as ActixStatus;
use actix_web::{HttpMessage, HttpResponse};

use super::actix_service::{actix_middleware, Inner, Reply};
use super::dbsc_glue::{log_refusal, outside_session, session_for_dbsc};
use super::slot::SessionSlot;
use crate::dbsc::binding::DbscSession;
use crate::dbsc::endpoints::{
    check_required, endpoint, handle_refresh, handle_registration, required_refusal, DbscEndpoint,
    DbscRefusal,
};

/// The parts a middleware that only names the session type shares with its
/// service: `Default`, `Clone` and `Debug` (none needs `T: Clone` or
/// `T: Debug`: the type is only a marker) and actix-web's `Transform`.
macro_rules! marker_middleware {
    ($middleware:ident, $service:ident) => {
        impl<T: DbscSession> Default for $middleware<T> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<T> Clone for $middleware<T> {
            fn clone(&self) -> Self {
                $middleware {
                    _session: PhantomData,
                }
            }
        }

        impl<T> core::fmt::Debug for $middleware<T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($middleware)).finish()
            }
        }

        actix_middleware!($middleware: DbscSession => $service, |this, service| {
            let _ = this;
            $service {
                service: Rc::new(service),
                _session: PhantomData,
            }
        });

        impl<S, T> core::fmt::Debug for $service<S, T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($service)).finish_non_exhaustive()
            }
        }
    };
}

/// actix-web middleware that answers the browser's DBSC requests (`POST` to
/// the registration and refresh paths of the session's
/// [`DbscSettings`](crate::dbsc::DbscSettings)) and hands every other
/// request on (docs/dbsc.md has the message flow).
///
/// It must run *inside* the [`SessionMiddleware`](super::actix::SessionMiddleware)
/// of the same session type, and *outside* a
/// [`CsrfMiddleware`](super::actix::CsrfMiddleware) (the browser's DBSC
/// requests carry no CSRF token, and need none: each carries a proof signed
/// by the device's key for a challenge only this server issues). In
/// actix-web the last `wrap` runs first:
///
/// ```
/// use actix_web::{web, App, HttpResponse};
/// use serde::{Deserialize, Serialize};
/// use session_runtime::actix::{
///     CsrfMiddleware, CsrfToken, DbscMiddleware, RequireDeviceBound, SessionMiddleware,
/// };
/// use session_runtime::dbsc::{DbscSettings, DeviceBinding};
/// use session_runtime::{CookieSession, Key, SessionConfig};
///
/// #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
/// #[session(name = "__Host-app", version = 1)]
/// struct AppSession {
///     user_id: Option<u64>,
///     csrf: CsrfToken,
///     device: DeviceBinding,
/// }
///
/// let config = SessionConfig::<AppSession>::builder(Key::from_secret(&[7; 32]).unwrap())
///     .dbsc(DbscSettings::new())
///     .build()
///     .unwrap();
/// let app = App::new()
///     .wrap(CsrfMiddleware::<AppSession>::new())
///     .wrap(DbscMiddleware::<AppSession>::new()) // POST /dbsc/register, /dbsc/refresh
///     .wrap(SessionMiddleware::new(config))
///     .service(
///         web::resource("/payments")
///             .wrap(RequireDeviceBound::<AppSession>::new())
///             .route(web::get().to(|| async { HttpResponse::Ok().body("device-bound only") })),
///     );
/// # let _ = app;
/// ```
pub struct DbscMiddleware<T> {
    _session: PhantomData<fn() -> T>,
}

impl<T: DbscSession> DbscMiddleware<T> {
    /// The middleware for session type `T`; the paths and keys come from the
    /// configuration of the session middleware around it.
    pub fn new() -> Self {
        DbscMiddleware {
            _session: PhantomData,
        }
    }
}

marker_middleware!(DbscMiddleware, DbscMiddlewareService);

/// The service made by [`DbscMiddleware`].
pub struct DbscMiddlewareService<S, T> {
    service: Rc<S>,
    _session: PhantomData<fn() -> T>,
}

impl<S, T: DbscSession> DbscMiddlewareService<S, T> {
    fn handle<B: MessageBody + 'static>(&self, request: ServiceRequest) -> Reply<B>
    where
        S: Inner<B>,
    {
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            // The extensions' borrow ends here, before any await.
            let slot = request.extensions().get::<SessionSlot<T>>().cloned();
            let Some(slot) = slot else {
                let failure = server_error(outside_session::<T>().to_string());
                return Ok(request.into_response(failure).map_into_right_body());
            };
            let which = endpoint(slot.config(), &method(&request), request.path());
            let Some(which) = which else {
                return Ok(service.call(request).await?.map_into_left_body());
            };
            let config = slot.config().clone();
            let headers = http_headers(&request);
            let response = match which {
                DbscEndpoint::Registration => match session_for_dbsc(&slot).await {
                    // The handle is dropped at the end of the arm: its change
                    // is published, and the session middleware stores it.
                    Ok(mut session) => handle_registration(&config, &headers, &mut session),
                    Err(err) => {
                        let failure = server_error(err.to_string());
                        return Ok(request.into_response(failure).map_into_right_body());
                    }
                },
                DbscEndpoint::Refresh => handle_refresh(&config, &headers).await,
            };
            log_refusal::<T>(response.extensions().get::<DbscRefusal>(), request.path());
            Ok(request
                .into_response(actix_response(response))
                .map_into_right_body())
        })
    }
}

/// actix-web middleware for the scopes and resources that must be
/// device-bound: the request passes when its session is bound to a device
/// (the session middleware already checked its bound cookie) or its
/// registration is pending within the grace period after login; otherwise
/// `403` with the reason. Wrap it around the resource or scope, inside the
/// [`SessionMiddleware`](super::actix::SessionMiddleware) (see
/// [`DbscMiddleware`] for an example). A configuration without DBSC answers
/// every guarded request with `500` (a server mistake, logged).
pub struct RequireDeviceBound<T> {
    _session: PhantomData<fn() -> T>,
}

impl<T: DbscSession> RequireDeviceBound<T> {
    /// The middleware for session type `T`.
    pub fn new() -> Self {
        RequireDeviceBound {
            _session: PhantomData,
        }
    }
}

marker_middleware!(RequireDeviceBound, RequireDeviceBoundService);

/// The service made by [`RequireDeviceBound`].
pub struct RequireDeviceBoundService<S, T> {
    service: Rc<S>,
    _session: PhantomData<fn() -> T>,
}

impl<S, T: DbscSession> RequireDeviceBoundService<S, T> {
    fn handle<B: MessageBody + 'static>(&self, request: ServiceRequest) -> Reply<B>
    where
        S: Inner<B>,
    {
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            let slot = request.extensions().get::<SessionSlot<T>>().cloned();
            let verdict = match slot {
                None => Err(server_error(outside_session::<T>().to_string())),
                // The handle is a reader, dropped before the handler takes its own.
                Some(slot) => match session_for_dbsc(&slot).await {
                    Ok(session) => check_required(session.config(), &session).map_err(|refused| {
                        let response = required_refusal(refused);
                        log_refusal::<T>(
                            response.extensions().get::<DbscRefusal>(),
                            request.path(),
                        );
                        actix_response(response)
                    }),
                    Err(err) => Err(server_error(err.to_string())),
                },
            };
            let response = match verdict {
                Ok(()) => return Ok(service.call(request).await?.map_into_left_body()),
                Err(response) => response,
            };
            Ok(request.into_response(response).map_into_right_body())
        })
    }
}

/// The request's method as an `http` 1.x method (actix-web 4 uses `http`
/// 0.2 types; the bytes are the same).
fn method(request: &ServiceRequest) -> http::Method {
    http::Method::from_bytes(request.method().as_str().as_bytes()).unwrap_or(http::Method::GET)
}

/// The request's headers as an `http` 1.x map (names and values as bytes).
fn http_headers(request: &ServiceRequest) -> http::HeaderMap {
    let mut headers = http::HeaderMap::with_capacity(request.headers().len());
    for (name, value) in request.headers() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_str().as_bytes()),
            http::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    headers
}

/// An endpoint's `http` 1.x response as an actix-web response.
fn actix_response(response: http::Response<String>) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let status =
        ActixStatus::from_u16(parts.status.as_u16()).unwrap_or(ActixStatus::INTERNAL_SERVER_ERROR);
    let mut out = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        if let (Ok(name), Ok(value)) = (
            ActixName::from_bytes(name.as_str().as_bytes()),
            ActixValue::from_bytes(value.as_bytes()),
        ) {
            out.append_header((name, value));
        }
    }
    out.body(body)
}

/// A `500` whose body says what to fix (already logged).
fn server_error(message: String) -> HttpResponse {
    HttpResponse::InternalServerError()
        .content_type("text/plain; charset=utf-8")
        .body(message)
}
