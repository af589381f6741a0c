//! The axum 0.8 extractor (feature `axum`): [`RequestSession<T>`] as a handler
//! argument, under a [`SessionLayer<T>`](crate::tower::SessionLayer).
//!
//! ```
//! use axum::{routing::{get, post}, Router};
//! use serde::{Deserialize, Serialize};
//! use session_runtime::tower::SessionLayer;
//! use session_runtime::{BoundedString, CookieSession, Key, RequestSession, SessionConfig};
//!
//! #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
//! #[session(name = "__Host-app", version = 1)]
//! struct AppSession {
//!     user: Option<BoundedString<32>>,
//! }
//!
//! async fn home(session: RequestSession<AppSession>) -> String {
//!     match session.user() {
//!         Some(user) => format!("hello {user}"),
//!         None => "hello stranger".to_owned(),
//!     }
//! }
//!
//! async fn login(mut session: RequestSession<AppSession>) -> &'static str {
//!     session.renew(); // a new session lifetime on login (fixation defence)
//!     session.set_user(Some(BoundedString::truncating("ada")));
//!     "logged in"
//! }
//!
//! async fn logout(mut session: RequestSession<AppSession>) -> &'static str {
//!     session.clear(); // sends an expiring cookie
//!     "logged out"
//! }
//!
//! # fn secret() -> Vec<u8> { vec![7; 32] }
//! let config = SessionConfig::<AppSession>::new(Key::from_secret(&secret()).unwrap()).unwrap();
//! let app: Router = Router::new()
//!     .route("/", get(home))
//!     .route("/login", post(login))
//!     .route("/logout", post(logout))
//!     .layer(SessionLayer::new(config)); // after the routes it wraps
//! ```
//!
//! Without the layer the extractor fails with a [`SessionUnavailable`]
//! rejection: `500 Internal Server Error` whose body names the session type and
//! says which layer to add (a missing layer is a server bug, not the client's).

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};

use super::{SessionSlot, SessionUnavailable};
use crate::{CookieSession, RequestSession};

impl<S, T> FromRequestParts<S> for RequestSession<T>
where
    S: Send + Sync,
    T: CookieSession + Send,
{
    type Rejection = SessionUnavailable;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<SessionSlot<T>>() {
            Some(slot) => slot.take(),
            None => Err(SessionUnavailable::missing_layer::<T>()),
        }
    }
}

/// `Option<RequestSession<T>>`: `None` when no layer for `T` wraps the route
/// (for handlers shared between routes with and without sessions).
impl<S, T> OptionalFromRequestParts<S> for RequestSession<T>
where
    S: Send + Sync,
    T: CookieSession + Send,
{
    type Rejection = SessionUnavailable;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match parts.extensions.get::<SessionSlot<T>>() {
            Some(slot) => slot.take().map(Some),
            None => Ok(None),
        }
    }
}

impl IntoResponse for SessionUnavailable {
    fn into_response(self) -> Response {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )],
            self.to_string(),
        )
            .into_response()
    }
}
