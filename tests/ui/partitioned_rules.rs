use serde::{Deserialize, Serialize};
use session_runtime::CookieSession;

// The default SameSite=Lax never reaches a cross-site frame.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-embed", version = 1, partitioned)]
pub struct LaxByDefault {
    user_id: u64,
}

// Nor does an explicit Strict (reported at the value).
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-embed", version = 1, same_site = "Strict", partitioned = true)]
pub struct Strict {
    user_id: u64,
}

// Partitioned needs Secure, as SameSite=None does: both reported.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "embed", version = 1, partitioned, same_site = "None", secure = false)]
pub struct Insecure {
    user_id: u64,
}

// Written twice.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-embed", version = 1, same_site = "None", partitioned, partitioned = false)]
pub struct Twice {
    user_id: u64,
}

// What works: no error.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-Http-embed", version = 1, same_site = "None", partitioned)]
pub struct Embedded {
    user_id: u64,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "app", version = 1, partitioned = false)]
pub struct NotPartitioned {
    user_id: u64,
}

fn main() {}
