use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 1)]
pub struct AppSession {
    roles: Vec<u16>,
    prefs: HashMap<u8, u8>,
}

fn main() {}
