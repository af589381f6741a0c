//! What-if adapters: our library's public slot API (`SessionSlot::new`, `take`,
//! `finish`) behind leaner framework glue, to measure adapter-level optimizations before
//! they are made in `session-runtime` (the `ours-lean` apps; BENCHMARKS.md, "Where our
//! layer's time goes"). Not a supported way to use the library, and to be deleted once
//! the library's adapters do the same:
//!
//! - [`LeanSession`]: the extractor takes the session synchronously (`SessionSlot::take`)
//!   and returns a ready future, where ours awaits `take_async` inside an `async fn`: in
//!   axum the handler's boxed future then shrinks from 1,136 to 520 bytes (below
//!   glibc's 1 KiB tcache limit), in actix-web the extractor's future is not boxed. It
//!   is only correct without an asynchronous revocation check (`take` refuses to load
//!   then); a library version would keep the async path for that case.
//! - [`LeanMiddleware`] (actix-web): a hand-written response future instead of a boxed
//!   one, and the `Set-Cookie` rendered straight into actix-web's header map
//!   (`set_cookie_string` → `HeaderValue::try_from`) instead of through a temporary
//!   `http` 1.x `HeaderMap` and a copy. It stores through `SessionSlot::finish`, which
//!   reports conflicting handles as "nothing to store" where `finish_into` reports an
//!   error: the measurement is of the happy path only.
//!
//! The `Cookie` values are still copied into `http` 1.x `HeaderValue`s and collected into
//! a `Vec` for `SessionSlot::new`, as our adapters do: the slot's public API requires it.

use core::future::{ready, Future, Ready};
use core::ops::{Deref, DerefMut};
use core::pin::Pin;
use core::task::{ready, Context, Poll};

use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderValue as ActixHeaderValue, COOKIE, SET_COOKIE};
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};
use axum_core::extract::FromRequestParts;
use http::request::Parts;
use http::StatusCode;
use pin_project_lite::pin_project;
use session_runtime::adapter::SessionSlot;
use session_runtime::{CookieSession, RequestSession, SessionConfig};

/// Our `RequestSession`, extracted synchronously.
pub struct LeanSession<T: CookieSession>(pub RequestSession<T>);

impl<T: CookieSession> Deref for LeanSession<T> {
    type Target = RequestSession<T>;

    fn deref(&self) -> &RequestSession<T> {
        &self.0
    }
}

impl<T: CookieSession> DerefMut for LeanSession<T> {
    fn deref_mut(&mut self) -> &mut RequestSession<T> {
        &mut self.0
    }
}

/// What goes wrong when no slot is there or `take` refuses.
const UNAVAILABLE: &str = "no session layer, or the session is unavailable";

impl<S, T> FromRequestParts<S> for LeanSession<T>
where
    S: Send + Sync,
    T: CookieSession + Send + Sync,
{
    type Rejection = (StatusCode, &'static str);

    fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send {
        let taken = parts
            .extensions
            .get::<SessionSlot<T>>()
            .and_then(|slot| slot.take().ok())
            .map(LeanSession)
            .ok_or((StatusCode::INTERNAL_SERVER_ERROR, UNAVAILABLE));
        ready(taken)
    }
}

impl<T: CookieSession> FromRequest for LeanSession<T> {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let taken = request
            .extensions()
            .get::<SessionSlot<T>>()
            .and_then(|slot| slot.take().ok())
            .map(LeanSession)
            .ok_or_else(|| actix_web::error::ErrorInternalServerError(UNAVAILABLE));
        ready(taken)
    }
}

/// actix-web middleware over our slot, with a hand-written response future.
pub struct LeanMiddleware<T: CookieSession> {
    config: SessionConfig<T>,
}

impl<T: CookieSession> LeanMiddleware<T> {
    /// A middleware loading and storing with `config`.
    pub fn new(config: SessionConfig<T>) -> Self {
        Self { config }
    }
}

impl<S, B, T> Transform<S, ServiceRequest> for LeanMiddleware<T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    T: CookieSession,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = LeanService<S, T>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(LeanService {
            service,
            config: self.config.clone(),
        }))
    }
}

/// The service made by [`LeanMiddleware`].
pub struct LeanService<S, T: CookieSession> {
    service: S,
    config: SessionConfig<T>,
}

impl<S, B, T> Service<ServiceRequest> for LeanService<S, T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    T: CookieSession,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LeanFuture<S::Future, T>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        // As our adapter: actix-web 4's `http` 0.2 values copied into 1.x ones.
        let cookies: Vec<_> = request
            .headers()
            .get_all(COOKIE)
            .filter_map(|value| http::HeaderValue::from_bytes(value.as_bytes()).ok())
            .collect();
        let slot = SessionSlot::new(self.config.clone(), cookies);
        request.extensions_mut().insert(slot.clone());
        LeanFuture {
            inner: self.service.call(request),
            slot,
        }
    }
}

pin_project! {
    /// The response future of [`LeanService`].
    pub struct LeanFuture<F, T: CookieSession> {
        #[pin]
        inner: F,
        slot: SessionSlot<T>,
    }
}

impl<F, B, T> Future for LeanFuture<F, T>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    T: CookieSession,
{
    type Output = Result<ServiceResponse<B>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        if let Some(session) = this.slot.finish() {
            let text = this
                .slot
                .config()
                .set_cookie(&session)
                .map_err(actix_web::error::ErrorInternalServerError)?;
            if let Some(text) = text {
                let value = ActixHeaderValue::try_from(text)
                    .map_err(actix_web::error::ErrorInternalServerError)?;
                response.headers_mut().append(SET_COOKIE, value);
            }
        }
        Poll::Ready(Ok(response))
    }
}
