use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

// `__Http-`: Secure and HttpOnly.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Http-app", version = 1, secure = false, http_only = false)]
pub struct HttpSession {
    user_id: u64,
}

// `__Host-Http-`: Secure, HttpOnly, Path=/ and no Domain, all reported together.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(
    name = "__Host-Http-app",
    version = 1,
    http_only = false,
    path = "/app",
    domain = "example.com"
)]
pub struct HostHttpSession {
    user_id: u64,
}

// Browsers match prefixes case-insensitively, and so do the rules.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__host-http-app", version = 1, http_only = false)]
pub struct LowerCaseSession {
    user_id: u64,
}

// `__Http-` leaves Path and Domain free: no error.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Http-scoped", version = 1, path = "/app", domain = "example.com")]
pub struct ScopedHttpSession {
    user_id: u64,
}

// The prefix alone names nothing.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Http-", version = 1)]
pub struct BareSession {
    user_id: u64,
}

fn main() {}
