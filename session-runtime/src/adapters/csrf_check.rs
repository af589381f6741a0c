//! What the axum [`CsrfLayer`](super::axum::CsrfLayer) and the actix-web
//! [`CsrfMiddleware`](super::actix::CsrfMiddleware) share: their settings, and
//! every step of the check but reading the body, which each framework does its
//! own way.

use super::{extract, SessionSlot};
use crate::csrf::{is_form, method_needs_token, token_in_form, Refusal, TokenField};
use crate::{CookieSession, CsrfToken};

/// The largest form body read by default to find the token.
pub(crate) const DEFAULT_FORM_LIMIT: usize = 64 * 1024;

/// What a CSRF layer or middleware (and the service it makes) holds: where
/// the token lives, and how much of a form body to read to find it.
pub(crate) struct CsrfSettings<T> {
    pub field: TokenField<T>,
    pub form_limit: usize,
}

impl<T> Clone for CsrfSettings<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for CsrfSettings<T> {}

impl<T> CsrfSettings<T> {
    /// The token read with `get` and stored with `set`; the default form limit.
    pub(crate) fn new(get: fn(&T) -> CsrfToken, set: fn(&mut T, CsrfToken)) -> Self {
        CsrfSettings {
            field: TokenField { get, set },
            form_limit: DEFAULT_FORM_LIMIT,
        }
    }
}

/// `Clone`, `Debug`, `new` and `form_limit` of a public CSRF type `$name<T>`
/// holding `settings: CsrfSettings<T>`; `$what` names it in the docs.
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

        impl<T: $crate::CookieSession> $name<T> {
            #[doc = concat!("A ", $what, " reading the token with `get` and storing a new one with `set`.")]
            pub fn new(get: fn(&T) -> $crate::CsrfToken, set: fn(&mut T, $crate::CsrfToken)) -> Self {
                $name {
                    settings: $crate::adapters::csrf_check::CsrfSettings::new(get, set),
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

/// The token a request must carry: `None` for a safe method, which passes
/// (its session got a token first, if it had none), or why it is refused.
pub(crate) async fn expected_token<T: CookieSession>(
    slot: Option<SessionSlot<T>>,
    field: TokenField<T>,
    method: &str,
) -> Result<Option<CsrfToken>, Refusal> {
    let expected = Refusal::current_token(extract(slot).await, field, method)?;
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
