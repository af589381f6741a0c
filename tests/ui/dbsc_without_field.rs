// DBSC needs the session type to say where it keeps its device binding: a
// configuration that turns DBSC on for a type without a `DeviceBinding` field
// is a compile error naming the fix.
use serde::{Deserialize, Serialize};
use session_runtime::dbsc::DbscSettings;
use session_runtime::{CookieSession, Key, SessionConfig};

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-plain", version = 1)]
pub struct Plain {
    user_id: Option<u64>,
}

fn main() {
    let _ = SessionConfig::<Plain>::builder(Key::from_secret(&[1; 32]).unwrap())
        .dbsc(DbscSettings::new())
        .build();
}
