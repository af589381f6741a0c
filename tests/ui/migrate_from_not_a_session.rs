use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(Serialize, Deserialize, Default)]
pub struct PlainOld {
    user_id: u32,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 2, migrate_from = PlainOld)]
pub struct AppSession {
    user_id: u64,
}

impl From<PlainOld> for AppSession {
    fn from(old: PlainOld) -> Self {
        AppSession { user_id: old.user_id.into() }
    }
}

fn main() {}
