//! The HTTP benchmark's applications (`src/bin/http_app.rs` serves them under wrk,
//! `examples/http_inproc.rs` drives them in-process): one app, the same routes and
//! bodies, in axum 0.8 and in actix-web 4, each without a session, with the floor layer,
//! with our layer, and with the framework's usual session crate.
//!
//! Routes (GET, so wrk can drive them without a body):
//! - `/login`: writes a session with a user (gives the client its cookie);
//! - `/read`: loads the session and renders it; sends no `Set-Cookie` (case a);
//! - `/write`: loads the session, increments the counter, stores it (case b).

pub mod actix_apps;
pub mod axum_apps;
pub mod floor_actix;
pub mod floor_layer;

use serde::{Deserialize, Serialize};
use session_runtime::{
    BoundedString, BoundedVec, CookieSession, Key, MaxEncodedLen, SessionConfig,
};

/// `examples/axum_app.rs`'s session, field for field.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-app", version = 1)]
pub struct AppSession {
    /// Who logged in.
    pub user: Option<BoundedString<32>>,
    /// Bumped by `/write`.
    pub counter: u32,
    /// Products in the cart.
    pub cart: BoundedVec<Product, 8>,
}

/// A product in the cart.
#[derive(MaxEncodedLen, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// An apple.
    Apple,
    /// A pear.
    Pear,
    /// A fig.
    Fig,
}

/// The secret every variant signs with (ours derives its keys from it; the floor uses it
/// as its HMAC key).
pub const SECRET: &[u8] = b"http benchmark secret, 32 bytes or more";

/// The cookie attributes our layer writes for a session that starts now with the
/// default configuration; the floor layer writes the same, so that both `Set-Cookie`
/// headers have the same length (`tests/http_apps.rs` checks it).
pub const OUR_ATTRIBUTES: &str = "; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Lax";

/// The logged-in state every variant starts from: a user and a three-item cart.
pub fn logged_in() -> AppSession {
    let mut session = AppSession {
        user: Some(BoundedString::truncating("ada")),
        ..AppSession::default()
    };
    for product in [Product::Apple, Product::Pear, Product::Fig] {
        let _ = session.cart.try_push(product);
    }
    session
}

/// The page body: the same format in every variant.
pub fn render(session: &AppSession) -> String {
    format!(
        "user {:?}, counter {}, cart {:?}",
        session.user.as_deref(),
        session.counter,
        session.cart.as_slice()
    )
}

/// Our configuration: the defaults, as an application starts with.
pub fn our_config() -> SessionConfig<AppSession> {
    let key = Key::from_secret(SECRET).expect("secret");
    SessionConfig::new(key).expect("config")
}

/// The app's cookie for the floor layer: our cookie's name and attributes.
pub struct AppCookie;

impl crate::floor::CookieSpec for AppCookie {
    const NAME: &'static str = <AppSession as CookieSession>::NAME;
    const ATTRIBUTES: &'static str = OUR_ATTRIBUTES;
}

/// The floor layer's codec: the same cookie name and attributes as ours.
pub fn floor_codec() -> floor_layer::FloorCodec<AppSession, AppCookie> {
    floor_layer::FloorCodec::new(SECRET)
}

/// Every application of the benchmark: framework and variant. The `hybrid` apps run our
/// codec in the floor layer's plumbing (`floor_layer::OurCodec`): between the floor and
/// ours, they split what our layer adds into codec and plumbing.
pub const APPS: &[&str] = &[
    "none",
    "floor",
    "hybrid",
    "ours",
    "tower-sessions",
    "actix-none",
    "actix-floor",
    "actix-hybrid",
    "actix-ours",
    "actix-session",
];
