use session_runtime::CookieSession;

#[derive(CookieSession)]
#[session(name = "app", version = 1)]
pub union AppSession {
    id: u64,
    raw: [u8; 8],
}

fn main() {}
