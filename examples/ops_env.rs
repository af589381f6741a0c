//! Operations wiring of the axum example (docs/operations.md): session keys
//! from configuration, "log out everywhere" through Redis, metrics, and the
//! drain before a graceful shutdown. A child module of `axum_app.rs`, so
//! the app's `main` stays short.
//!
//! Environment:
//! - `SESSION_KEYS`: keys with roles, e.g.
//!   `sign:<base64 secret>, verify:<...>, verify-only:<...>`; or
//!   `SESSION_KEYS_FILE`: a file of the same entries, one per line, `#`
//!   comments (`KeyRing::from_env`). When neither is set, `SESSION_SECRET`
//!   (and `SESSION_PREVIOUS_SECRET`) or a random development key are used.
//!   Any of them set but empty, unreadable or invalid stops the app.
//! - `SESSION_REDIS_URL` (optional), e.g. `redis://127.0.0.1:6379/`: enables
//!   `POST /logout-everywhere` and the revocation check on every request.
//!
//! Routes added: `POST /logout-everywhere` (revokes every session of the
//! logged-in user, on every replica, and logs this browser out) and
//! `GET /ops/metrics` (Prometheus text format: the library's counters
//! through the `metrics` facade, and the revocation store's own).

use std::borrow::Cow;
use std::error::Error;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http::header::{CONNECTION, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use session_runtime::revocation::{RedisRevocations, RevocationError};
use session_runtime::tower::SessionLayer;
use session_runtime::{KeyRing, RequestSession, SessionConfig};

use super::{process, AppSession};

/// How long start-up waits for the first read of the revocation list.
const FIRST_SYNC_WAIT: Duration = Duration::from_secs(2);

/// The session keys: `SESSION_KEYS` or `SESSION_KEYS_FILE`
/// ([`KeyRing::from_env`]), else the example's `SESSION_SECRET` /
/// development-key behaviour ([`super::keys_from_env`]).
pub fn keyring_from_env() -> Result<KeyRing, Box<dyn Error>> {
    // Errors name the variable and the entry, never the secret.
    if let Some(keys) = KeyRing::from_env("SESSION_KEYS")? {
        return Ok(keys);
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
    let Some(url) = process::env_var("SESSION_REDIS_URL")? else {
        return Ok(None);
    };
    let revocations = RedisRevocations::builder(url)
        .start()
        .map_err(|err| format!("SESSION_REDIS_URL: {err}"))?;
    if !revocations.wait_synced(FIRST_SYNC_WAIT) {
        eprintln!(
            "warning: Redis is not reachable yet: no session is refused as revoked until it is"
        );
    }
    Ok(Some(revocations))
}

/// The revocation subject of an [`AppSession`]: the user name.
pub fn revocation_subject(session: &AppSession) -> Option<Cow<'_, str>> {
    session.user().as_ref().map(|user| user.as_str().into())
}

/// Installs the Prometheus recorder for the `metrics` facade, once per
/// process (the library's counters go there); `/ops/metrics` renders it.
pub fn install_metrics() -> Result<(), Box<dyn Error>> {
    if PROMETHEUS.get().is_none() {
        let handle = PrometheusBuilder::new()
            .install_recorder()
            .map_err(|err| format!("cannot install the metrics recorder: {err}"))?;
        let _ = PROMETHEUS.set(handle);
    }
    Ok(())
}

/// The recorder's handle, once installed (a process has one recorder).
static PROMETHEUS: OnceLock<PrometheusHandle> = OnceLock::new();

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
) -> (StatusCode, &'static str) {
    let Some(revocations) = revocations else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "Logging out everywhere is not available on this server.\n",
        );
    };
    let Some(user) = session.user().clone() else {
        return (StatusCode::UNAUTHORIZED, "You are not logged in.\n");
    };
    // This browser is logged out too (an expiring cookie).
    session.clear();
    // `revoke` blocks until Redis confirms, at most `revoke_bound()` (2 s).
    let subject = user.as_str().to_owned();
    let outcome = tokio::task::spawn_blocking(move || revocations.revoke(&subject)).await;
    // What went wrong is for the operator's log; the user gets a sentence
    // without internals.
    match outcome {
        Ok(Ok(_)) => (StatusCode::OK, "revoked\n"),
        Ok(Err(err @ RevocationError::NotPropagated { .. })) => {
            eprintln!("warning: log out everywhere: {err}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "You are logged out here. Your other devices will be logged out as soon as our \
                 session service answers; try again in a minute to be sure.\n",
            )
        }
        Ok(Err(err)) => {
            eprintln!("error: log out everywhere: {err}");
            (
                StatusCode::BAD_REQUEST,
                "This account cannot be logged out everywhere.\n",
            )
        }
        Err(err) => {
            eprintln!("error: log out everywhere: the revocation task failed: {err}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong; please try again.\n",
            )
        }
    }
}

async fn metrics(State(revocations): State<Option<RedisRevocations>>) -> Response {
    let mut page = PROMETHEUS
        .get()
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    let mut line = |name: &str, kind: &str, value: u64| {
        page.push_str(&format!("# TYPE {name} {kind}\n{name} {value}\n"));
    };
    match revocations {
        None => line("revocation_configured", "gauge", 0),
        Some(revocations) => {
            let stats = revocations.stats();
            line("revocation_configured", "gauge", 1);
            line(
                "revocation_subscribed",
                "gauge",
                u64::from(stats.subscribed),
            );
            line("revocation_entries", "gauge", stats.entries as u64);
            line(
                "revocation_pending_writes",
                "gauge",
                stats.pending_writes as u64,
            );
            line("revocation_redis_round_trips", "counter", stats.round_trips);
            line(
                "revocation_keepalive_pings",
                "counter",
                stats.keepalive_pings,
            );
            line("revocation_resyncs", "counter", stats.resyncs);
            line("revocation_messages", "counter", stats.messages);
            line("revocation_malformed", "counter", stats.malformed);
            line("revocation_written_back", "counter", stats.written_back);
            line(
                "revocation_connection_failures",
                "counter",
                stats.connection_failures,
            );
            line("revocation_not_propagated", "counter", stats.not_propagated);
        }
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        page,
    )
        .into_response()
}

/// The drain before a graceful shutdown: once SIGTERM or SIGINT arrives,
/// `/health` answers 503 (so a balancer with health checks stops sending)
/// and every response carries `Connection: close` (so no client reuses a
/// connection this process is about to close); after the drain period the
/// server stops accepting connections, finishes the requests in flight and
/// closes idle connections.
#[derive(Clone, Default)]
pub struct Drain {
    draining: Arc<AtomicBool>,
}

impl Drain {
    /// Wraps the whole app.
    pub fn layer(&self, app: Router) -> Router {
        let drain = self.clone();
        app.layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let drain = drain.clone();
                async move { drain.serve(request, next).await }
            },
        ))
    }

    async fn serve(&self, request: Request, next: Next) -> Response {
        if self.draining.load(Ordering::SeqCst) && request.uri().path() == "/health" {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(CONNECTION, HeaderValue::from_static("close"))],
                "draining\n",
            )
                .into_response();
        }
        let mut response = next.run(request).await;
        if self.draining.load(Ordering::SeqCst) {
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }

    /// For `with_graceful_shutdown`: resolves `period` after the first
    /// SIGTERM or SIGINT, draining meanwhile.
    pub async fn on_signal(self, period: Duration) {
        let signal = process::shutdown_signal().await;
        self.draining.store(true, Ordering::SeqCst);
        eprintln!(
            "axum_app: {signal}: draining for {period:?}, then finishing the requests in flight"
        );
        tokio::time::sleep(period).await;
    }
}
