//! `RedisRevocations` against a real `redis-server` (no persistence, its own
//! port and directory): fan-out to every replica, no Redis round trip per
//! check, an outage with kill and restart, a hung server (SIGSTOP) and the
//! bound on `revoke`, retention for remember-me sessions, expiry, and what
//! another Redis writer can and cannot undo. Replicas are separate
//! `RedisRevocations` instances (each with its own connections and listener
//! thread), as in separate processes. tests/fleet/ does the same with real
//! processes behind nginx.
//!
//! Without `redis-server` these print SKIP, unless `REQUIRE_SERVICES=1`.

mod services;

use std::time::{Duration, Instant, SystemTime};

use std::borrow::Cow;

use http::HeaderMap;
use serde::{Deserialize, Serialize};
use services::{binaries_or_skip, RedisServer, TempDir};
use session_runtime::revocation::{RedisRevocations, RevocationError};
use session_runtime::{
    BoundedString, Clock, CookieSession, Key, Lifetime, ManualClock, Rejection, SessionConfig,
    SessionConfigBuilder,
};

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

/// How far before "now" a session must start to be surely older than a
/// cut-off taken now: `revoke` rounds its cut-off down to a whole second
/// (cookies carry whole seconds) and reads the coarse clock, which lags
/// `SystemTime::now()` by up to a kernel tick, so one second is not enough
/// (it failed about one run in 50: a session 1 s old compared equal).
const WELL_BEFORE: Duration = Duration::from_secs(2);

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
    // A session start before every cut-off of this test (see `WELL_BEFORE`).
    let test_start = SystemTime::now() - WELL_BEFORE;
    for round in 0..rounds {
        let subject = format!("user-{round}");
        let started = SystemTime::now() - WELL_BEFORE;
        let before = Instant::now();
        replicas[round % 3].revoke(&subject).expect("Redis is up");
        time_until(Duration::from_secs(5), || {
            replicas.iter().all(|r| r.is_revoked(&subject, started))
        })
        .unwrap_or_else(|| {
            let held: Vec<bool> = replicas
                .iter()
                .map(|r| r.is_revoked(&subject, started))
                .collect();
            let stats: Vec<_> = replicas.iter().map(RedisRevocations::stats).collect();
            panic!("round {round}: not revoked everywhere within 5 s: held {held:?}, {stats:#?}")
        });
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
    let start = Instant::now();
    for i in 0..checks {
        let subject = format!("user-{}", i % 100);
        revoked += u32::from(replicas[i as usize % 3].is_revoked(&subject, test_start));
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
    let before_outage = SystemTime::now() - WELL_BEFORE;
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
    // C can hold both cut-offs a moment before the replica that wrote them
    // back has counted its resync (the counters follow the PUBLISH), so wait
    // for both replicas to finish theirs before reading their counters.
    time_until(Duration::from_secs(5), || {
        [&a, &b]
            .iter()
            .all(|r| r.stats().subscribed && r.stats().resyncs >= 2)
    })
    .expect("both replicas resync after the restart");
    // "before" was confirmed before the outage, so only a resync's
    // write-back can restore it ("during" may also come from A's writer,
    // which keeps sending what Redis has not confirmed).
    assert!(
        a.stats().written_back + b.stats().written_back >= 1,
        "{:?} {:?}",
        a.stats(),
        b.stats()
    );
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

/// A session type to attach the store to (the retention comes from its
/// configuration).
#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-revoked", version = 1)]
struct Account {
    user: Option<BoundedString<16>>,
}

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

fn subject(session: &Account) -> Option<Cow<'_, str>> {
    session.user().as_ref().map(|user| user.as_str().into())
}

/// A store on `clock`, attached to a configuration built by `configure`
/// (the same configuration on every replica, as in a fleet).
fn attached(
    server: &RedisServer,
    clock: &ManualClock,
    configure: impl Fn(SessionConfigBuilder<Account>) -> SessionConfigBuilder<Account>,
) -> (RedisRevocations, SessionConfig<Account>) {
    let store = RedisRevocations::builder(server.url())
        .keepalive(Duration::from_secs(60))
        .clock(clock.clone())
        .start()
        .unwrap();
    assert!(store.wait_synced(Duration::from_secs(5)));
    let builder =
        SessionConfig::<Account>::builder(Key::from_secret(&[5; 32]).unwrap()).clock(clock.clone());
    let config = configure(builder)
        .revocations(&store, subject)
        .build()
        .unwrap();
    (store, config)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The cookie a login as `user` writes.
fn login(config: &SessionConfig<Account>, user: &str, lifetime: Lifetime) -> HeaderMap {
    let mut session = config.load(&HeaderMap::new());
    session.renew();
    session.set_lifetime(lifetime).unwrap();
    session.set_user(Some(user.try_into().unwrap()));
    let set_cookie = config.set_cookie(&session).unwrap().unwrap();
    let mut request = HeaderMap::new();
    request.insert(
        "cookie",
        set_cookie.split(';').next().unwrap().parse().unwrap(),
    );
    request
}

#[test]
fn expired_cutoffs_leave_redis_and_every_copy() {
    let Some((_dir, server)) = redis_or_skip("redis_expiry") else {
        return;
    };
    let clock = ManualClock::new(now_ms());
    let (a, config) = attached(&server, &clock, |builder| builder);
    assert_eq!(a.retention(), Some(config.max_session_age()));
    a.revoke("old").unwrap();
    clock.advance(config.max_session_age() + Duration::from_secs(1));
    // "old" is past the horizon: it can no longer revoke anything unexpired.
    assert_eq!(a.cutoff("old"), None);
    a.revoke("new").unwrap();
    // The revoke pipeline dropped "old" from Redis: a new replica reads only "new".
    let (b, _) = attached(&server, &clock, |builder| builder);
    assert_eq!(b.stats().entries, 1, "{:?}", b.stats());
    assert!(b.cutoff("new").is_some());
    assert_eq!(b.stats().written_back, 0);
}

#[test]
fn remember_me_revocations_outlive_the_standard_timeout() {
    let Some((_dir, server)) = redis_or_skip("redis_remember_me") else {
        return;
    };
    let clock = ManualClock::new(now_ms());
    let remember = |builder: SessionConfigBuilder<Account>| builder.remember_me(30 * DAY, 90 * DAY);
    let (a, config) = attached(&server, &clock, remember);
    assert_eq!(a.retention(), Some(90 * DAY + Duration::from_secs(60)));
    let cookie = login(&config, "ada", Lifetime::RememberMe);
    clock.advance(Duration::from_secs(1));
    a.revoke("ada").unwrap();
    // Past the standard absolute timeout (7 days), where the cut-off used to
    // be dropped and the remember-me cookie accepted again. The browser
    // keeps the session alive with a request every 20 days.
    let mut cookie = cookie;
    for day in [20, 40, 60, 80] {
        clock.set(clock.now_unix_ms() + 20 * DAY.as_millis() as u64);
        // A revocation by another subject prunes Redis at this replica's
        // horizon; a new replica re-reads what is left.
        a.revoke(&format!("other-{day}")).unwrap();
        let (fresh, fresh_config) = attached(&server, &clock, remember);
        for (name, config) in [("A", &config), ("new replica", &fresh_config)] {
            let session = config.load(&cookie);
            assert_eq!(
                session.rejection(),
                Some(&Rejection::Revoked),
                "day {day}, {name}: {:?}",
                session.status()
            );
        }
        assert!(fresh.cutoff("ada").is_some(), "day {day}");
        // A fresh login after the cut-off stays valid.
        cookie = login(&config, "ada", Lifetime::RememberMe);
        assert!(config.load(&cookie).rejection().is_none());
        clock.advance(Duration::from_secs(1));
        a.revoke("ada").unwrap();
    }
}

#[test]
fn a_redis_writer_cannot_lower_a_cutoff_on_a_running_replica() {
    let Some((_dir, server)) = redis_or_skip("redis_only_up") else {
        return;
    };
    let clock = ManualClock::new(now_ms());
    let (a, config) = attached(&server, &clock, |builder| builder);
    let (b, _) = attached(&server, &clock, |builder| builder);
    let cookie = login(&config, "ada", Lifetime::Standard);
    clock.advance(Duration::from_secs(1));
    let cutoff = a.revoke("ada").unwrap();
    time_until(FAN_OUT_BOUND, || b.cutoff("ada") == Some(cutoff)).expect("fan-out");
    // Another Redis client lowers the cut-off, announces the lower one, then
    // removes it.
    let set = "session-revocations:cutoffs";
    let channel = "session-revocations:revocations";
    assert_eq!(server.command(&["ZADD", set, "1000", "ada"]), ":0");
    server.command(&["PUBLISH", channel, "1000 ada"]);
    assert_eq!(server.command(&["ZREM", set, "ada"]), ":1");
    std::thread::sleep(Duration::from_millis(200));
    for replica in [&a, &b] {
        assert_eq!(replica.cutoff("ada"), Some(cutoff), "{:?}", replica.stats());
    }
    assert!(config.load(&cookie).rejection() == Some(&Rejection::Revoked));
    // A replica started now reads the set without the cut-off: this is what
    // such a writer can do (docs/operations.md, "What a Redis writer can do").
    let (c, _) = attached(&server, &clock, |builder| builder);
    assert_eq!(c.cutoff("ada"), None);
    // The next resync of a replica that knew it writes it back (and
    // publishes it): cut subscriptions, as a Redis restart or a network
    // fault would.
    server.command(&["CLIENT", "KILL", "TYPE", "pubsub"]);
    time_until(Duration::from_secs(5), || c.cutoff("ada") == Some(cutoff))
        .expect("written back by A or B at their resync, then published to C");
    // Redis holds it again (a bulk reply, not the nil `$-1`).
    let score = server.command(&["ZSCORE", set, "ada"]);
    assert!(score.starts_with('$') && score != "$-1", "{score}");
}

#[test]
fn revoke_returns_within_its_bound_while_redis_hangs() {
    let Some((_dir, server)) = redis_or_skip("redis_hung") else {
        return;
    };
    let io_timeout = Duration::from_millis(500);
    let start = || {
        let store = RedisRevocations::builder(server.url())
            .io_timeout(io_timeout)
            .keepalive(Duration::from_millis(200))
            .max_reconnect_delay(Duration::from_millis(200))
            .start()
            .unwrap();
        assert!(store.wait_synced(Duration::from_secs(5)));
        store
    };
    let (a, b) = (start(), start());
    // A first revocation opens the writer's connection.
    a.revoke("warm-up").unwrap();
    let bound = a.revoke_bound();
    assert_eq!(bound, 2 * io_timeout);
    let before = SystemTime::now() - Duration::from_secs(2);
    server.pause();
    // Four revocations at once on one replica, as four requests would.
    let timings: Vec<(Duration, Result<SystemTime, RevocationError>)> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|i| {
                    let a = &a;
                    scope.spawn(move || {
                        let started = Instant::now();
                        let result = a.revoke(&format!("hung-{i}"));
                        (started.elapsed(), result)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
    // Checks never wait for Redis.
    let started = Instant::now();
    for i in 0..4 {
        assert!(
            a.is_revoked(&format!("hung-{i}"), before),
            "in force here at once"
        );
    }
    assert!(started.elapsed() < Duration::from_millis(100));
    let slowest = timings.iter().map(|(t, _)| *t).max().unwrap();
    println!(
        "revoke with redis-server stopped (SIGSTOP), 4 at once, I/O timeout {io_timeout:?}: \
         {:?} (bound {bound:?})",
        timings.iter().map(|(t, _)| *t).collect::<Vec<_>>()
    );
    for (elapsed, result) in &timings {
        assert!(
            matches!(result, Err(RevocationError::NotPropagated { .. })),
            "{result:?}"
        );
        // The bound plus scheduling slack on a shared 2-core machine; four
        // revocations queued one behind another would take 4 × 2 × 500 ms.
        assert!(
            *elapsed <= bound + Duration::from_millis(500),
            "{elapsed:?}"
        );
    }
    assert!(slowest <= bound + Duration::from_millis(500));
    assert!(a.stats().pending_writes >= 1, "{:?}", a.stats());
    server.resume();
    // Redis answers again: the writer's retries (or A's resync write-back)
    // bring every cut-off to B.
    let reached = time_until(Duration::from_secs(10), || {
        (0..4).all(|i| b.is_revoked(&format!("hung-{i}"), before))
    })
    .expect("every cut-off reaches B once Redis answers");
    println!("after SIGCONT, every cut-off reached the other replica within {reached:?}");
    time_until(Duration::from_secs(5), || a.stats().pending_writes == 0).expect("confirmed");
}
