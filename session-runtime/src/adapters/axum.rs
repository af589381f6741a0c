//! axum 0.8 (feature `axum`): everything an axum app imports, in one place.
//! [`RequestSession<T>`] is the handler argument, under a [`SessionLayer<T>`]
//! (the tower layer, re-exported here); [`CsrfLayer<T>`] checks CSRF tokens;
//! [`Flash`] and [`CsrfToken`] are session field types.
//!
//! ```
//! use axum::{routing::{get, post}, Router};
//! use serde::{Deserialize, Serialize};
//! use session_runtime::axum::{RequestSession, SessionLayer};
//! use session_runtime::{BoundedString, CookieSession, Key, SessionConfig};
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
//! # Testing a handler
//!
//! With the `testing` feature (in `[dev-dependencies]`),
//! `testing::cookie` makes the `Cookie` header of any session value and
//! `testing::session_set` reads the session a response set:
//!
#![cfg_attr(feature = "testing", doc = "```")]
#![cfg_attr(not(feature = "testing"), doc = "```ignore")]
//! # use serde::{Deserialize, Serialize};
//! # #[derive(session_runtime::CookieSession, Serialize, Deserialize, Default, Debug)]
//! # #[session(name = "__Host-app", version = 1)]
//! # struct AppSession { user: Option<session_runtime::BoundedString<32>>, visits: u32 }
//! use axum::{routing::get, Router};
//! use session_runtime::axum::{BoundedString, RequestSession, SessionLayer};
//! use session_runtime::testing;
//! use tower::ServiceExt; // oneshot
//!
//! async fn visit(mut session: RequestSession<AppSession>) -> String {
//!     let visits = session.visits() + 1;
//!     session.set_visits(visits);
//!     format!("{} visit {visits}", session.user().as_deref().unwrap_or("nobody"))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let (builder, _clock) = testing::builder::<AppSession>();
//! let config = builder.build().unwrap();
//! let app = Router::new().route("/", get(visit)).layer(SessionLayer::new(config.clone()));
//!
//! let ada = AppSession { user: Some(BoundedString::truncating("ada")), visits: 2 };
//! let request = http::Request::get("/")
//!     .header(http::header::COOKIE, testing::cookie(&config, &ada))
//!     .body(axum::body::Body::empty())
//!     .unwrap();
//! let response = app.oneshot(request).await.unwrap();
//! let after = testing::session_set(&config, response.headers()).expect("a cookie was set");
//! assert_eq!(*after.visits(), 3);
//! # }
//! ```
//!
//! Without the layer the extractor fails with a [`SessionUnavailable`]
//! rejection: `500 Internal Server Error` whose body names the session type and
//! says which layer to add (a missing layer is a server bug, not the client's),
//! and the same text is logged as an error through `tracing`.
//!
//! # Guard middleware
//!
//! A `from_fn` middleware may hold the session while it calls the handler;
//! both see the same session and the changes of both are stored once
//! ([`RequestSession`] explains the rules). A guard that *changes* the session
//! publishes it before calling the handler:
//!
//! ```
//! # use serde::{Deserialize, Serialize};
//! # use session_runtime::CookieSession;
//! # #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
//! # #[session(name = "__Host-app", version = 1)]
//! # struct AppSession { user_id: Option<u64>, visits: u32 }
//! use axum::extract::Request;
//! use axum::middleware::Next;
//! use axum::response::{IntoResponse, Redirect, Response};
//! use session_runtime::axum::RequestSession;
//!
//! async fn require_login(
//!     mut session: RequestSession<AppSession>,
//!     request: Request,
//!     next: Next,
//! ) -> Response {
//!     if session.user_id().is_none() {
//!         return Redirect::to("/login").into_response();
//!     }
//!     let visits = session.visits() + 1;
//!     session.set_visits(visits);
//!     RequestSession::publish(&mut session); // the handler sees `visits`
//!     next.run(request).await
//! }
//! // .route_layer(axum::middleware::from_fn(require_login))
//! ```

use core::future::Future;
use core::pin::Pin;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};

use super::error::SessionUnavailable;
use super::extract::{extract, take_logged};
use super::slot::SessionSlot;

pub use super::axum_csrf::{CsrfLayer, CsrfService};
pub use super::handle::RequestSession;
pub use super::tower::{SessionLayer, SessionService, SessionStoreFailed};
#[cfg(feature = "dbsc")]
pub use super::tower_dbsc::{DbscLayer, RequireDeviceBound};
pub use crate::prelude::*;

/// The extractor's future when it must await: boxed, and `Send` as axum
/// requires.
type Awaiting<T> =
    dyn Future<Output = Result<RequestSession<T>, SessionUnavailable>> + Send + 'static;

impl<S, T> FromRequestParts<S> for RequestSession<T>
where
    S: Send + Sync,
    T: CookieSession + Send + Sync,
{
    type Rejection = SessionUnavailable;

    /// Ready at once, unless an asynchronous revocation check must run on
    /// the request's first use (`slot.rs`, `extract`).
    fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> impl Future<Output = Result<Self, Self::Rejection>> + Send {
        extract(parts.extensions.get::<SessionSlot<T>>(), |slot| {
            Box::pin(take_logged(slot)) as Pin<Box<Awaiting<T>>>
        })
    }
}

/// `Option<RequestSession<T>>`: `None` when no layer for `T` wraps the route
/// (for handlers shared between routes with and without sessions).
impl<S, T> OptionalFromRequestParts<S> for RequestSession<T>
where
    S: Send + Sync,
    T: CookieSession + Send + Sync,
{
    type Rejection = SessionUnavailable;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> impl Future<Output = Result<Option<Self>, Self::Rejection>> + Send {
        // No layer is not an error here; a refused take still is.
        let extraction = parts.extensions.get::<SessionSlot<T>>().map(|slot| {
            extract(Some(slot), |slot| {
                Box::pin(take_logged(slot)) as Pin<Box<Awaiting<T>>>
            })
        });
        async move {
            match extraction {
                Some(extraction) => extraction.await.map(Some),
                None => Ok(None),
            }
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
