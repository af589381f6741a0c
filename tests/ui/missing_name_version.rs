use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(budget = 2048)]
pub struct AppSession {
    user_id: u64,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
pub struct NoAttribute {
    user_id: u64,
}

fn main() {}
