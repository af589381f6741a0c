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

// The codec core: no `http`, builds for wasm32-unknown-unknown
// (docs/architecture.md has the module map).
mod bounded;
mod clock;
mod codec;
mod key;
mod limits;
mod reject;
mod session_type;
mod size;
pub mod wire;

// Policy and the request/response pipeline.
mod config;
mod cookie;
#[cfg(feature = "http")]
mod http;
mod load;
mod session;
mod store;

// Web adapters (features `tower`, `axum`, `actix`): docs/frameworks.md.
#[cfg(any(feature = "tower", feature = "actix"))]
mod adapters;

#[cfg(feature = "actix")]
pub use adapters::actix;
#[cfg(feature = "axum")]
pub use adapters::axum;
#[cfg(feature = "tower")]
pub use adapters::tower;
#[cfg(any(feature = "tower", feature = "actix"))]
pub use adapters::{RequestSession, SessionSlot, SessionUnavailable, UnavailableKind};
pub use bounded::{BoundedString, BoundedVec, CapacityError};
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub use clock::SystemClock;
pub use clock::{Clock, ManualClock};
pub use config::{
    ConfigError, CookieMeta, SessionConfig, SessionConfigBuilder, DEFAULT_ABSOLUTE_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CLOCK_SKEW, DEFAULT_REFRESH_AFTER,
};
pub use cookie::{AttributeError, CookieAttributes, SameSite};
pub use key::{Key, KeyError, KeyId, KeyRole};
pub use limits::BROWSER_COOKIE_LIMIT;
pub use load::{MAX_CANDIDATE_COOKIES, MAX_VERIFIED_CANDIDATES};
pub use reject::{PayloadError, Rejection};
pub use session::{LoadStatus, Session, WriteReason};
pub use session_type::CookieSession;
pub use size::MaxEncodedLen;
pub use store::StoreError;

/// Derives [`CookieSession`] (and [`MaxEncodedLen`]) plus typed accessors on a
/// struct with named fields. See the crate README for every attribute.
#[cfg(feature = "derive")]
pub use session_derive::CookieSession;

/// Derives [`MaxEncodedLen`] for a struct or enum used inside a session.
#[cfg(feature = "derive")]
pub use session_derive::MaxEncodedLen;

// Wire-format numbers used to live at the crate root; they moved to
// [`wire`] so the root does not freeze the format. Kept, deprecated, for one
// release.
#[doc(hidden)]
#[deprecated(
    since = "0.2.0",
    note = "moved to `session_runtime::wire::FORMAT_HMAC_SHA256`"
)]
pub const FORMAT_HMAC_SHA256: u8 = wire::FORMAT_HMAC_SHA256;
#[doc(hidden)]
#[deprecated(
    since = "0.2.0",
    note = "moved to `session_runtime::wire::FORMAT_AES_256_GCM_SIV`"
)]
pub const FORMAT_AES_256_GCM_SIV: u8 = wire::FORMAT_AES_256_GCM_SIV;
#[doc(hidden)]
#[deprecated(since = "0.2.0", note = "moved to `session_runtime::wire::HEADER_LEN`")]
pub const HEADER_LEN: usize = wire::HEADER_LEN;
#[doc(hidden)]
#[deprecated(since = "0.2.0", note = "moved to `session_runtime::wire::TAG_LEN`")]
pub const TAG_LEN: usize = wire::TAG_LEN;
#[doc(hidden)]
#[deprecated(since = "0.2.0", note = "moved to `session_runtime::wire::NONCE_LEN`")]
pub const NONCE_LEN: usize = wire::NONCE_LEN;
#[doc(hidden)]
#[deprecated(
    since = "0.2.0",
    note = "moved to `session_runtime::wire::AEAD_TAG_LEN`"
)]
pub const AEAD_TAG_LEN: usize = wire::AEAD_TAG_LEN;
#[doc(hidden)]
#[deprecated(
    since = "0.2.0",
    note = "moved to `session_runtime::wire::base64url_len`"
)]
pub const fn base64url_len(bytes: usize) -> usize {
    wire::base64url_len(bytes)
}
#[doc(hidden)]
#[deprecated(
    since = "0.2.0",
    note = "use `session_runtime::wire::max_cookie_len(name_len, payload_len, wire::SIGNED_OVERHEAD)`"
)]
pub const fn max_cookie_len(name_len: usize, max_payload_len: usize) -> usize {
    wire::max_cookie_len(name_len, max_payload_len, wire::SIGNED_OVERHEAD)
}
#[doc(hidden)]
#[deprecated(
    since = "0.2.0",
    note = "use `session_runtime::wire::max_cookie_len(name_len, payload_len, wire::ENCRYPTED_OVERHEAD)`"
)]
pub const fn max_cookie_len_encrypted(name_len: usize, max_payload_len: usize) -> usize {
    wire::max_cookie_len(name_len, max_payload_len, wire::ENCRYPTED_OVERHEAD)
}

/// Support for the derive's generated code. Not public API: it changes without
/// notice, which is why `session-derive` is pinned to an exact version.
#[doc(hidden)]
pub mod __private {
    pub use crate::codec::envelope::{Envelope, RandomnessUnavailable, Seal};
    pub use crate::codec::hmac_sha256::HmacSha256;
    pub use crate::codec::max_cookie_len;
    pub use crate::cookie::{CookieAttributes, SameSite};
    pub use crate::reject::Rejection;
    pub use crate::session_type::VersionChain;
    use crate::session_type::{decode_own, own_fingerprint};
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

    /// Decodes `payload` of `version` as `Newer` or, for an older version,
    /// through `Older`'s chain and `From` (`migrate_from`); the `From` bound is
    /// stated here so a missing impl is reported once.
    pub fn decode_migrated<Newer, Older>(version: u16, payload: &[u8]) -> Result<Newer, Rejection>
    where
        Newer: CookieSession + From<Older>,
        Older: CookieSession,
    {
        if version == Newer::VERSION {
            decode_own::<Newer>(version, payload)
        } else {
            Older::__decode_version(version, payload).map(Newer::from)
        }
    }

    /// The fingerprint of `version` for `Newer` or, through `migrate_from`,
    /// `Older`'s chain.
    pub fn migrated_fingerprint<Newer: CookieSession, Older: CookieSession>(
        version: u16,
    ) -> Option<u64> {
        own_fingerprint::<Newer>(version).or_else(|| Older::__fingerprint_for(version))
    }
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
