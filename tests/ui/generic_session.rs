use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "app", version = 1)]
pub struct AppSession<T> {
    value: T,
}

fn main() {}
