use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 1)]
pub struct AppSession {
    status: u8,
}

fn main() {}
