// Where a session keeps its CSRF token (the one `renew()` replaces and the
// CSRF layers check): a `CsrfToken` field, or a field marked
// `#[session(csrf)]`. Ambiguous or impossible choices are errors at the field.
use serde::{Deserialize, Serialize};
use session_runtime::{CookieSession, CsrfToken};

// Two `CsrfToken` fields and no marker: which one is the session's token?
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-two", version = 1)]
pub struct TwoTokens {
    csrf: CsrfToken,
    api_token: CsrfToken,
}

// A marked field must hold 32 bytes.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-wrong", version = 1)]
pub struct WrongType {
    #[session(csrf)]
    csrf: [u8; 16],
}

// A skipped field never reaches the cookie.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-skipped", version = 1)]
pub struct Skipped {
    #[serde(skip)]
    csrf: CsrfToken,
}

// `csrf` is the only field-level key.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-unknown", version = 1)]
pub struct UnknownKey {
    #[session(token)]
    csrf: [u8; 32],
}

// Marking one of two `CsrfToken` fields resolves the ambiguity.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-marked", version = 1)]
pub struct Marked {
    #[session(csrf)]
    csrf: CsrfToken,
    api_token: CsrfToken,
}

fn main() {
    fn csrf_session<T: session_runtime::CsrfSession>() {}
    csrf_session::<Marked>();
}
