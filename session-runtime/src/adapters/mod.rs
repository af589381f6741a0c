//! What the web adapters share: the per-request [`SessionSlot`] the layer or
//! middleware puts into the request's extensions, the [`RequestSession`]
//! handles that extractors lend to handlers, and the one path from "the
//! handler is done" to `Set-Cookie` ([`SessionSlot::finish_into`]).
//!
//! The adapters are thin: loading is [`SessionConfig::load_cookies`]
//! and storing is [`SessionConfig::store`], exactly as with the `http`-level
//! API. What they add is only the plumbing between the two ends of a request:
//!
//! 1. the layer (tower) or middleware (actix-web) creates a [`SessionSlot`]
//!    holding the request's `Cookie` header values and puts it into the
//!    request's extensions;
//! 2. the first extractor that asks for the session decodes it (so routes that
//!    never use the session cost no MAC check and never send `Set-Cookie`) and
//!    lends it out as a [`RequestSession`]; more handles may follow (a guard
//!    middleware and its handler), see `slot.rs` for the rules;
//! 3. when the response comes back, the layer calls
//!    [`SessionSlot::finish_into`], which appends a `Set-Cookie` if, and only
//!    if, one is due, or reports why the response must become a `500`.
//!
//! [`SessionConfig::load_cookies`]: crate::SessionConfig::load_cookies
//! [`SessionConfig::store`]: crate::SessionConfig::store

mod cookies;
mod error;
mod handle;
mod slot;
mod state;

#[cfg(any(feature = "axum", feature = "actix"))]
mod csrf_check;
#[cfg(any(feature = "axum", feature = "actix"))]
mod extract;

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "actix")]
mod actix_csrf;
#[cfg(feature = "actix")]
mod actix_service;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "axum")]
mod axum_csrf;
#[cfg(feature = "tower")]
pub mod tower;

// Device-bound sessions (feature `dbsc`): the endpoints and the "require"
// policy as a tower layer and as actix-web middleware.
#[cfg(all(feature = "dbsc", feature = "actix"))]
mod actix_dbsc;
#[cfg(all(feature = "dbsc", any(feature = "tower", feature = "actix")))]
mod dbsc_glue;
#[cfg(all(feature = "dbsc", feature = "tower"))]
mod tower_dbsc;

pub use handle::RequestSession;

/// For writing an adapter of your own, and for the errors the adapters
/// report: the per-request [`SessionSlot`](adapter::SessionSlot) a layer puts
/// into the request's extensions, and what can go wrong between a request and
/// its `Set-Cookie`. Apps using the axum or actix-web modules never need it.
pub mod adapter {
    pub use crate::adapters::error::{
        FinishError, FinishErrorKind, SessionUnavailable, UnavailableKind,
    };
    pub use crate::adapters::slot::SessionSlot;
}
