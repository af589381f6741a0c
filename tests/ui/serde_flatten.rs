use serde::{Deserialize, Serialize};
use session_runtime::{CookieSession, MaxEncodedLen};

#[derive(MaxEncodedLen, Serialize, Deserialize, Default)]
pub struct Inner {
    a: u8,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "app", version = 1)]
pub struct AppSession {
    #[serde(flatten)]
    inner: Inner,
    #[serde(skip_serializing_if = "Option::is_none")]
    maybe: Option<u8>,
}

fn main() {}
