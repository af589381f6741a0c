// A field whose accessor would take the name of a session-handle method is
// refused at the field: through `Session<T>`, `session.status()` would call
// the handle's method, not the accessor.
use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 1)]
pub struct AppSession {
    status: u8,
    get: u8,
    lifetime: u32,
    config: bool,
    into: u8,
    flash: Option<u8>, // no clash: the handle has no `flash` method
    created_at: u64,
    ok: bool,
}

// Two fields whose accessors collide with each other.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-other", version = 1)]
pub struct Colliding {
    theme: u8,
    set_theme: u8,
    theme_mut: u8,
}

fn main() {
    // No follow-on errors: the accessors that do not clash exist.
    let mut session = AppSession::default();
    session.set_ok(true);
    let _ = session.ok();
    let _ = Colliding::default().theme();
}
