//! Typed, signed, size-checked cookie sessions.
//!
//! Your session is your own struct. `#[derive(CookieSession)]` gives it typed
//! accessors, a version tag and schema fingerprint, and a compile-time proof
//! that its cookie never exceeds the browser's 4096-byte limit. At run time the
//! struct travels as `base64url(header ‖ postcard payload ‖ HMAC-SHA256 tag)`,
//! bound to its cookie name, with idle and absolute timeouts under the MAC and
//! key rotation.
//!
//! ```
//! use http::HeaderMap;
//! use serde::{Deserialize, Serialize};
//! use session_runtime::{BoundedString, BoundedVec, CookieSession, Key, SessionConfig};
//!
//! #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
//! #[session(name = "__Host-app", version = 2)] // budget defaults to 4096 bytes
//! pub struct AppSession {
//!     user_id: Option<u64>,
//!     display_name: BoundedString<32>, // at most 32 bytes of UTF-8
//!     roles: BoundedVec<u16, 8>,       // at most 8 items
//!     csrf: [u8; 32],
//! }
//!
//! // Proven at compile time:
//! const _: () = assert!(AppSession::MAX_COOKIE_LEN <= 4096);
//!
//! let config = SessionConfig::<AppSession>::new(Key::from_secret(&[7; 32]).unwrap()).unwrap();
//! let mut session = config.load(&HeaderMap::new());
//! session.set_user_id(Some(42));
//! let set_cookie = config.set_cookie(&session).unwrap().expect("changed, so a cookie is due");
//! assert!(set_cookie.ends_with("; Secure; HttpOnly; SameSite=Lax"));
//! ```
//!
//! See `docs/wire-format.md` for the byte layout and `README.md` for the guarantees.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

// The codec core: no `http`, builds for wasm32-unknown-unknown
// (docs/architecture.md has the module map).
mod bounded;
mod clock;
mod codec;
mod compile_checks;
mod csrf;
mod flash;
mod key;
mod lifetime;
pub mod limits;
mod reject;
mod session_type;
mod size;
pub mod wire;

// Policy and the request/response pipeline.
mod cache;
mod config;
mod cookie;
#[cfg(feature = "http")]
mod http;
// Keys from configuration (docs/operations.md).
mod keyring;
mod load;
mod origin;
#[cfg(feature = "http")]
mod response;
mod session;
mod store;

// Device-bound session credentials (feature `dbsc`, docs/dbsc.md).
#[cfg(feature = "dbsc")]
#[cfg_attr(docsrs, doc(cfg(feature = "dbsc")))]
pub mod dbsc;

// "Log out everywhere" for a fleet through Redis (feature `redis`,
// docs/operations.md).
#[cfg(feature = "redis")]
pub mod revocation;
// Counters for the `metrics` facade (feature `metrics`); no-ops without it.
mod metrics;

// Helpers for the app's own tests (feature `testing`).
#[cfg(feature = "testing")]
pub mod testing;

// Web adapters (features `tower`, `axum`, `actix`, each enabling the internal
// `web` feature): docs/frameworks.md.
#[cfg(feature = "web")]
mod adapters;

#[cfg(feature = "actix")]
pub use adapters::actix;
#[cfg(feature = "web")]
pub use adapters::adapter;
#[cfg(feature = "axum")]
pub use adapters::axum;
#[cfg(feature = "tower")]
pub use adapters::tower;
#[cfg(feature = "web")]
pub use adapters::RequestSession;

pub use bounded::{BoundedString, BoundedVec, CapacityError};
pub use cache::CacheProtection;
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub use clock::SystemClock;
pub use clock::{Clock, ManualClock};
pub use config::{ConfigError, CookieMeta, SessionConfig, SessionConfigBuilder};
pub use cookie::{AttributeError, CookieAttributes, SameSite};
pub use csrf::{CsrfSession, CsrfToken};
pub use flash::Flash;
pub use key::{Key, KeyRole};
pub use keyring::KeyRing;
pub use lifetime::{Lifetime, UndeclaredLifetime};
pub use reject::Rejection;
pub use session::{LoadStatus, Session, WriteReason};
pub use session_type::CookieSession;
pub use size::MaxEncodedLen;
pub use store::StoreError;

/// Keys and their errors: [`Key`] and [`KeyRing`] (also at the crate root),
/// the opaque [`KeyId`](keys::KeyId) cookies carry, and the errors of reading
/// keys from configuration.
pub mod keys {
    pub use crate::key::{Key, KeyError, KeyId, KeyRole};
    pub use crate::keyring::{EntryPosition, KeyRing, KeyRingError};
}

