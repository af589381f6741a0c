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

use crate::MaxEncodedLen;

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
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct CsrfToken([u8; 32]);

/// The operating system's random generator failed (no token was made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfRandomnessError(String);

impl fmt::Display for CsrfRandomnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the OS random generator failed to make a CSRF token: {}",
            self.0
        )
    }
}

impl std::error::Error for CsrfRandomnessError {}

impl CsrfToken {
    /// The form field the adapters read on `application/x-www-form-urlencoded`
    /// requests.
    pub const FORM_FIELD: &'static str = "csrf_token";
    /// The request header the adapters read first (for `fetch`/XHR).
    pub const HEADER: &'static str = "x-csrf-token";

    /// A new token from the operating system's random generator.
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

// The helpers below serve the axum and actix checks (not `tower` alone).

/// Whether a request method needs a token (RFC 9110 "safe" methods do not).
/// Takes the method's text, so `http` 0.2 (actix-web 4) and 1.x both fit.
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn method_needs_token(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// Whether a `Content-Type` is a urlencoded form (parameters ignored).
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn is_form(content_type: &[u8]) -> bool {
    let essence = content_type
        .split(|b| *b == b';')
        .next()
        .unwrap_or_default();
    essence
        .trim_ascii()
        .eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
}

/// The `csrf_token` value of a urlencoded body. A valid token is 43
/// unreserved characters, which browsers never percent-encode, so the raw
/// value is compared; anything encoded is not a token.
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) fn token_in_form(body: &[u8]) -> Option<&str> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let (name, value) = pair.split_at(pair.iter().position(|b| *b == b'=')?);
        (name == CsrfToken::FORM_FIELD.as_bytes())
            .then(|| core::str::from_utf8(&value[1..]).ok())
            .flatten()
    })
}

/// Why the CSRF check stopped a request; each adapter renders it.
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) enum Refusal {
    /// No session to check against (already logged).
    Session(crate::SessionUnavailable),
    /// No token could be made (already logged): 500.
    Randomness,
    /// Missing or wrong token: 403.
    Forbidden,
    /// The form body is over the limit: 413.
    TooLarge,
}

#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
impl Refusal {
    pub(crate) const FORBIDDEN_BODY: &'static str =
        "CSRF token missing or invalid: reload the page and try again";
    pub(crate) const TOO_LARGE_BODY: &'static str = "form body too large to check its CSRF token";

    /// The token the session holds, made on the first safe request that has
    /// none; `session` is dropped (its change published) on return.
    pub(crate) fn current_token<T: crate::CookieSession>(
        session: Result<crate::RequestSession<T>, crate::SessionUnavailable>,
        field: TokenField<T>,
        method: &str,
    ) -> Result<CsrfToken, Refusal> {
        let mut session = session.map_err(Refusal::Session)?;
        let token = (field.get)(&session);
        if !token.is_unset() || method_needs_token(method) {
            return Ok(token);
        }
        match CsrfToken::generate() {
            Ok(token) => {
                (field.set)(session.get_mut(), token);
                Ok(token)
            }
            Err(err) => {
                tracing::error!("session-runtime: {err}");
                Err(Refusal::Randomness)
            }
        }
    }
}

/// How the adapters read and write the token field of a session `T`.
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) struct TokenField<T> {
    pub get: fn(&T) -> CsrfToken,
    pub set: fn(&mut T, CsrfToken),
}

impl<T> Clone for TokenField<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for TokenField<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_and_rejects_non_canonical_text() {
        let token = CsrfToken::generate().unwrap();
        assert!(!token.is_unset());
        let text = token.to_base64url();
        assert_eq!(CsrfToken::from_base64url(&text), Some(token));
        assert_eq!(CsrfToken::from_base64url(&text[1..]), None);
        assert_eq!(CsrfToken::from_base64url(&format!("{text}=")), None);
        let mut other = text.clone().into_bytes();
        other[0] = if other[0] == b'A' { b'B' } else { b'A' };
        assert!(!token.matches(core::str::from_utf8(&other).unwrap()));
        // Non-zero trailing bits are not canonical.
        let last = CsrfToken::from([0xff; 32]).to_base64url();
        assert!(last.ends_with('8'));
        assert_eq!(CsrfToken::from_base64url(&last.replace('8', "9")), None);
    }

    #[test]
    fn form_fields_and_content_types() {
        let token = "a".repeat(43);
        let body = format!("item=fig&csrf_token={token}&x=1");
        assert_eq!(token_in_form(body.as_bytes()), Some(token.as_str()));
        assert_eq!(token_in_form(b"csrf_tokenx=1&item"), None);
        assert_eq!(token_in_form(b"csrf_token"), None);
        assert!(is_form(b"application/x-www-form-urlencoded; charset=UTF-8"));
        assert!(!is_form(b"multipart/form-data; boundary=x"));
        assert!(method_needs_token("DELETE"));
        assert!(!method_needs_token("HEAD"));
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
