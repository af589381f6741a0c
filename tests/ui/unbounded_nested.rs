use serde::{Deserialize, Serialize};
use session_runtime::{CookieSession, MaxEncodedLen};

#[derive(MaxEncodedLen, Serialize, Deserialize, Default)]
pub struct Profile {
    nickname: String,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 1)]
pub struct AppSession {
    profile: Profile,
}

fn main() {}
