use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 2)]
pub struct AppSessionV2 {
    user_id: u32,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 2, migrate_from = AppSessionV2)]
pub struct AppSession {
    user_id: u64,
}

impl From<AppSessionV2> for AppSession {
    fn from(old: AppSessionV2) -> Self {
        AppSession { user_id: old.user_id.into() }
    }
}

fn main() {}
