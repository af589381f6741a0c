//! `RedisRevocations` against a real `redis-server` (no persistence, its own
//! port and directory): fan-out to every replica, no Redis round trip per
//! check, an outage with kill and restart, and expiry. Replicas are separate
//! `RedisRevocations` instances (each with its own connections and listener
//! thread), as in separate processes. tests/fleet.rs does the same with real
//! processes behind nginx.
//!
//! Without `redis-server` these print SKIP, unless `REQUIRE_SERVICES=1`.

mod services;

use std::time::{Duration, Instant, SystemTime};

use services::{binaries_or_skip, RedisServer, TempDir};
use session_runtime::revocation::{RedisRevocations, RevocationError};
use session_runtime::ManualClock;

/// Upper bound on the fan-out delay this suite accepts (docs/operations.md
/// promises ≤ 1 s with a healthy subscription).
const FAN_OUT_BOUND: Duration = Duration::from_secs(1);

fn redis_or_skip(test: &str) -> Option<(TempDir, RedisServer)> {
    let (binary, _) = binaries_or_skip(test, false)?;
    let dir = TempDir::new(test);
    let server = RedisServer::start(&binary, dir.path());
    Some((dir, server))
}

fn replica(url: &str, keepalive: Duration) -> RedisRevocations {
    let store = RedisRevocations::builder(url)
        .keepalive(keepalive)
        .io_timeout(Duration::from_millis(500))
        .max_reconnect_delay(Duration::from_millis(200))
        .start()
        .expect("valid options");
    assert!(store.wait_synced(Duration::from_secs(5)), "first sync");
    store
}

/// Polls `done` every 100 µs until it holds; the elapsed time, or `None`
/// after `limit`.
fn time_until(limit: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_micros(100));
    }
    None
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[test]
fn revocation_reaches_every_replica_and_checks_cost_no_round_trip() {
    let Some((_dir, server)) = redis_or_skip("redis_fan_out") else {
        return;
    };
    // Long keepalive: no PING during the test, so every round trip counted is
    // one the test caused.
    let replicas: Vec<RedisRevocations> = (0..3)
        .map(|_| replica(&server.url(), Duration::from_secs(60)))
        .collect();
    let rounds = 50;
    let mut delays = Vec::new();
    for round in 0..rounds {
        let subject = format!("user-{round}");
        let started = SystemTime::now() - Duration::from_secs(1);
        let before = Instant::now();
        replicas[round % 3].revoke(&subject).expect("Redis is up");
        time_until(Duration::from_secs(5), || {
            replicas.iter().all(|r| r.is_revoked(&subject, started))
        })
        .unwrap_or_else(|| panic!("round {round}: not revoked everywhere within 5 s"));
        // Measured from before the revoke call: includes its round trip.
        delays.push(before.elapsed());
        // A session started after the cut-off is unaffected.
        let later = SystemTime::now() + Duration::from_millis(5);
        assert!(replicas.iter().all(|r| !r.is_revoked(&subject, later)));
    }
    delays.sort();
    let (p50, p99, max) = (
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays[delays.len() - 1],
    );
    println!(
        "redis fan-out to 3 replicas over {rounds} revocations: p50 {p50:?}, p99 {p99:?}, max {max:?}"
    );
    assert!(max <= FAN_OUT_BOUND, "fan-out took {max:?}");

    // Steady state: a million checks, zero round trips.
    let before: Vec<u64> = replicas.iter().map(RedisRevocations::round_trips).collect();
    let mut revoked = 0u32;
    let checks = 1_000_000u32;
    let now = SystemTime::now();
    let start = Instant::now();
    for i in 0..checks {
        let subject = format!("user-{}", i % 100);
        revoked +=
            u32::from(replicas[i as usize % 3].is_revoked(&subject, now - Duration::from_secs(5)));
    }
    let elapsed = start.elapsed();
    let after: Vec<u64> = replicas.iter().map(RedisRevocations::round_trips).collect();
    assert_eq!(revoked, checks / 2, "user-0..49 revoked, user-50..99 not");
    assert_eq!(before, after, "a check never talks to Redis");
    println!(
        "{checks} checks: 0 Redis round trips, {:.0} ns per check",
        elapsed.as_nanos() as f64 / f64::from(checks)
    );
    for r in &replicas {
        let stats = r.stats();
        assert_eq!(stats.entries, rounds, "{stats:?}");
        assert_eq!(stats.resyncs, 1, "{stats:?}");
        assert_eq!(stats.malformed, 0, "{stats:?}");
    }
}

