// Enum representations other than serde's default (externally tagged) need a
// self-describing format or change the layout: refused at the key, on the
// session struct and on nested `MaxEncodedLen` types alike.
use serde::{Deserialize, Serialize};
use session_runtime::{CookieSession, MaxEncodedLen};

#[derive(MaxEncodedLen, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Internal {
    A { x: u8 },
    B,
}

#[derive(MaxEncodedLen, Serialize, Deserialize)]
#[serde(tag = "t", content = "c")]
pub enum Adjacent {
    A(u8),
    B,
}

#[derive(MaxEncodedLen, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Untagged {
    A(u8),
    B(u16),
}

#[derive(MaxEncodedLen, Serialize, Deserialize)]
pub enum PartlyUntagged {
    A(u8),
    #[serde(untagged)]
    B(u16),
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "app", version = 1)]
#[serde(tag = "type")]
pub struct AppSession {
    user_id: u64,
}

fn main() {}
