use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "app", version = 1, secure = false, same_site = "None")]
pub struct AppSession {
    user_id: u64,
}

fn main() {}
