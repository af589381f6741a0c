//! Device-bound sessions for tower and axum (features `tower` and `dbsc`):
//! [`DbscLayer`] answers the registration and refresh endpoints, and
//! [`RequireDeviceBound`] guards the routes that must be device-bound.
//! Re-exported as `session_runtime::tower::{DbscLayer, RequireDeviceBound}`
//! and by `session_runtime::axum`.

use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::dbsc_glue::{log_refusal, outside_session, session_for_dbsc};
use super::slot::SessionSlot;
use crate::dbsc::binding::DbscSession;
use crate::dbsc::endpoints::{
    check_required, endpoint, handle_refresh, handle_registration, required_refusal, DbscEndpoint,
    DbscRefusal,
};

/// The boxed future of the DBSC services.
type BoxFuture<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

/// The parts a layer that only names the session type shares with its
/// service: `Default`, `Clone` and `Debug` for both (none of them needs
/// `T: Clone` or `T: Debug`: the type is only a marker), and `Layer`.
macro_rules! marker_layer {
    ($layer:ident, $service:ident) => {
        impl<T: DbscSession> Default for $layer<T> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<T> Clone for $layer<T> {
            fn clone(&self) -> Self {
                $layer {
                    _session: PhantomData,
                }
            }
        }

        impl<T> core::fmt::Debug for $layer<T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($layer)).finish()
            }
        }

        impl<S, T> Layer<S> for $layer<T> {
            type Service = $service<S, T>;

            fn layer(&self, inner: S) -> Self::Service {
                $service {
                    inner,
                    _session: PhantomData,
                }
            }
        }

        impl<S: Clone, T> Clone for $service<S, T> {
            fn clone(&self) -> Self {
                $service {
                    inner: self.inner.clone(),
                    _session: PhantomData,
                }
            }
        }

        impl<S: core::fmt::Debug, T> core::fmt::Debug for $service<S, T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($service))
                    .field("inner", &self.inner)
                    .finish()
            }
        }
    };
}

/// A tower layer that answers the browser's DBSC requests, `POST` to the
/// registration and refresh paths of the session's
/// [`DbscSettings`](crate::dbsc::DbscSettings), and hands every other
/// request to the service it wraps (docs/dbsc.md has the message flow).
///
/// It must run *inside* the [`SessionLayer`](super::tower::SessionLayer) of
/// the same session type (it takes the configuration and the session from
/// it; without one every request gets a `500` saying so), and *outside* a
/// [`CsrfLayer`](crate::axum::CsrfLayer): the browser's DBSC requests carry
/// no CSRF token, and need none (each must carry a proof signed by the
/// device's key for a challenge only this server issues).
///
/// ```
/// use axum::{routing::get, Router};
/// use serde::{Deserialize, Serialize};
/// use session_runtime::axum::{DbscLayer, RequestSession, RequireDeviceBound, SessionLayer};
/// use session_runtime::dbsc::{DbscSettings, DeviceBinding};
/// use session_runtime::{CookieSession, Key, SessionConfig};
///
/// #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
/// #[session(name = "__Host-app", version = 1)]
/// struct AppSession {
///     user_id: Option<u64>,
///     device: DeviceBinding,
/// }
///
/// async fn login(mut session: RequestSession<AppSession>) -> &'static str {
///     session.renew(); // the response offers the browser a DBSC registration
///     session.set_user_id(Some(7));
///     "logged in"
/// }
///
/// let config = SessionConfig::<AppSession>::builder(Key::from_secret(&[7; 32]).unwrap())
///     .dbsc(DbscSettings::new())
///     .build()
///     .unwrap();
/// let payments = Router::new()
///     .route("/payments", get(|| async { "device-bound only" }))
///     .route_layer(RequireDeviceBound::<AppSession>::new());
/// let app: Router = Router::new()
///     .route("/login", get(login))
///     .merge(payments)
///     .layer(DbscLayer::<AppSession>::new()) // POST /dbsc/register, POST /dbsc/refresh
///     .layer(SessionLayer::new(config));
/// ```
pub struct DbscLayer<T> {
    _session: PhantomData<fn() -> T>,
}

impl<T: DbscSession> DbscLayer<T> {
    /// The layer for session type `T`; the paths and keys come from the
    /// configuration of the session layer around it.
    pub fn new() -> Self {
        DbscLayer {
            _session: PhantomData,
        }
    }
}

marker_layer!(DbscLayer, DbscService);

/// The service made by [`DbscLayer`].
pub struct DbscService<S, T> {
    inner: S,
    _session: PhantomData<fn() -> T>,
}

