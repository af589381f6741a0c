use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 1, budget = 8192)]
pub struct AppSession {
    user_id: u64,
}

fn main() {
    // The fallback impl keeps this line free of follow-on errors.
    let mut session = AppSession::default();
    session.set_user_id(1);
    let _ = session.user_id();
}
