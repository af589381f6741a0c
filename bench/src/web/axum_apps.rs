//! The axum 0.8 variants of the benchmark app (module docs of [`super`] list the routes).
//!
//! - `none`: no session at all; handlers return the same bodies from constants.
//! - `floor`: [`FloorLayer`] + [`FloorSession`], the least a session layer can do.
//! - `hybrid`: the floor layer's plumbing with our codec ([`OurCodec`]).
//! - `ours`: `session_runtime::tower::SessionLayer` + `RequestSession<AppSession>`.
//! - `tower-sessions`: tower-sessions 0.15 `SessionManagerLayer` over its `MemoryStore`,
//!   the same struct stored as one typed value (tower-sessions' "strongly typed" pattern).

use axum::routing::get;
use axum::Router;
use session_runtime::tower::SessionLayer;
use session_runtime::RequestSession;

use session_runtime::Session;

use super::floor_layer::{FloorLayer, FloorSession, OurCodec};
use super::{floor_codec, logged_in, our_config, render, AppSession};

/// The router of `mode` (`none`, `floor`, `hybrid`, `ours`, `tower-sessions`), or
/// `None`.
pub fn router(mode: &str) -> Option<Router> {
    Some(match mode {
        "none" => none(),
        "floor" => floor(),
        "hybrid" => hybrid(),
        "ours" => ours(),
        "tower-sessions" => tower_sessions(),
        _ => return None,
    })
}

/// No session.
pub fn none() -> Router {
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

/// The floor layer.
pub fn floor() -> Router {
    async fn login(mut session: FloorSession<AppSession>) -> &'static str {
        *session = logged_in();
        "welcome"
    }
    async fn read(session: FloorSession<AppSession>) -> String {
        render(&session)
    }
    async fn write(mut session: FloorSession<AppSession>) -> String {
        session.counter = session.counter.wrapping_add(1);
        render(&session)
    }
    Router::new()
        .route("/login", get(login))
        .route("/read", get(read))
        .route("/write", get(write))
        .layer(FloorLayer::new(floor_codec()))
}

/// The floor layer's plumbing with our codec.
pub fn hybrid() -> Router {
    async fn login(mut session: FloorSession<Session<AppSession>>) -> &'static str {
        session.renew();
        session.set(logged_in());
        "welcome"
    }
    async fn read(session: FloorSession<Session<AppSession>>) -> String {
        render(&session)
    }
    async fn write(mut session: FloorSession<Session<AppSession>>) -> String {
        let next = session.counter().wrapping_add(1);
        session.set_counter(next);
        render(&session)
    }
    Router::new()
        .route("/login", get(login))
        .route("/read", get(read))
        .route("/write", get(write))
        .layer(FloorLayer::new(OurCodec(our_config())))
}

/// Our layer.
pub fn ours() -> Router {
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
    Router::new()
        .route("/login", get(login))
        .route("/read", get(read))
        .route("/write", get(write))
        .layer(SessionLayer::new(our_config()))
}

/// tower-sessions with its in-memory store.
pub fn tower_sessions() -> Router {
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