impl<S, T, ReqBody, ResBody> Service<Request<ReqBody>> for DbscService<S, T>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ReqBody: Send + 'static,
    ResBody: From<String> + Send + 'static,
    T: DbscSession + Send + Sync,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = DbscFuture<S::Future, Response<ResBody>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let Some(slot) = request.extensions().get::<SessionSlot<T>>() else {
            // Outside the session layer: every request fails, loudly.
            let response = server_error(outside_session::<T>().to_string());
            return DbscFuture::answer(async { Ok(response) });
        };
        let Some(which) = endpoint(slot.config(), request.method(), request.uri().path()) else {
            // Every other request: the inner service's own future, unboxed.
            return DbscFuture::inner(self.inner.call(request));
        };
        let slot = slot.clone();
        DbscFuture::answer(async move {
            let config = slot.config();
            let response = match which {
                DbscEndpoint::Registration => match session_for_dbsc(&slot).await {
                    // The handle is dropped at the end of the arm: its change
                    // (the device key) is published, and the session layer
                    // stores it on the way out.
                    Ok(mut session) => handle_registration(config, request.headers(), &mut session),
                    Err(err) => return Ok(server_error(err.to_string())),
                },
                DbscEndpoint::Refresh => handle_refresh(config, request.headers()).await,
            };
            log_refusal::<T>(
                response.extensions().get::<DbscRefusal>(),
                request.uri().path(),
            );
            Ok(response.map(ResBody::from))
        })
    }
}

pin_project! {
    /// The response future of [`DbscService`]: the inner service's own
    /// future for every request that is not one of the DBSC endpoints', the
    /// endpoint's answer (boxed) otherwise.
    pub struct DbscFuture<F, R, E> {
        #[pin]
        state: DbscFutureState<F, R, E>,
    }
}

pin_project! {
    #[project = StateProjection]
    enum DbscFutureState<F, R, E> {
        Inner { #[pin] inner: F },
        Answer { answer: BoxFuture<R, E> },
    }
}

impl<F, R, E> DbscFuture<F, R, E> {
    fn inner(inner: F) -> Self {
        DbscFuture {
            state: DbscFutureState::Inner { inner },
        }
    }

    fn answer(answer: impl Future<Output = Result<R, E>> + Send + 'static) -> Self {
        DbscFuture {
            state: DbscFutureState::Answer {
                answer: Box::pin(answer),
            },
        }
    }
}

impl<F, R, E> Future for DbscFuture<F, R, E>
where
    F: Future<Output = Result<R, E>>,
{
    type Output = Result<R, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProjection::Inner { inner } => inner.poll(cx),
            StateProjection::Answer { answer } => answer.as_mut().poll(cx),
        }
    }
}

impl<F, R, E> core::fmt::Debug for DbscFuture<F, R, E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DbscFuture").finish_non_exhaustive()
    }
}

/// A tower layer for the routes that must be device-bound (payments, account
/// settings): the request passes when its session is bound to a device (the
/// session layer already checked its bound cookie) or its registration is
/// pending within the grace period after login; otherwise `403` with the
/// reason ([`DbscRefusal`] in the response's extensions). Other routes keep
/// the "allow" policy: a session without DBSC works as before.
///
/// In axum, add it with `Router::route_layer` to the routes it guards,
/// inside the [`SessionLayer`](super::tower::SessionLayer) (see
/// [`DbscLayer`] for an example). A configuration without DBSC answers every
/// guarded request with `500` (a server mistake, logged).
pub struct RequireDeviceBound<T> {
    _session: PhantomData<fn() -> T>,
}

impl<T: DbscSession> RequireDeviceBound<T> {
    /// The layer for session type `T`.
    pub fn new() -> Self {
        RequireDeviceBound {
            _session: PhantomData,
        }
    }
}

marker_layer!(RequireDeviceBound, RequireDeviceBoundService);

/// The service made by [`RequireDeviceBound`].
pub struct RequireDeviceBoundService<S, T> {
    inner: S,
    _session: PhantomData<fn() -> T>,
}

impl<S, T, ReqBody, ResBody> Service<Request<ReqBody>> for RequireDeviceBoundService<S, T>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String> + Send + 'static,
    T: DbscSession + Send + Sync,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Response<ResBody>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = core::mem::replace(&mut self.inner, clone);
        let Some(slot) = request.extensions().get::<SessionSlot<T>>().cloned() else {
            let response = server_error(outside_session::<T>().to_string());
            return Box::pin(async { Ok(response) });
        };
        Box::pin(async move {
            let verdict = match session_for_dbsc(&slot).await {
                // The handle is a reader: dropped here, before the handler
                // takes its own.
                Ok(session) => check_required(session.config(), &session),
                Err(err) => return Ok(server_error(err.to_string())),
            };
            match verdict {
                Ok(()) => inner.call(request).await,
                Err(refused) => {
                    let response = required_refusal(refused);
                    let path = request.uri().path();
                    log_refusal::<T>(response.extensions().get::<DbscRefusal>(), path);
                    Ok(response.map(ResBody::from))
                }
            }
        })
    }
}

/// A `500` whose body says what to fix (already logged).
fn server_error<B: From<String>>(message: String) -> Response<B> {
    let mut response = Response::new(B::from(message));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
