// The device binding's 51 bytes count toward the compile-time size bound like
// any field's, and the over-budget error names the field that holds them.
use serde::{Deserialize, Serialize};
use session_runtime::dbsc::DeviceBinding;
use session_runtime::{BoundedString, CookieSession};

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-small", version = 1, budget = 128)]
pub struct SmallSession {
    user_id: Option<u64>,
    device: DeviceBinding,
    note: BoundedString<16>,
}

fn main() {}
