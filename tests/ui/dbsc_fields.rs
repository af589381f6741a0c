// Where a session keeps its device binding (DBSC: the state `renew()` starts
// over and the endpoints read and write): a `DeviceBinding` field, or a
// field marked `#[session(dbsc)]`. Ambiguous or impossible choices are errors
// at the field, as for the CSRF token.
use serde::{Deserialize, Serialize};
use session_runtime::dbsc::DeviceBinding;
use session_runtime::CookieSession;

// Two `DeviceBinding` fields and no marker: which one is bound?
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-two", version = 1)]
pub struct TwoBindings {
    device: DeviceBinding,
    other_device: DeviceBinding,
}

// A marked field must be a `DeviceBinding`.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-wrong", version = 1)]
pub struct WrongType {
    #[session(dbsc)]
    device: Option<[u8; 16]>,
}

// A skipped field never reaches the cookie.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-skipped", version = 1)]
pub struct Skipped {
    #[serde(skip)]
    device: DeviceBinding,
}

// `#[session(dbsc)]` takes no value.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-valued", version = 1)]
pub struct Valued {
    #[session(dbsc = "yes")]
    device: DeviceBinding,
}

// Marking one of two `DeviceBinding` fields resolves the ambiguity.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-marked", version = 1)]
pub struct Marked {
    #[session(dbsc)]
    device: DeviceBinding,
    previous_device: DeviceBinding,
}

fn main() {
    fn dbsc_session<T: session_runtime::dbsc::DbscSession>() {}
    dbsc_session::<Marked>();
}
