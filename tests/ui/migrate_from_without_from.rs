use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 1)]
pub struct AppSessionV1 {
    user_id: u32,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 2, migrate_from = AppSessionV1)]
pub struct AppSession {
    user_id: u64,
}

fn main() {}
