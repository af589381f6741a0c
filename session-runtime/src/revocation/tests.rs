//! The store without a Redis: only the in-process behaviour and the bound
//! of `revoke`. Against a real `redis-server`: tests/redis_revocation.rs.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::listener::apply_message;
use super::*;
use crate::clock::ManualClock;

const T0: u64 = 1_800_000_000_000;

/// A store whose Redis is unreachable (port 9 on loopback: discard, never
/// a Redis, so connections are refused at once).
fn offline(clock: &ManualClock) -> RedisRevocations {
    RedisRevocations::builder("redis://127.0.0.1:9/")
        .io_timeout(Duration::from_millis(200))
        .clock(clock.clone())
        .start()
        .unwrap()
}

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

#[test]
fn sessions_started_before_the_cutoff_are_revoked() {
    let clock = ManualClock::new(T0);
    let store = offline(&clock);
    // Redis is unreachable: the cut-off still holds here, and the error
    // says it was not propagated.
    assert!(matches!(
        store.revoke("ada"),
        Err(RevocationError::NotPropagated { .. })
    ));
    assert!(store.is_revoked("ada", at(T0 - 1)));
    assert!(!store.is_revoked("ada", at(T0)), "started at the cut-off");
    assert!(!store.is_revoked("ada", at(T0 + 1)));
    assert!(!store.is_revoked("bob", at(T0 - 1)));
    assert_eq!(store.cutoff("ada"), Some(at(T0)));
    let stats = store.stats();
    assert_eq!(stats.not_propagated, 1);
    assert_eq!(stats.pending_writes, 1, "kept for the next attempt");
}

#[test]
fn nothing_read_from_redis_lowers_a_cutoff() {
    let clock = ManualClock::new(T0);
    let store = offline(&clock);
    let _ = store.revoke_before("ada", at(T0 - 10_000));
    let _ = store.revoke_before("ada", at(T0 - 500_000));
    assert_eq!(store.cutoff("ada"), Some(at(T0 - 10_000)));
    // Cut-offs are whole seconds, like the session starts they compare with.
    let _ = store.revoke_before("ada", at(T0 - 8_999));
    assert_eq!(store.cutoff("ada"), Some(at(T0 - 9_000)));
    let shared = store.shared();
    apply_message(shared, format!("{} ada\n", T0 - 20_000).as_bytes());
    apply_message(shared, b"0 ada\n");
    assert_eq!(store.cutoff("ada"), Some(at(T0 - 9_000)));
    apply_message(shared, format!("{} ada", T0 - 5).as_bytes());
    assert_eq!(store.cutoff("ada"), Some(at(T0 - 5)));
}

#[test]
fn retention_comes_from_the_attached_configurations() {
    let clock = ManualClock::new(T0);
    let store = offline(&clock);
    assert_eq!(store.retention(), None);
    let _ = store.revoke("ada");
    // Not attached yet: nothing expires, however old.
    clock.advance(Duration::from_secs(400 * 24 * 3600));
    assert!(store.is_revoked("ada", at(T0 - 1)));
    // Attached: at least the default session age.
    assert_eq!(
        store.retain_for(Duration::from_secs(1)),
        MIN_REVOCATION_RETENTION
    );
    assert!(!store.is_revoked("ada", at(T0 - 1)));
    assert_eq!(store.cutoff("ada"), None);
    // A cut-off already past the horizon is neither kept nor sent.
    let before = store.round_trips();
    assert_eq!(store.revoke_before("carol", at(T0)), Ok(()));
    assert_eq!(store.cutoff("carol"), None);
    assert_eq!(store.round_trips(), before);
}

#[test]
fn messages_parse_and_malformed_lines_are_counted() {
    let clock = ManualClock::new(T0);
    let store = offline(&clock);
    let shared = store.shared();
    apply_message(
        shared,
        format!(
            "{T0} user 1\n{T0}\nnot-a-number bob\n{T0} \n{} carol\n",
            T0 + 1
        )
        .as_bytes(),
    );
    apply_message(shared, &[0xff, 0xfe]);
    assert_eq!(
        store.cutoff("user 1"),
        Some(at(T0)),
        "subjects may hold spaces"
    );
    assert_eq!(store.cutoff("carol"), Some(at(T0 + 1)));
    let stats = store.stats();
    assert_eq!(stats.messages, 2);
    assert_eq!(stats.malformed, 4);
    assert_eq!(stats.entries, 2);
}

#[test]
fn invalid_subjects_are_refused() {
    let clock = ManualClock::new(T0);
    let store = offline(&clock);
    let long = "x".repeat(MAX_REVOCATION_SUBJECT_LEN + 1);
    for subject in ["", "a\nb", "a\rb", "a\0b", long.as_str()] {
        assert_eq!(store.revoke(subject), Err(RevocationError::InvalidSubject));
    }
    assert_eq!(store.stats().entries, 0);
}

#[test]
fn invalid_options_are_refused() {
    assert_eq!(
        RedisRevocations::builder("not a url").start().unwrap_err(),
        RevocationError::InvalidUrl
    );
    let err = RedisRevocations::builder("redis://:hunter2@127.0.0.1:9/")
        .keepalive(Duration::ZERO)
        .start()
        .unwrap_err();
    assert!(matches!(err, RevocationError::InvalidOption(_)));
    assert!(!format!("{err} {err:?}").contains("hunter2"));
}

#[test]
fn still_valid_without_subject() {
    let clock = ManualClock::new(T0);
    let store = offline(&clock);
    let _ = store.revoke("ada");
    let meta = |created: u64| CookieMeta {
        created_at: at(created),
        issued_at: at(created),
        key_id: crate::Key::from_secret(&[1; 32]).unwrap().id(),
        key_role: crate::KeyRole::Sign,
        version: 1,
    };
    assert!(store.still_valid(None, &meta(T0 - 1)));
    assert!(!store.still_valid(Some("ada"), &meta(T0 - 1)));
    assert!(store.still_valid(Some("ada"), &meta(T0 + 1)));
}

#[test]
fn a_refused_connection_answers_revoke_at_once() {
    let clock = ManualClock::new(T0);
    let store = offline(&clock);
    let started = Instant::now();
    assert!(store.revoke("ada").is_err());
    // Refused connections fail fast: far inside the bound.
    assert!(started.elapsed() < store.revoke_bound());
}
