//! Operations wiring of the axum example (docs/operations.md): session keys
//! from configuration, "log out everywhere" through Redis, and a metrics page.
//! A child module of `axum_app.rs`, so the app's `main` stays short.
//!
//! Environment:
//! - `SESSION_KEYS`: keys with roles, e.g.
//!   `sign:<base64 secret>, verify:<...>, verify-only:<...>`; or
//!   `SESSION_KEYS_FILE`: a file of the same entries, one per line, `#`
//!   comments. When neither is set, `SESSION_SECRET` (and
//!   `SESSION_PREVIOUS_SECRET`) or a random development secret are used, as
//!   before.
//! - `SESSION_REDIS_URL` (optional), e.g. `redis://127.0.0.1:6379/`: enables
//!   `POST /logout-everywhere` and the revocation check on every request.
//!
//! Routes added: `POST /logout-everywhere` (revokes every session of the
//! logged-in user, on every replica, and logs this browser out) and
//! `GET /ops/metrics` (plain-text counters, one `name value` per line).

use std::error::Error;
use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use http::StatusCode;
use session_runtime::defaults::ABSOLUTE_TIMEOUT;
use session_runtime::revocation::{RedisRevocations, RevocationError};
use session_runtime::tower::SessionLayer;
use session_runtime::{CookieMeta, KeyRing, RequestSession, SessionConfig};

use super::AppSession;

/// How long start-up waits for the first read of the revocation list.
const FIRST_SYNC_WAIT: Duration = Duration::from_secs(2);

fn non_empty_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// The session keys: `SESSION_KEYS`, else `SESSION_KEYS_FILE`, else the
/// example's `SESSION_SECRET` / development-secret behaviour
/// ([`super::keys_from_env`]).
pub fn keyring_from_env() -> Result<KeyRing, Box<dyn Error>> {
    if let Some(text) = non_empty_var("SESSION_KEYS") {
        // The error names the entry and the problem, never the secret.
        return KeyRing::parse(&text).map_err(|err| format!("SESSION_KEYS: {err}").into());
    }
    if let Some(path) = non_empty_var("SESSION_KEYS_FILE") {
        return Ok(KeyRing::from_file(path)?);
    }
    let (current, previous) = super::keys_from_env()?;
    let mut keys = KeyRing::new(current);
    if let Some(previous) = previous {
        keys = keys.with_verify_key(previous);
    }
    Ok(keys)
}

/// The fleet-wide revocation list when `SESSION_REDIS_URL` is set. Waits up
/// to 2 s for its first read; if Redis is not reachable by then, the app
/// starts anyway (with an empty list, filled in as soon as Redis answers).
pub fn revocations_from_env() -> Result<Option<RedisRevocations>, Box<dyn Error>> {
    let Some(url) = non_empty_var("SESSION_REDIS_URL") else {
        return Ok(None);
    };
    let revocations = RedisRevocations::builder(url)
        // The example keeps the default absolute timeout (see `configs`).
        .absolute_timeout(ABSOLUTE_TIMEOUT)
        .start()?;
    if !revocations.wait_synced(FIRST_SYNC_WAIT) {
        eprintln!(
            "warning: Redis is not reachable yet: no session is refused as revoked until it is"
        );
    }
    Ok(Some(revocations))
}

/// The per-request check for [`AppSession`]: the subject is the user name.
/// An in-memory lookup; no network round trip.
pub fn revocation_check(
    revocations: &RedisRevocations,
) -> impl Fn(&AppSession, &CookieMeta) -> bool + Send + Sync + 'static {
    let revocations = revocations.clone();
    move |session, meta| revocations.still_valid(session.user().as_ref().map(|u| u.as_str()), meta)
}

/// `POST /logout-everywhere` and `GET /ops/metrics`, with their own session
/// layer (merge into the app's router). The `POST` takes the same CSRF token as
/// the app's forms: a cross-site form must not log a user out everywhere. The
/// metrics page never touches the session.
pub fn routes(app: SessionConfig<AppSession>, revocations: Option<RedisRevocations>) -> Router {
    Router::new()
        .route(
            "/logout-everywhere",
            post(logout_everywhere).layer(super::csrf_layer()),
        )
        .route("/ops/metrics", get(metrics))
        .with_state(revocations)
        .layer(SessionLayer::new(app))
}

async fn logout_everywhere(
    State(revocations): State<Option<RedisRevocations>>,
    mut session: RequestSession<AppSession>,
) -> (StatusCode, String) {
    let Some(revocations) = revocations else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "revocation is not configured (set SESSION_REDIS_URL)\n".to_owned(),
        );
    };
    let Some(user) = session.user().clone() else {
        return (StatusCode::UNAUTHORIZED, "not logged in\n".to_owned());
    };
    // This browser is logged out too (an expiring cookie).
    session.clear();
    // `revoke` does one blocking Redis round trip (bounded by its I/O timeout).
    let subject = user.as_str().to_owned();
    let outcome = tokio::task::spawn_blocking(move || revocations.revoke(&subject)).await;
    match outcome {
        Ok(Ok(_)) => (StatusCode::OK, "revoked\n".to_owned()),
        Ok(Err(err @ RevocationError::NotPropagated { .. })) => {
            (StatusCode::SERVICE_UNAVAILABLE, format!("{err}\n"))
        }
        Ok(Err(err)) => (StatusCode::BAD_REQUEST, format!("{err}\n")),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "revocation task failed\n".to_owned(),
        ),
    }
}

async fn metrics(State(revocations): State<Option<RedisRevocations>>) -> String {
    let Some(revocations) = revocations else {
        return "revocation_configured 0\n".to_owned();
    };
    let stats = revocations.stats();
    format!(
        "revocation_configured 1\n\
         revocation_subscribed {}\n\
         revocation_entries {}\n\
         revocation_redis_round_trips {}\n\
         revocation_keepalive_pings {}\n\
         revocation_resyncs {}\n\
         revocation_messages {}\n\
         revocation_malformed {}\n\
         revocation_written_back {}\n\
         revocation_connection_failures {}\n",
        u8::from(stats.subscribed),
        stats.entries,
        stats.round_trips,
        stats.keepalive_pings,
        stats.resyncs,
        stats.messages,
        stats.malformed,
        stats.written_back,
        stats.connection_failures,
    )
}
