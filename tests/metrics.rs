//! The `metrics` feature: what a load, a rejection and a cookie write
//! record, read back through the Prometheus exporter the axum example
//! serves (docs/operations.md, "The `metrics` feature"). A recorder local to
//! the test's thread (`metrics::with_local_recorder`), so nothing else in
//! the process counts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use http::HeaderMap;
use metrics_exporter_prometheus::PrometheusBuilder;
use session_runtime::{ManualClock, SessionConfig};
use session_tests::{cookie_value, key, request_with_cookie, store, AppSession, T0_MS};

#[test]
fn loads_rejections_and_writes_are_counted_by_reason() {
    let clock = ManualClock::new(T0_MS);
    let revoked = Arc::new(AtomicBool::new(false));
    let check = Arc::clone(&revoked);
    let config = SessionConfig::<AppSession>::builder(key(1))
        .verify_key(key(2))
        .clock(clock.clone())
        .revocation_check(move |_, _| !check.load(Ordering::SeqCst))
        .build()
        .unwrap();
    let old_key = SessionConfig::<AppSession>::builder(key(2))
        .clock(clock.clone())
        .build()
        .unwrap();
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        let name = "__Host-app";
        // missing → changed
        let mut session = config.load(&HeaderMap::new());
        session.set_user_id(Some(1));
        let cookie = cookie_value(&store(&config, &session).unwrap());
        // valid, untouched: no write
        let session = config.load(&request_with_cookie(name, &cookie));
        assert!(store(&config, &session).is_none());
        // a forgery: suspicious
        let mut forged = cookie.clone().into_bytes();
        let last = forged.len() - 1;
        forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        assert!(config.load(&request_with_cookie(name, &forged)).is_new());
        // a cookie of the verify key: re-keyed
        let mut session = old_key.load(&HeaderMap::new());
        session.set_user_id(Some(2));
        let old = cookie_value(&store(&old_key, &session).unwrap());
        let session = config.load(&request_with_cookie(name, &old));
        assert!(store(&config, &session).is_some());
        // revoked: refused, not suspicious
        revoked.store(true, Ordering::SeqCst);
        assert!(config.load(&request_with_cookie(name, &cookie)).is_new());
    });
    let page = handle.render();
    for line in [
        // old_key's own load counts too: every configuration in the
        // process records to the same recorder.
        "session_loads_total{status=\"missing\"} 2",
        "session_loads_total{status=\"valid\"} 1",
        "session_loads_total{status=\"valid_verify_key\"} 1",
        "session_loads_total{status=\"rejected\"} 2",
        "session_rejections_total{reason=\"bad_signature\",suspicious=\"true\"} 1",
        "session_rejections_total{reason=\"revoked\",suspicious=\"false\"} 1",
        "session_cookie_writes_total{reason=\"changed\"} 2",
        "session_cookie_writes_total{reason=\"rekeyed\"} 1",
    ] {
        assert!(
            page.lines().any(|l| l == line),
            "missing {line:?} in:\n{page}"
        );
    }
}

/// Up to three cookies, for the chunked write path.
#[derive(session_runtime::CookieSession, serde::Serialize, serde::Deserialize, Default, Debug)]
#[session(name = "__Host-big", version = 1, chunks = 3)]
struct Big {
    note: session_runtime::BoundedString<8000>,
}

#[test]
fn chunked_writes_and_logouts_are_counted() {
    let config = SessionConfig::<Big>::builder(key(1))
        .clock(ManualClock::new(T0_MS))
        .build()
        .unwrap();
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        let mut session = config.load(&HeaderMap::new());
        session.set_note("x".repeat(6000).try_into().unwrap());
        assert_eq!(config.set_cookies(&session).unwrap().len(), 2);
        session.clear();
        assert!(!config.set_cookies(&session).unwrap().is_empty());
    });
    let page = handle.render();
    for line in [
        "session_cookie_writes_total{reason=\"changed\"} 1",
        "session_cookie_writes_total{reason=\"cleared\"} 1",
    ] {
        assert!(
            page.lines().any(|l| l == line),
            "missing {line:?} in:\n{page}"
        );
    }
}
