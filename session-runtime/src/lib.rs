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
//! assert!(set_cookie.to_str().unwrap().ends_with("; Secure; HttpOnly; SameSite=Lax"));
//! ```
//!
//! See `docs/wire-format.md` for the byte layout and `README.md` for the guarantees.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bounded;
mod clock;
mod config;
mod cookie;
mod key;
mod reject;
mod session;
mod size;
mod wire;

pub use bounded::{BoundedString, BoundedVec, CapacityError};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    ConfigError, SessionConfig, SessionConfigBuilder, StoreError, BROWSER_COOKIE_LIMIT,
    DEFAULT_ABSOLUTE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CLOCK_SKEW, DEFAULT_REFRESH_AFTER,
    MAX_CANDIDATE_COOKIES,
};
pub use cookie::{AttributeError, CookieAttributes, SameSite};
pub use key::{Key, KeyError, KeyId};
pub use reject::Rejection;
pub use session::{LoadStatus, Session, WriteReason};
pub use size::MaxEncodedLen;
pub use wire::{base64url_len, max_cookie_len, HEADER_LEN, TAG_LEN};

/// Derives [`CookieSession`] (and [`MaxEncodedLen`]) plus typed accessors on a
/// struct with named fields. See the crate README for every attribute.
#[cfg(feature = "derive")]
pub use session_derive::CookieSession;

/// Derives [`MaxEncodedLen`] for a struct or enum used inside a session.
#[cfg(feature = "derive")]
pub use session_derive::MaxEncodedLen;

/// A struct stored in a signed cookie. Implement it with
/// `#[derive(CookieSession)]`, which also proves at compile time that
/// `MAX_COOKIE_LEN <= BUDGET`.
pub trait CookieSession:
    serde::Serialize + serde::de::DeserializeOwned + Default + MaxEncodedLen + 'static
{
    /// The cookie name (validated as an RFC 6265 token at compile time).
    const NAME: &'static str;
    /// The schema version written into every cookie; bump it when the struct
    /// changes meaning.
    const VERSION: u16;
    /// Hash of the version, field names and field shapes: a deploy that changes
    /// the struct without bumping the version still never mis-decodes a cookie.
    const SCHEMA_FINGERPRINT: u64;
    /// Largest `len(name) + len(value)` allowed (at most 4096).
    const BUDGET: usize;
    /// Largest postcard encoding of the struct.
    const MAX_PAYLOAD_LEN: usize;
    /// Largest `len(name) + len(value)` of the cookie:
    /// `len(NAME) + base64url_len(HEADER_LEN + MAX_PAYLOAD_LEN + TAG_LEN)`.
    const MAX_COOKIE_LEN: usize;
    /// Default cookie attributes for this session type.
    const ATTRIBUTES: CookieAttributes = CookieAttributes::SECURE_DEFAULTS;
}

/// Support for the derive's generated code. Not public API: it changes without
/// notice, which is why `session-derive` is pinned to an exact version.
#[doc(hidden)]
pub mod __private {
    pub use crate::cookie::{CookieAttributes, SameSite};
    pub use crate::size::{
        add, max, mul, schema_hash_bytes, schema_hash_leaf, schema_hash_u64, varint_len,
        MaxEncodedLen, SCHEMA_HASH_SEED,
    };
    pub use crate::wire::max_cookie_len;
    pub use crate::CookieSession;
    pub use core::option::Option::{None, Some};
    pub use std::borrow::Cow;

    /// Fails compilation (when evaluated in a free `const _: () = ...;` item)
    /// if the session's largest cookie exceeds its budget, with both numbers.
    pub const fn assert_cookie_fits(type_name: &str, max_cookie_len: usize, budget: usize) {
        if max_cookie_len <= budget {
            return;
        }
        let mut message = ConstMessage::new();
        message.push_str("session `");
        message.push_str(type_name);
        message.push_str("` can reach ");
        message.push_number(max_cookie_len);
        message.push_str(" bytes as a cookie, budget ");
        message.push_number(budget);
        message.push_str(
            " (browsers drop a cookie whose name + value exceed 4096 bytes); \
             lower a bound such as BoundedString<N> or BoundedVec<T, N>, or remove a field",
        );
        panic!("{}", message.as_str());
    }

    /// A fixed buffer to render a compile-time panic message (const fns cannot
    /// use `format!`).
    struct ConstMessage {
        bytes: [u8; 512],
        len: usize,
    }

    impl ConstMessage {
        const fn new() -> Self {
            ConstMessage {
                bytes: [0; 512],
                len: 0,
            }
        }

        const fn push_str(&mut self, text: &str) {
            let text = text.as_bytes();
            let mut i = 0;
            while i < text.len() && self.len < self.bytes.len() {
                self.bytes[self.len] = text[i];
                self.len += 1;
                i += 1;
            }
        }

        const fn push_number(&mut self, mut value: usize) {
            let mut digits = [0u8; 20];
            let mut count = 0;
            loop {
                digits[count] = b'0' + (value % 10) as u8;
                count += 1;
                value /= 10;
                if value == 0 {
                    break;
                }
            }
            while count > 0 && self.len < self.bytes.len() {
                count -= 1;
                self.bytes[self.len] = digits[count];
                self.len += 1;
            }
        }

        const fn as_str(&self) -> &str {
            match core::str::from_utf8(self.bytes.split_at(self.len).0) {
                Ok(text) => text,
                // Only reachable if a truncation split a multi-byte identifier.
                Err(_) => "a session can exceed its cookie budget",
            }
        }
    }
}
