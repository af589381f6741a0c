// The common case: the struct is missing `Serialize` and the app goes on to
// use it with `SessionConfig`.
use serde::Deserialize;
use session_runtime::{CookieSession, Key, SessionConfig};

#[derive(CookieSession, Deserialize, Default)]
#[session(name = "__Host-app", version = 1)]
pub struct AppSession {
    user_id: Option<u64>,
}

fn main() {
    let config = SessionConfig::<AppSession>::new(Key::from_secret(&[7; 32]).unwrap()).unwrap();
    let cookie = config.encode(&AppSession::default()).unwrap();
    let session = config.decode(cookie.as_bytes()).unwrap();
    let _ = session.user_id();
}
