// Accessors take their field's visibility: a private field's accessors exist
// only inside the module that defines the session.
mod session {
    use serde::{Deserialize, Serialize};
    use session_runtime::CookieSession;

    #[derive(CookieSession, Serialize, Deserialize, Default)]
    #[session(name = "__Host-app", version = 1)]
    pub struct AppSession {
        pub user_id: Option<u64>,
        secret: u8,
    }
}

fn main() {
    let mut data = session::AppSession::default();
    data.set_user_id(Some(1));
    let _ = data.user_id_mut();
    let _ = data.secret();
    data.set_secret(2);
    let _ = data.secret_mut();
}
