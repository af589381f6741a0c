use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "my session;", version = 1)]
pub struct AppSession {
    user_id: u64,
}

fn main() {}
