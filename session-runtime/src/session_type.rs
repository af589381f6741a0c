//! The trait a session struct implements (through `#[derive(CookieSession)]`),
//! with the hidden hooks the derive fills in for `migrate_from`.

use crate::codec::{payload, Envelope};
use crate::cookie::CookieAttributes;
use crate::reject::Rejection;
use crate::size::MaxEncodedLen;

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
    /// `len(NAME) + base64url_len(MAX_PAYLOAD_LEN + overhead)`, where the
    /// overhead is the envelope's header, nonce and tag
    /// ([`wire`](crate::wire) has the numbers).
    const MAX_COOKIE_LEN: usize;
    /// How many cookies the session may be spread over: 1, or the `N` of
    /// `#[session(chunks = N)]` (docs/wire-format.md, "Chunked sessions").
    const CHUNKS: usize = 1;
    /// The largest `Σ len(name) + len(value)` over the session's cookies: its
    /// one cookie, or all its chunks — what a browser's per-partition cookie
    /// limit counts.
    const MAX_TOTAL_LEN: usize = Self::MAX_COOKIE_LEN;
    /// Default cookie attributes for this session type.
    const ATTRIBUTES: CookieAttributes = CookieAttributes::SECURE_DEFAULTS;
    /// Whether cookies are encrypted (AES-256-GCM-SIV, feature `encrypted`)
    /// rather than only signed: `#[session(encrypted)]`. Follows from
    /// [`Envelope`](Self::Envelope).
    const ENCRYPTED: bool = <Self::Envelope as Envelope>::ENCRYPTED;
    /// How the cookie value is protected; the derive picks it from
    /// `#[session(encrypted)]`. Not meant to be named by applications.
    #[doc(hidden)]
    type Envelope: Envelope;

    // The `migrate_from` hooks. They stay hidden items of this trait rather
    // than a supertrait: called as `<Older as CookieSession>::__hook`, every
    // use in generated code has the same obligation, so a `migrate_from` type
    // that is not a session is one error (measured with a supertrait: five).

    /// The fingerprint expected for a cookie of `version`, if readable.
    /// Generated; do not override.
    #[doc(hidden)]
    fn __fingerprint_for(version: u16) -> Option<u64> {
        own_fingerprint::<Self>(version)
    }

    /// Decodes an authentic payload of `version`, migrating older versions.
    #[doc(hidden)]
    #[inline]
    fn __decode_version(version: u16, payload: &[u8]) -> Result<Self, Rejection> {
        decode_own::<Self>(version, payload)
    }

    /// The longest cookie of this type or of any older type it migrates from.
    #[doc(hidden)]
    fn __max_cookie_len_any_version() -> usize {
        Self::MAX_COOKIE_LEN
    }

    /// Replaces the session's CSRF token (its `CsrfToken` field, or the
    /// field marked `#[session(csrf)]`) with a new random one, for
    /// `Session::renew`. Generated; without such a field it does nothing.
    #[doc(hidden)]
    fn __rotate_csrf_token(&mut self) {}

    /// Starts the session's device binding over (its `DeviceBinding` field,
    /// or the field marked `#[session(dbsc)]`), for `Session::renew`: a new
    /// pending binding at `now` (Unix seconds) when the configuration binds
    /// sessions to devices, none when `now` is `None`. Generated; without
    /// such a field it does nothing.
    #[doc(hidden)]
    fn __restart_device_binding(&mut self, _now: Option<u64>) {}
}

/// `T`'s fingerprint when `version` is its own (derive support).
#[doc(hidden)]
pub fn own_fingerprint<T: CookieSession>(version: u16) -> Option<u64> {
    (version == T::VERSION).then_some(T::SCHEMA_FINGERPRINT)
}

/// Decodes `payload` as `T` when `version` is `T`'s own (derive support).
#[doc(hidden)]
#[inline]
pub fn decode_own<T: CookieSession>(version: u16, payload: &[u8]) -> Result<T, Rejection> {
    if version == T::VERSION {
        payload::deserialize(payload)
    } else {
        Err(Rejection::WrongVersion {
            found: version,
            expected: T::VERSION,
        })
    }
}
