use serde::Serialize;
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Default)]
#[session(name = "__Host-app", version = 1)]
pub struct AppSession {
    user_id: Option<u64>,
}

fn main() {}
