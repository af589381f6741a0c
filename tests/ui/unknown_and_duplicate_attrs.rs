use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "app", version = 1, version = 2, max_age = 3600, nmae = "x")]
pub struct AppSession {
    user_id: u64,
}

fn main() {}
