use serde::{Deserialize, Serialize};
use session_runtime::{BoundedString, BoundedVec, CookieSession};

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 2)]
pub struct AppSession {
    user_id: Option<u64>,
    bio: BoundedString<3040>,
    roles: BoundedVec<u16, 8>,
}

fn main() {}