/// The configuration's defaults, for code that wants to name them.
pub mod defaults {
    pub use crate::config::{
        DEFAULT_ABSOLUTE_TIMEOUT as ABSOLUTE_TIMEOUT, DEFAULT_IDLE_TIMEOUT as IDLE_TIMEOUT,
        DEFAULT_MAX_CLOCK_SKEW as MAX_CLOCK_SKEW, DEFAULT_REFRESH_AFTER as REFRESH_AFTER,
    };
}

/// Why a cookie's payload did not decode ([`Rejection::Payload`]), why a
/// device-bound session's bound cookie was refused
/// ([`Rejection::DeviceBinding`]), and why a CSRF token could not be made.
pub mod errors {
    #[cfg(feature = "random")]
    pub use crate::csrf::CsrfRandomnessError;
    pub use crate::reject::{BindingFailure, PayloadError};
}

// What an app imports, re-exported by the framework modules.
#[cfg(any(feature = "axum", feature = "actix"))]
mod prelude;

/// Derives [`CookieSession`] (and [`MaxEncodedLen`]) plus typed accessors on a
/// struct with named fields. See the crate README for every attribute.
#[cfg(feature = "derive")]
pub use session_derive::CookieSession;

/// Derives [`MaxEncodedLen`] for a struct or enum used inside a session.
#[cfg(feature = "derive")]
pub use session_derive::MaxEncodedLen;

/// Support for the derive's generated code. Not public API: it changes without
/// notice, which is why `session-derive` is pinned to an exact version.
#[doc(hidden)]
pub mod __private {
    #[cfg(not(feature = "dbsc"))]
    pub use self::without_dbsc::{DbscField, DbscSession, DeviceBinding};
    pub use crate::codec::envelope::{Envelope, RandomnessUnavailable, Seal};
    pub use crate::codec::hmac_sha256::HmacSha256;
    pub use crate::codec::max_cookie_len;
    pub use crate::cookie::{CookieAttributes, SameSite};
    pub use crate::csrf::{rotated_csrf_token, CsrfField, CsrfSession, CsrfToken};
    #[cfg(feature = "dbsc")]
    pub use crate::dbsc::binding::{DbscField, DbscSession, DeviceBinding};
    pub use crate::reject::Rejection;
    pub use crate::session_type::{decode_own, own_fingerprint};
    pub use crate::size::{
        add, max, schema_hash_bytes, schema_hash_leaf, schema_hash_u64, varint_len, MaxEncodedLen,
    };
    pub use crate::CookieSession;

    #[cfg(feature = "encrypted")]
    pub use crate::codec::aes_gcm_siv::Aes256GcmSiv;
    /// Without the `encrypted` feature this type exists only so that
    /// `#[session(encrypted)]` fails with the `Envelope` trait's message
    /// ("built without its `encrypted` feature") instead of a missing path.
    #[cfg(not(feature = "encrypted"))]
    pub struct Aes256GcmSiv;

    /// Without the `dbsc` feature these exist only so that a device-binding
    /// field (marked `#[session(dbsc)]`, or of a type named `DeviceBinding`)
    /// fails with one message naming the feature instead of missing paths.
    #[cfg(not(feature = "dbsc"))]
    pub mod without_dbsc {
        /// Stands in for `dbsc::DeviceBinding`.
        pub struct DeviceBinding;

        /// Stands in for the DBSC session trait.
        pub trait DbscSession {
            /// As with the `dbsc` feature.
            fn __device_binding(&self) -> &DeviceBinding;
            /// As with the `dbsc` feature.
            fn __device_binding_mut(&mut self) -> &mut DeviceBinding;
        }

        /// Implemented by no type: the derive names it at the field.
        #[diagnostic::on_unimplemented(
            message = "`{Self}` is taken for a device-binding field, but session-runtime was built \
                       without its `dbsc` feature",
            label = "a device-binding field (`#[session(dbsc)]`, or a type named `DeviceBinding`)",
            note = "enable session-runtime's `dbsc` feature, or give a type of your own another \
                    name than `DeviceBinding`"
        )]
        pub trait DbscField {
            /// As with the `dbsc` feature.
            fn __get(&self) -> &DeviceBinding;
            /// As with the `dbsc` feature.
            fn __get_mut(&mut self) -> &mut DeviceBinding;
            /// As with the `dbsc` feature.
            fn __restart(&mut self, now: Option<u64>);
        }
    }

    /// Converts a session decoded with an older type (`migrate_from`); the
    /// `From` bound is stated here so a missing impl is reported once.
    pub fn convert_migrated<Older, Newer: From<Older>>(older: Older) -> Newer {
        Newer::from(older)
    }
    pub use core::option::Option::{self, None, Some};
    pub use core::result::Result;
    pub use std::borrow::Cow;

    pub use crate::codec::chunks::{max_chunk_len, max_total_len, Chunked};
    pub use crate::compile_checks::{
        assert_chunks_fit, assert_cookie_fits, assert_migration, assert_partition_fits, sum_lens,
    };
}
