//! The HTTP benchmark's server (driven by `bench/http/run.sh` with wrk).
//!
//! One axum 0.8 app in the style of `examples/axum_app.rs`, with the same session
//! struct, in three variants chosen by the first argument:
//!
//! - `none`: no session at all; handlers return the same bodies from constants.
//! - `ours`: `session_runtime::tower::SessionLayer` + `RequestSession<AppSession>`.
//! - `tower-sessions`: tower-sessions 0.15 `SessionManagerLayer` over its `MemoryStore`,
//!   the same struct stored as one typed value (tower-sessions' "strongly typed" pattern).
//!
//! Routes (GET, so wrk can drive them without a body):
//! - `/login`: writes a session with a user (gives the client its cookie).
//! - `/read`: loads the session and renders it; sends no `Set-Cookie` (case a).
//! - `/write`: loads the session, increments the counter, stores it (case b).
//!
//! Binds 127.0.0.1 on an ephemeral port and prints `listening on <port>` on stdout.
//! Runs on a current-thread tokio runtime so that the server uses one core and the
//! load generator the other (see BENCHMARKS.md).

use std::net::{Ipv4Addr, SocketAddr};

use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use session_runtime::tower::SessionLayer;
use session_runtime::{
    BoundedString, BoundedVec, CookieSession, Key, MaxEncodedLen, RequestSession, SessionConfig,
};

/// `examples/axum_app.rs`'s session, field for field.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-app", version = 1)]
pub struct AppSession {
    /// Who logged in.
    user: Option<BoundedString<32>>,
    /// Bumped by `/write`.
    counter: u32,
    /// Products in the cart.
    cart: BoundedVec<Product, 8>,
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

/// The logged-in state every variant starts from: a user and a three-item cart.
fn logged_in() -> AppSession {
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
fn render(session: &AppSession) -> String {
    format!(
        "user {:?}, counter {}, cart {:?}",
        session.user.as_deref(),
        session.counter,
        session.cart.as_slice()
    )
}

fn ours() -> Router {
    async fn login(mut session: RequestSession<AppSession>) -> &'static str {
        session.renew();
        session.set(logged_in());
        "welcome"
    }
    async fn read(session: RequestSession<AppSession>) -> String {
        render(&session)
    }
    async fn write(mut session: RequestSession<AppSession>) -> String {
        let next = session.counter().wrapping_add(1);
        session.set_counter(next);
        render(&session)
    }
    let key = Key::from_secret(b"http benchmark secret, 32 bytes or more").expect("secret");
    let config = SessionConfig::<AppSession>::new(key).expect("config");
    Router::new()
        .route("/login", get(login))
        .route("/read", get(read))
        .route("/write", get(write))
        .layer(SessionLayer::new(config))
}

fn none() -> Router {
    async fn login() -> &'static str {
        "welcome"
    }
    async fn read() -> String {
        render(&logged_in())
    }
    async fn write() -> String {
        let mut session = logged_in();
        session.counter = session.counter.wrapping_add(1);
        render(&session)
    }
    Router::new()
        .route("/login", get(login))
        .route("/read", get(read))
        .route("/write", get(write))
}

fn tower_sessions() -> Router {
    use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

    const KEY: &str = "app";
    async fn load(session: &Session) -> AppSession {
        session
            .get::<AppSession>(KEY)
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }
    async fn login(session: Session) -> &'static str {
        // cycle_id is tower-sessions' session-fixation defence, like our renew().
        let _ = session.cycle_id().await;
        session.insert(KEY, logged_in()).await.expect("insert");
        "welcome"
    }
    async fn read(session: Session) -> String {
        render(&load(&session).await)
    }
    async fn write(session: Session) -> String {
        let mut data = load(&session).await;
        data.counter = data.counter.wrapping_add(1);
        session.insert(KEY, &data).await.expect("insert");
        render(&data)
    }
    Router::new()
        .route("/login", get(login))
        .route("/read", get(read))
        .route("/write", get(write))
        .layer(SessionManagerLayer::new(MemoryStore::default()))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let app = match mode.as_str() {
        "none" => none(),
        "ours" => ours(),
        "tower-sessions" => tower_sessions(),
        other => {
            return Err(format!("usage: http_app none|ours|tower-sessions (got {other:?})").into())
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        println!("listening on {}", listener.local_addr()?.port());
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}
