// One-sided skips make encode and decode disagree: refused, naming `skip`.
use serde::{Deserialize, Serialize};
use session_runtime::{CookieSession, MaxEncodedLen};

#[derive(MaxEncodedLen, Serialize, Deserialize, Default)]
pub struct Nested {
    #[serde(skip_serializing)]
    a: u8,
    b: u8,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "app", version = 1)]
pub struct AppSession {
    #[serde(skip_deserializing)]
    cart_open: bool,
    #[serde(skip_serializing)]
    user_id: Option<u32>,
    nested: Nested,
}

fn main() {}
