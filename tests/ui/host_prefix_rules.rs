use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 1, path = "/app", domain = "example.com")]
pub struct HostSession {
    user_id: u64,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Secure-app", version = 1, secure = false)]
pub struct SecureSession {
    user_id: u64,
}

fn main() {}
