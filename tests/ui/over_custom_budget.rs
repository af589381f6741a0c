use serde::{Deserialize, Serialize};
use session_runtime::{BoundedString, CookieSession};

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "id", version = 1, budget = 256)]
pub struct Small {
    note: BoundedString<200>,
}

fn main() {}
