use session_runtime::CookieSession;

#[derive(CookieSession)]
#[session(name = "app", version = 1)]
pub enum AppSession {
    Anonymous,
    User(u64),
}

fn main() {}