#[test]
fn redis_outage_serves_the_stale_copy_then_resyncs_and_refills_redis() {
    let Some((_dir, mut server)) = redis_or_skip("redis_outage") else {
        return;
    };
    let keepalive = Duration::from_millis(200);
    let a = replica(&server.url(), keepalive);
    let b = replica(&server.url(), keepalive);
    let before_outage = SystemTime::now() - Duration::from_secs(1);
    a.revoke("before").expect("Redis is up");
    time_until(FAN_OUT_BOUND, || b.is_revoked("before", before_outage)).expect("fan-out");

    server.kill();
    let detected = time_until(Duration::from_secs(3), || {
        !a.stats().subscribed && !b.stats().subscribed
    })
    .expect("replicas notice the outage");
    println!("outage noticed by both replicas after {detected:?}");
    // The stale copy keeps being served: the earlier revocation holds.
    assert!(a.is_revoked("before", before_outage));
    assert!(b.is_revoked("before", before_outage));
    // A revocation during the outage is in force on its replica at once, and
    // reported as not propagated.
    let err = a.revoke("during").unwrap_err();
    assert!(
        matches!(err, RevocationError::NotPropagated { .. }),
        "{err}"
    );
    assert!(a.is_revoked("during", before_outage));
    assert!(!b.is_revoked("during", before_outage), "B cannot know yet");
    // A replica started during the outage starts empty and says so.
    let c = RedisRevocations::builder(server.url())
        .keepalive(keepalive)
        .max_reconnect_delay(Duration::from_millis(200))
        .start()
        .unwrap();
    assert!(!c.wait_synced(Duration::from_millis(300)));
    assert!(!c.is_revoked("before", before_outage));
    // Checks cost nothing during the outage either (and never block).
    let start = Instant::now();
    for _ in 0..10_000 {
        assert!(b.is_revoked("before", before_outage));
    }
    assert!(start.elapsed() < Duration::from_secs(1));

    // Redis comes back empty (no persistence). Every replica re-subscribes,
    // re-reads, and writes back what Redis lacks; C learns both cut-offs.
    server.restart();
    let everywhere = time_until(Duration::from_secs(5), || {
        [&a, &b, &c]
            .iter()
            .all(|r| r.is_revoked("before", before_outage) && r.is_revoked("during", before_outage))
    })
    .expect("all replicas hold both cut-offs after the restart");
    println!(
        "redis-server restarted empty: every replica holds every cut-off {everywhere:?} after \
         it answered PING"
    );
    assert!(a.stats().written_back >= 2, "{:?}", a.stats());
    // Redis itself was refilled: a replica started now reads both.
    let d = replica(&server.url(), keepalive);
    assert!(d.is_revoked("before", before_outage));
    assert!(d.is_revoked("during", before_outage));
    for r in [&a, &b] {
        let stats = r.stats();
        assert!(stats.connection_failures >= 1, "{stats:?}");
        assert!(stats.resyncs >= 2, "{stats:?}");
        assert!(stats.subscribed, "{stats:?}");
    }
}

#[test]
fn expired_cutoffs_leave_redis_and_every_copy() {
    let Some((_dir, server)) = redis_or_skip("redis_expiry") else {
        return;
    };
    let now_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let clock = ManualClock::new(now_ms);
    let absolute = Duration::from_secs(60);
    let start = |clock: &ManualClock| {
        let store = RedisRevocations::builder(server.url())
            .absolute_timeout(absolute)
            .keepalive(Duration::from_secs(60))
            .clock(clock.clone())
            .start()
            .unwrap();
        assert!(store.wait_synced(Duration::from_secs(5)));
        store
    };
    let a = start(&clock);
    a.revoke("old").unwrap();
    clock.advance(absolute + Duration::from_secs(1));
    // "old" is past the horizon: it can no longer revoke anything unexpired.
    assert_eq!(a.cutoff("old"), None);
    a.revoke("new").unwrap();
    // The revoke pipeline dropped "old" from Redis: a new replica reads only "new".
    let b = start(&clock);
    assert_eq!(b.stats().entries, 1, "{:?}", b.stats());
    assert!(b.cutoff("new").is_some());
    assert_eq!(b.stats().written_back, 0);
}
