//! CSRF tokens kept in the session (synchronizer token pattern, OWASP CSRF
//! cheat sheet): a [`CsrfToken`] of 32 random bytes lives in the session
//! cookie, forms carry its base64url text in a hidden `csrf_token` field (or
//! scripts send it in an `X-CSRF-Token` header), and unsafe requests whose
//! token does not match are refused with `403`. A cross-site page can make the
//! browser send the cookie, but cannot read the token to put in the form.
//!
//! The adapters check it for you: `session_runtime::axum::CsrfLayer` and
//! `session_runtime::actix::CsrfMiddleware` (docs/frameworks.md, "CSRF").

use core::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

use crate::size::MaxEncodedLen;

/// A CSRF token: 32 bytes from the operating system's random generator.
///
/// Store it in your session struct, either as a `CsrfToken` field or as the
/// `[u8; 32]` it converts to and from (both encode to the same 32 bytes, with
/// the same schema hash, so switching between them needs no version bump).
/// The all-zero value (the `Default`, what a fresh session holds) means "no
/// token yet" and never matches anything.
///
/// ```
/// use session_runtime::CsrfToken;
///
/// let token = CsrfToken::generate().unwrap();
/// let text = token.to_base64url(); // what the form or header carries
/// assert_eq!(text.len(), 43);
/// assert!(token.matches(&text));
/// assert!(!token.matches("forged"));
/// assert!(!CsrfToken::default().matches(&CsrfToken::default().to_base64url()));
/// ```
///
/// It has no `==`: comparing a secret byte by byte would take longer the more
/// leading bytes match. Compare a submitted token with
/// [`matches`](Self::matches), which runs in constant time.
#[derive(Clone, Copy, Default)]
pub struct CsrfToken([u8; 32]);

/// The operating system's random generator failed (no token was made).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg(feature = "random")]
pub struct CsrfRandomnessError(String);

#[cfg(feature = "random")]
impl fmt::Display for CsrfRandomnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the OS random generator failed to make a CSRF token: {}",
            self.0
        )
    }
}

#[cfg(feature = "random")]
impl std::error::Error for CsrfRandomnessError {}

impl CsrfToken {
    /// The form field the adapters read on `application/x-www-form-urlencoded`
    /// requests.
    pub const FORM_FIELD: &'static str = "csrf_token";
    /// The request header the adapters read first (for `fetch`/XHR).
    pub const HEADER: &'static str = "x-csrf-token";

    /// A new token from the operating system's random generator.
    #[cfg(feature = "random")]
    pub fn generate() -> Result<Self, CsrfRandomnessError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|err| CsrfRandomnessError(err.to_string()))?;
        Ok(CsrfToken(bytes))
    }

    /// Whether this is the all-zero "no token yet" value.
    pub fn is_unset(&self) -> bool {
        bool::from(self.0.ct_eq(&[0u8; 32]))
    }

    /// The token's raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The text form: 43 characters of unpadded base64url, safe unescaped in
    /// HTML attributes, URLs, form bodies and headers.
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// A hidden form field carrying the token:
    /// `<input type="hidden" name="csrf_token" value="...">`.
    pub fn hidden_input(&self) -> String {
        format!(
            r#"<input type="hidden" name="{}" value="{}">"#,
            Self::FORM_FIELD,
            self.to_base64url()
        )
    }

    /// Parses the text form; `None` for anything but 43 canonical base64url
    /// characters.
    pub fn from_base64url(text: &str) -> Option<Self> {
        if text.len() != 43 {
            return None;
        }
        let mut bytes = [0u8; 32];
        match URL_SAFE_NO_PAD.decode_slice(text, &mut bytes) {
            Ok(32) => Some(CsrfToken(bytes)),
            _ => None,
        }
    }

    /// Whether `submitted` (the text form from a form field or header) is this
    /// token, compared in constant time. An unset token never matches.
    pub fn matches(&self, submitted: &str) -> bool {
        let Some(submitted) = CsrfToken::from_base64url(submitted) else {
            return false;
        };
        !self.is_unset() && bool::from(self.0.ct_eq(&submitted.0))
    }
}

impl From<[u8; 32]> for CsrfToken {
    fn from(bytes: [u8; 32]) -> Self {
        CsrfToken(bytes)
    }
}

