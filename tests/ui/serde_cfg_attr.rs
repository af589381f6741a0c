// rustc evaluates `cfg_attr` before it calls a derive: a serde attribute under
// a true predicate is checked like a plain one, under a false one it does not
// exist (`NotApplied` compiles; `tests/serde_layouts.rs` pins that it is
// unchanged).
use serde::{Deserialize, Serialize};
use session_runtime::{CookieSession, MaxEncodedLen};

#[derive(MaxEncodedLen, Serialize, Deserialize, Default)]
pub struct NotApplied {
    #[cfg_attr(any(), serde(skip_serializing))]
    a: u8,
}

#[derive(MaxEncodedLen, Serialize, Deserialize)]
#[cfg_attr(all(), serde(untagged))]
pub enum Applied {
    #[cfg_attr(all(), serde(skip_deserializing))]
    A(u8),
    B,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "app", version = 1)]
#[cfg_attr(all(), serde(tag = "type"))]
pub struct AppSession {
    #[cfg_attr(all(), serde(skip_serializing_if = "Option::is_none"))]
    user_id: Option<u32>,
    #[cfg_attr(not(any()), serde(flatten))]
    nested: NotApplied,
}

fn main() {}
