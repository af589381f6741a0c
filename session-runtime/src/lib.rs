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

#[cfg(feature = "encrypted")]
mod aead;
mod bounded;
mod clock;
mod config;
mod cookie;
mod key;
mod reject;
mod session;
mod size;
mod wire;
// Web adapters (features `tower`, `axum`, `actix`, each enabling the internal
// `web` feature): docs/frameworks.md.
#[cfg(feature = "web")]
mod adapters;
#[cfg(feature = "web")]
mod csrf;
mod flash;

#[cfg(feature = "actix")]
pub use adapters::actix;
#[cfg(feature = "axum")]
pub use adapters::axum;
#[cfg(feature = "tower")]
pub use adapters::tower;
#[cfg(feature = "web")]
pub use adapters::{
    FinishError, FinishErrorKind, RequestSession, SessionSlot, SessionUnavailable, UnavailableKind,
};
pub use bounded::{BoundedString, BoundedVec, CapacityError};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    ConfigError, CookieMeta, SessionConfig, SessionConfigBuilder, StoreError, BROWSER_COOKIE_LIMIT,
    DEFAULT_ABSOLUTE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CLOCK_SKEW, DEFAULT_REFRESH_AFTER,
    MAX_CANDIDATE_COOKIES,
};
pub use cookie::{AttributeError, CookieAttributes, SameSite};
#[cfg(feature = "web")]
pub use csrf::{CsrfRandomnessError, CsrfToken};
pub use flash::Flash;
pub use key::{Key, KeyError, KeyId};
pub use reject::Rejection;
pub use session::{LoadStatus, Session, WriteReason};
pub use size::MaxEncodedLen;
pub use wire::{
    base64url_len, max_cookie_len, max_cookie_len_encrypted, AEAD_TAG_LEN, FORMAT_AES_256_GCM_SIV,
    FORMAT_HMAC_SHA256, HEADER_LEN, NONCE_LEN, TAG_LEN,
};

/// Derives [`CookieSession`] (and [`MaxEncodedLen`]) plus typed accessors on a
/// struct with named fields. See the crate README for every attribute.
#[cfg(feature = "derive")]
pub use session_derive::CookieSession;

/// Derives [`MaxEncodedLen`] for a struct or enum used inside a session.
#[cfg(feature = "derive")]
pub use session_derive::MaxEncodedLen;

/// A struct stored in a signed (or encrypted) cookie. Implement it with
/// `#[derive(CookieSession)]`, which also proves at compile time that
/// `MAX_COOKIE_LEN <= BUDGET`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a cookie session",
    label = "`{Self}` does not implement `CookieSession`",
    note = "add `#[derive(CookieSession)]` and `#[session(name = \"...\", version = N)]` to `{Self}`; a `migrate_from` type must be the previous version of the session, with the same cookie name"
)]
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
    /// `len(NAME) + base64url_len(HEADER_LEN + MAX_PAYLOAD_LEN + TAG_LEN)`, or
    /// with `NONCE_LEN + AEAD_TAG_LEN` in place of `TAG_LEN` when encrypted.
    const MAX_COOKIE_LEN: usize;
    /// Default cookie attributes for this session type.
    const ATTRIBUTES: CookieAttributes = CookieAttributes::SECURE_DEFAULTS;
    /// Whether cookies are encrypted (AES-256-GCM-SIV, feature `encrypted`)
    /// rather than only signed: `#[session(encrypted)]`.
    const ENCRYPTED: bool = false;

    /// The fingerprint expected for a cookie of `version`: this type's, or an
    /// older type's reached through `migrate_from`. Generated; do not override.
    #[doc(hidden)]
    fn __fingerprint_for(version: u16) -> Option<u64> {
        if version == Self::VERSION {
            Some(Self::SCHEMA_FINGERPRINT)
        } else {
            Self::__older_fingerprint(version)
        }
    }

    /// `migrate_from` hook: the older type's [`__fingerprint_for`](Self::__fingerprint_for).
    #[doc(hidden)]
    fn __older_fingerprint(_version: u16) -> Option<u64> {
        None
    }

    /// Decodes an authentic payload of `version`, migrating older versions.
    #[doc(hidden)]
    fn __decode_version(version: u16, payload: &[u8]) -> Result<Self, Rejection> {
        if version == Self::VERSION {
            config::decode_payload(payload)
        } else {
            Self::__decode_older(version, payload)
        }
    }

    /// `migrate_from` hook: decode with the older type, then convert with `From`.
    #[doc(hidden)]
    fn __decode_older(version: u16, _payload: &[u8]) -> Result<Self, Rejection> {
        Err(Rejection::WrongVersion {
            found: version,
            expected: Self::VERSION,
        })
    }

    /// The longest cookie of this type or of any older type it migrates from.
    #[doc(hidden)]
    fn __max_cookie_len_any_version() -> usize {
        Self::MAX_COOKIE_LEN
    }
}

