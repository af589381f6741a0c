// `from`, `try_from` and `into` put another type's bytes in the cookie.
use serde::{Deserialize, Serialize};
use session_runtime::{CookieSession, MaxEncodedLen};

#[derive(Serialize, Deserialize, Clone, Default)]
pub struct Wire {
    id: u64,
}

#[derive(MaxEncodedLen, Serialize, Deserialize, Clone, Default)]
#[serde(from = "Wire", into = "Wire")]
pub struct Converted {
    id: u64,
}

impl From<Wire> for Converted {
    fn from(wire: Wire) -> Self {
        Converted { id: wire.id }
    }
}

impl From<Converted> for Wire {
    fn from(value: Converted) -> Self {
        Wire { id: value.id }
    }
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "app", version = 1)]
#[serde(try_from = "Wire")]
pub struct AppSession {
    id: u64,
}

impl TryFrom<Wire> for AppSession {
    type Error = String;
    fn try_from(wire: Wire) -> Result<Self, String> {
        Ok(AppSession { id: wire.id })
    }
}

fn main() {}
