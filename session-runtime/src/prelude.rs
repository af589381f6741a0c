//! What an app imports, re-exported by the framework modules (`axum`,
//! `actix`) so that one `use session_runtime::axum::{...}` line is enough.

pub use crate::bounded::{BoundedString, BoundedVec};
pub use crate::config::SessionConfig;
pub use crate::csrf::{CsrfSession, CsrfToken};
pub use crate::flash::Flash;
pub use crate::key::{Key, KeyRole};
pub use crate::keyring::KeyRing;
pub use crate::lifetime::Lifetime;
pub use crate::reject::Rejection;
pub use crate::session::{LoadStatus, Session, WriteReason};
pub use crate::session_type::CookieSession;
pub use crate::size::MaxEncodedLen;
// The derives, where they exist, under the same names as their traits.
#[cfg(feature = "derive")]
pub use session_derive::{CookieSession, MaxEncodedLen};
