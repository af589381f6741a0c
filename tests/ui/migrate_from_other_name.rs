use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "legacy", version = 1)]
pub struct Legacy {
    user_id: u32,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 2, migrate_from = Legacy)]
pub struct AppSession {
    user_id: u64,
}

impl From<Legacy> for AppSession {
    fn from(old: Legacy) -> Self {
        AppSession { user_id: old.user_id.into() }
    }
}

fn main() {}
