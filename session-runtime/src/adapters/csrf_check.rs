//! What the axum [`CsrfLayer`](super::axum::CsrfLayer) and the actix-web
//! [`CsrfMiddleware`](super::actix::CsrfMiddleware) share: their settings, and
//! every step of the check but reading the body, which each framework does its
//! own way.

use core::marker::PhantomData;

use super::error::SessionUnavailable;
use super::handle::RequestSession;
use super::slot::{extract_for_csrf, SessionSlot};
use crate::csrf::{CsrfSession, CsrfToken};

/// The largest form body read by default to find the token.
pub(crate) const DEFAULT_FORM_LIMIT: usize = 64 * 1024;

/// What a CSRF layer or middleware (and the service it makes) holds: how
/// much of a form body to read to find the token.
pub(crate) struct CsrfSettings<T> {
    pub form_limit: usize,
    _session: PhantomData<fn() -> T>,
}

impl<T> Clone for CsrfSettings<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for CsrfSettings<T> {}

impl<T> Default for CsrfSettings<T> {
    fn default() -> Self {
        CsrfSettings {
            form_limit: DEFAULT_FORM_LIMIT,
            _session: PhantomData,
        }
    }
}

/// `Clone`, `Debug`, `Default`, `new` and `form_limit` of a public CSRF type
/// `$name<T>` holding `settings: CsrfSettings<T>`; `$what` names it in the docs.
macro_rules! csrf_settings_impls {
    ($name:ident, $what:literal) => {
        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                $name {
                    settings: self.settings,
                }
            }
        }

        impl<T> core::fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("form_limit", &self.settings.form_limit)
                    .finish_non_exhaustive()
            }
        }

        impl<T: $crate::CsrfSession> Default for $name<T> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<T: $crate::CsrfSession> $name<T> {
            #[doc = concat!("A ", $what, " checking the token of session type `T` (its `CsrfToken` field, or the field marked `#[session(csrf)]`).")]
            pub fn new() -> Self {
                $name {
                    settings: Default::default(),
                }
            }

            /// The largest form body read to find the token (default 64 KiB).
            pub fn form_limit(mut self, bytes: usize) -> Self {
                self.settings.form_limit = bytes;
                self
            }
        }
    };
}
pub(crate) use csrf_settings_impls;

/// Whether a request method needs a token (RFC 9110 "safe" methods do not).
/// Takes the method's text, so `http` 0.2 (actix-web 4) and 1.x both fit.
pub(crate) fn method_needs_token(method: &str) -> bool {
    !matches!(method, "GET" | "HEAD" | "OPTIONS" | "TRACE")
}

/// Whether a `Content-Type` is a urlencoded form (parameters ignored).
fn is_form(content_type: &[u8]) -> bool {
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
fn token_in_form(body: &[u8]) -> Option<&str> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let (name, value) = pair.split_at(pair.iter().position(|b| *b == b'=')?);
        (name == CsrfToken::FORM_FIELD.as_bytes())
            .then(|| core::str::from_utf8(&value[1..]).ok())
            .flatten()
    })
}

/// Why the CSRF check stopped a request; each adapter renders it.
pub(crate) enum Refusal {
    /// No session to check against (already logged).
    Session(SessionUnavailable),
    /// No token could be made (already logged): 500.
    Randomness,
    /// Missing or wrong token: 403.
    Forbidden,
    /// The form body is over the limit: 413.
    TooLarge,
}

impl Refusal {
    pub(crate) const FORBIDDEN_BODY: &'static str =
        "CSRF token missing or invalid: reload the page and try again";
    pub(crate) const TOO_LARGE_BODY: &'static str = "form body too large to check its CSRF token";
}

/// The token the session holds, made on the first safe request that has
/// none; `session` is dropped (its change published) on return.
fn current_token<T: CsrfSession>(
    session: Result<RequestSession<T>, SessionUnavailable>,
    method: &str,
) -> Result<CsrfToken, Refusal> {
    let mut session = session.map_err(Refusal::Session)?;
    let token = session.__csrf_token();
    if !token.is_unset() || method_needs_token(method) {
        return Ok(token);
    }
    match CsrfToken::generate() {
        Ok(token) => {
            session.get_mut().__set_csrf_token(token);
            Ok(token)
        }
        Err(err) => {
            tracing::error!("session-runtime: {err}");
            Err(Refusal::Randomness)
        }
    }
}

/// The token a request must carry: `None` for a safe method, which passes
/// (its session got a token first, if it had none), or why it is refused.
pub(crate) async fn expected_token<T: CsrfSession>(
    slot: Option<SessionSlot<T>>,
    method: &str,
) -> Result<Option<CsrfToken>, Refusal> {
    let expected = current_token(extract_for_csrf(slot).await, method)?;
    Ok(method_needs_token(method).then_some(expected))
}

/// The verdict on the `X-CSRF-Token` header if there is one, else `None`
/// when the body is a urlencoded form (to be read, see [`form_verdict`]);
/// anything else carries no token. Takes header bytes, so `http` 0.2
/// (actix-web 4) and 1.x both fit.
pub(crate) fn header_verdict(
    expected: &CsrfToken,
    header: Option<&[u8]>,
    content_type: Option<&[u8]>,
) -> Option<Result<(), Refusal>> {
    match header {
        Some(value) => Some(verdict(
            core::str::from_utf8(value).is_ok_and(|text| expected.matches(text)),
        )),
        None if content_type.is_some_and(is_form) => None,
        None => Some(verdict(false)),
    }
}

/// The verdict on the `csrf_token` field of a urlencoded form body.
pub(crate) fn form_verdict(expected: &CsrfToken, body: &[u8]) -> Result<(), Refusal> {
    verdict(token_in_form(body).is_some_and(|text| expected.matches(text)))
}

fn verdict(ok: bool) -> Result<(), Refusal> {
    if ok {
        Ok(())
    } else {
        Err(Refusal::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