/// Support for the derive's generated code. Not public API: it changes without
/// notice, which is why `session-derive` is pinned to an exact version.
#[doc(hidden)]
pub mod __private {
    pub use crate::cookie::{CookieAttributes, SameSite};
    pub use crate::reject::Rejection;
    pub use crate::size::{
        add, max, schema_hash_bytes, schema_hash_leaf, schema_hash_u64, varint_len, MaxEncodedLen,
    };
    pub use crate::wire::{max_cookie_len, max_cookie_len_encrypted};
    pub use crate::CookieSession;
    pub use core::option::Option::{self, None, Some};
    pub use core::result::Result;
    pub use std::borrow::Cow;

    /// Converts a session decoded with an older type (`migrate_from`); the
    /// `From` bound is stated here so a missing impl is reported once.
    pub fn convert_migrated<Older, Newer: From<Older>>(older: Older) -> Newer {
        Newer::from(older)
    }

    /// Fails compilation when a session asks for `encrypted` but the runtime
    /// was built without the `encrypted` feature.
    pub const fn require_encryption_feature(type_name: &str) {
        if cfg!(feature = "encrypted") {
            return;
        }
        let mut message = ConstMessage::new();
        message.push_str("session `");
        message.push_str(type_name);
        message.push_str(
            "` is `#[session(encrypted)]`, but session-runtime was built without its `encrypted` \
             feature; add `features = [\"encrypted\"]` to the session-runtime dependency",
        );
        panic!("{}", message.as_str());
    }

    /// Fails compilation unless `older` can migrate into `newer`: same cookie
    /// name, same protection, strictly older version.
    #[allow(clippy::too_many_arguments)]
    pub const fn assert_migration(
        newer: &str,
        newer_name: &str,
        newer_version: u16,
        newer_encrypted: bool,
        older: &str,
        older_name: &str,
        older_version: u16,
        older_encrypted: bool,
    ) {
        let mut message = ConstMessage::new();
        message.push_str("`migrate_from`: `");
        message.push_str(older);
        if older_version >= newer_version {
            message.push_str("` has version ");
            message.push_number(older_version as usize);
            message.push_str(", which is not older than version ");
            message.push_number(newer_version as usize);
            message.push_str(" of `");
            message.push_str(newer);
            message.push_str("`; each session version must be unique and increase");
            panic!("{}", message.as_str());
        }
        if !bytes_equal(newer_name.as_bytes(), older_name.as_bytes()) {
            message.push_str("` uses the cookie name `");
            message.push_str(older_name);
            message.push_str("` but `");
            message.push_str(newer);
            message.push_str("` uses `");
            message.push_str(newer_name);
            message.push_str(
                "`; the MAC binds a cookie to its name, so a migration needs the same name",
            );
            panic!("{}", message.as_str());
        }
        if newer_encrypted != older_encrypted {
            message.push_str("` and `");
            message.push_str(newer);
            message.push_str(
                "` differ in `encrypted`; a migration cannot change how cookies are protected",
            );
            panic!("{}", message.as_str());
        }
    }

    const fn bytes_equal(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

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