impl From<CsrfToken> for [u8; 32] {
    fn from(token: CsrfToken) -> Self {
        token.0
    }
}

/// Never prints the secret bytes.
impl fmt::Debug for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.is_unset() { "unset" } else { "set" };
        write!(f, "CsrfToken({state})")
    }
}

impl Serialize for CsrfToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CsrfToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <[u8; 32]>::deserialize(deserializer).map(CsrfToken)
    }
}

impl MaxEncodedLen for CsrfToken {
    const MAX_ENCODED_LEN: usize = <[u8; 32] as MaxEncodedLen>::MAX_ENCODED_LEN;
    const SCHEMA_HASH: u64 = <[u8; 32] as MaxEncodedLen>::SCHEMA_HASH;
}

/// A session type with a CSRF token field: a `CsrfToken` field, or a
/// `[u8; 32]` field marked `#[session(csrf)]`. `#[derive(CookieSession)]`
/// implements it; the CSRF layers of the web adapters need it, and
/// [`Session::renew`](crate::Session::renew) replaces the token through it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no CSRF token field",
    label = "the CSRF check needs to know where `{Self}` keeps its token",
    note = "add a field `csrf: session_runtime::CsrfToken` to `{Self}`, or mark a `[u8; 32]` field with `#[session(csrf)]`"
)]
pub trait CsrfSession: crate::session_type::CookieSession {
    /// The token the session holds (unset in a new session). Generated.
    #[doc(hidden)]
    fn __csrf_token(&self) -> CsrfToken;
    /// Replaces the token. Generated.
    #[doc(hidden)]
    fn __set_csrf_token(&mut self, token: CsrfToken);
}

/// A field type that can hold a CSRF token (derive support).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a `#[session(csrf)]` field must be a `CsrfToken` or a `[u8; 32]`, not `{Self}`",
    label = "not a CSRF token type"
)]
pub trait CsrfField {
    /// The token in the field.
    fn __get(&self) -> CsrfToken;
    /// Stores `token` in the field.
    fn __set(&mut self, token: CsrfToken);
}

impl CsrfField for CsrfToken {
    fn __get(&self) -> CsrfToken {
        *self
    }
    fn __set(&mut self, token: CsrfToken) {
        *self = token;
    }
}

impl CsrfField for [u8; 32] {
    fn __get(&self) -> CsrfToken {
        CsrfToken(*self)
    }
    fn __set(&mut self, token: CsrfToken) {
        *self = token.0;
    }
}

/// The token a renewed session gets: a new random one, or the unset token
/// (a new one is then made on the next safe request) when the build has no
/// random source (the codec core without the web adapters) or it failed.
#[doc(hidden)]
pub fn rotated_csrf_token() -> CsrfToken {
    #[cfg(feature = "random")]
    if let Ok(token) = CsrfToken::generate() {
        return token;
    }
    CsrfToken::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "random")]
    #[test]
    fn text_form_round_trips_and_rejects_non_canonical_text() {
        let token = CsrfToken::generate().unwrap();
        assert!(!token.is_unset());
        let text = token.to_base64url();
        let parsed = CsrfToken::from_base64url(&text).map(|parsed| *parsed.as_bytes());
        assert_eq!(parsed, Some(*token.as_bytes()));
        assert!(CsrfToken::from_base64url(&text[1..]).is_none());
        assert!(CsrfToken::from_base64url(&format!("{text}=")).is_none());
        let mut other = text.clone().into_bytes();
        other[0] = if other[0] == b'A' { b'B' } else { b'A' };
        assert!(!token.matches(core::str::from_utf8(&other).unwrap()));
        // Non-zero trailing bits are not canonical.
        let last = CsrfToken::from([0xff; 32]).to_base64url();
        assert!(last.ends_with('8'));
        assert!(CsrfToken::from_base64url(&last.replace('8', "9")).is_none());
    }

    #[test]
    fn postcard_encoding_equals_the_byte_array() {
        let token = CsrfToken::from([7; 32]);
        assert_eq!(
            postcard::to_allocvec(&token).unwrap(),
            postcard::to_allocvec(&[7u8; 32]).unwrap()
        );
    }
}
