//! Rolling key rotation across a simulated two-replica fleet with random
//! routing (docs/operations.md, "Key rotation"). Every phase of the three-phase
//! rollout and every mixed fleet in between loses no session, and read-only
//! requests get a `Set-Cookie` at most once per session (the one re-key to the
//! new signing key), never back and forth; a slow roll (three replicas, 20
//! minutes apart, with idle refreshes and writes) changes each session's key
//! at most once. Two broken procedures are run through the same simulation
//! to show that it detects both failures.

use std::time::Duration;

use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use session_runtime::{
    CookieSession, Key, LoadStatus, ManualClock, Rejection, SessionConfig, SessionConfigBuilder,
    WriteReason,
};
use session_tests::{cookie_pair, T0_MS};

#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-fleet", version = 1)]
struct FleetSession {
    user: u32,
    counter: u32,
}

const IDLE: Duration = Duration::from_secs(2 * 60 * 60);
const USERS: u32 = 40;
const ROUNDS_PER_STEP: u32 = 12;

fn old() -> Key {
    Key::from_secret(b"old secret, 32 bytes or more....").unwrap()
}

fn new() -> Key {
    Key::from_secret(b"new secret, 32 bytes or more....").unwrap()
}

/// What one replica runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// Before the rotation: sign with OLD.
    Old,
    /// Phase 1: sign with OLD, accept NEW as verify-only.
    OldAcceptNew,
    /// Phase 2: sign with NEW, OLD as verify (re-keyed).
    NewRekeyOld,
    /// Phase 3: sign with NEW only.
    New,
    /// The broken mirror of `NewRekeyOld`: sign with OLD, NEW as verify.
    OldRekeyNew,
}

fn config(keys: Keys, clock: &ManualClock) -> SessionConfig<FleetSession> {
    let builder: SessionConfigBuilder<FleetSession> = match keys {
        Keys::Old => SessionConfig::builder(old()),
        Keys::OldAcceptNew => SessionConfig::builder(old()).verify_only_key(new()),
        Keys::NewRekeyOld => SessionConfig::builder(new()).verify_key(old()),
        Keys::New => SessionConfig::builder(new()),
        Keys::OldRekeyNew => SessionConfig::builder(old()).verify_key(new()),
    };
    builder
        .idle_timeout(IDLE)
        .clock(clock.clone())
        .build()
        .unwrap()
}

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) % u64::from(n)) as u32
    }
}

#[derive(Default, Debug)]
struct Tally {
    requests: u32,
    /// A cookie that was valid a moment ago came back refused (or with other data).
    lost: u32,
    read_only: u32,
    set_cookie_on_read_only: u32,
    /// Of those: re-keyed to the replica's signing key ...
    rekeyed_on_read_only: u32,
    /// ... or re-issued to keep the idle timeout rolling.
    refreshed_on_read_only: u32,
    /// A read-only re-key right after a read-only re-key, with no write in
    /// between: replicas re-keying each other's cookies back and forth.
    ping_pong: u32,
}

struct Browser {
    cookie: Option<String>,
    counter: u32,
    /// Whether the last Set-Cookie this browser got was a read-only re-key.
    last_write_was_rekey: bool,
}

struct Fleet {
    clock: ManualClock,
    rng: Rng,
    browsers: Vec<Browser>,
    tally: Tally,
}

impl Fleet {
    fn new(seed: u64) -> Fleet {
        Fleet {
            clock: ManualClock::new(T0_MS),
            rng: Rng(seed),
            browsers: (0..USERS)
                .map(|_| Browser {
                    cookie: None,
                    counter: 0,
                    last_write_was_rekey: false,
                })
                .collect(),
            tally: Tally::default(),
        }
    }

    /// `ROUNDS_PER_STEP` rounds in which every user sends one request to a
    /// random replica; `advance` passes between rounds.
    fn run(&mut self, replicas: &[Keys], advance: Duration) {
        let configs: Vec<_> = replicas.iter().map(|&k| config(k, &self.clock)).collect();
        for _ in 0..ROUNDS_PER_STEP {
            for user in 0..USERS {
                let replica = self.rng.below(configs.len() as u32) as usize;
                let write = self.rng.below(10) < 3;
                self.request(&configs[replica], user, write);
            }
            self.clock.advance(advance);
        }
    }

    fn request(&mut self, config: &SessionConfig<FleetSession>, user: u32, write: bool) {
        let browser = &mut self.browsers[user as usize];
        let tally = &mut self.tally;
        tally.requests += 1;
        let mut headers = HeaderMap::new();
        if let Some(cookie) = &browser.cookie {
            headers.insert(COOKIE, HeaderValue::try_from(cookie.as_str()).unwrap());
        }
        let mut session = config.load(&headers);
        let valid = matches!(
            session.status(),
            LoadStatus::Valid | LoadStatus::ValidVerifyKey
        );
        if valid {
            if session.user() != &user || session.counter() != &browser.counter {
                tally.lost += 1;
            }
        } else if session.rejection().is_some_and(is_loss) {
            // A cookie that verified a moment ago was refused for another
            // reason than age: the rotation lost it.
            tally.lost += 1;
        }
        let read_only = valid && !write;
        if !valid {
            // Log in (again); an expired session would have ended anyway.
            session.renew();
            session.set_user(user);
            session.set_counter(0);
            browser.counter = 0;
        } else if write {
            browser.counter += 1;
            session.set_counter(browser.counter);
        } else {
            tally.read_only += 1;
        }
        let reason = session.pending_write();
        let mut response = HeaderMap::new();
        config.store(&session, &mut response).unwrap();
        if let Some(set_cookie) = response.get(SET_COOKIE) {
            let rekey = read_only && reason == Some(WriteReason::Rekeyed);
            if read_only {
                tally.set_cookie_on_read_only += 1;
                match reason {
                    Some(WriteReason::Rekeyed) => tally.rekeyed_on_read_only += 1,
                    Some(WriteReason::Refreshed) => tally.refreshed_on_read_only += 1,
                    other => panic!("read-only request wrote a cookie: {other:?}"),
                }
                if rekey && browser.last_write_was_rekey {
                    tally.ping_pong += 1;
                }
            }
            browser.last_write_was_rekey = rekey;
            browser.cookie = Some(cookie_pair(set_cookie));
        }
    }
}

fn is_loss(reason: &Rejection) -> bool {
    !matches!(
        reason,
        Rejection::IdleExpired { .. } | Rejection::AbsoluteExpired { .. }
    )
}

#[test]
fn three_phase_rollout_loses_no_session_and_never_ping_pongs() {
    use Keys::*;
    let mut fleet = Fleet::new(0x5eed_0001);
    let small_step = Duration::from_secs(20);
    // Every fleet a rolling deploy passes through, one replica at a time.
    let steps: &[(&str, [Keys; 2])] = &[
        ("before", [Old, Old]),
        ("phase 1, mixed", [OldAcceptNew, Old]),
        ("phase 1", [OldAcceptNew, OldAcceptNew]),
        ("phase 2, mixed", [NewRekeyOld, OldAcceptNew]),
        ("phase 2", [NewRekeyOld, NewRekeyOld]),
    ];
    for (name, replicas) in steps {
        fleet.run(replicas, small_step);
        println!("{name:>16}: {:?}", fleet.tally);
    }
    // The documented wait before phase 3: at least one idle timeout with every
    // replica in phase 2, so each cookie still signed with OLD has been
    // re-keyed on its next request or has expired. Active users keep going.
    let wait = IDLE.mul_f64(1.05) / ROUNDS_PER_STEP;
    fleet.run(&[NewRekeyOld, NewRekeyOld], wait);
    for (name, replicas) in [
        ("phase 3, mixed", [New, NewRekeyOld]),
        ("phase 3", [New, New]),
    ] {
        fleet.run(&replicas, small_step);
        println!("{name:>16}: {:?}", fleet.tally);
    }
    let tally = &fleet.tally;
    assert_eq!(tally.lost, 0, "{tally:?}");
    assert!(tally.requests >= 8 * USERS * ROUNDS_PER_STEP);
    assert!(tally.read_only > tally.requests / 2);
    // Read-only requests are re-keyed only from OLD to NEW on a phase-2
    // replica (after a write on a replica still signing with OLD), never back
    // and forth; the other read-only Set-Cookies are idle refreshes during
    // the hour-long wait.
    assert_eq!(tally.ping_pong, 0, "{tally:?}");
    assert!(tally.rekeyed_on_read_only > 0, "{tally:?}");
    assert_eq!(
        tally.set_cookie_on_read_only,
        tally.rekeyed_on_read_only + tally.refreshed_on_read_only
    );
}

#[test]
fn the_old_two_step_rotation_loses_sessions_in_a_mixed_fleet() {
    use Keys::*;
    // Without phase 1, a replica that already signs with NEW re-keys the
    // cookie, and a replica still on OLD alone cannot verify it.
    let mut fleet = Fleet::new(0x5eed_0002);
    fleet.run(&[Old, Old], Duration::from_secs(20));
    fleet.run(&[NewRekeyOld, Old], Duration::from_secs(20));
    println!("two-step: {:?}", fleet.tally);
    assert!(fleet.tally.lost > 0, "{:?}", fleet.tally);
}

#[test]
fn replicas_that_rekey_to_each_other_ping_pong() {
    use Keys::*;
    // Two replicas that each treat the other's key as "previous" re-key every
    // cookie back and forth: read-only requests keep getting Set-Cookie.
    // Verify-only keys exist to prevent exactly this.
    let mut fleet = Fleet::new(0x5eed_0003);
    fleet.run(&[NewRekeyOld, OldRekeyNew], Duration::from_secs(20));
    println!("ping-pong: {:?}", fleet.tally);
    assert_eq!(fleet.tally.lost, 0);
    assert!(fleet.tally.ping_pong > USERS, "{:?}", fleet.tally);
}

/// A slow rolling rotation, as a real fleet does it: three replicas, each
/// serving about 20 minutes between restarts, users coming back every few
/// minutes (so idle refreshes, every `refresh_after` = 1 h, happen during
/// the roll) and writing on 30% of their requests. Each session's cookie
/// changes key at most once (OLD to NEW), never back, and read-only
/// requests re-issue it for the rotation at most once.
#[test]
fn slow_rolling_rotation_changes_each_sessions_key_at_most_once() {
    use std::sync::{Arc, Mutex};

    use session_runtime::keys::KeyId;
    use Keys::*;

    const MINUTE: Duration = Duration::from_secs(60);
    const REPLICAS: usize = 3;
    let clock = ManualClock::new(T0_MS);
    // The key that verified the cookie of the request being loaded, taken
    // from the revocation check (which sees every authentic cookie).
    let verified_with: Arc<Mutex<Option<KeyId>>> = Arc::default();
    let config = |keys: Keys| {
        let builder: SessionConfigBuilder<FleetSession> = match keys {
            Old => SessionConfig::builder(old()),
            OldAcceptNew => SessionConfig::builder(old()).verify_only_key(new()),
            NewRekeyOld => SessionConfig::builder(new()).verify_key(old()),
            New => SessionConfig::builder(new()),
            OldRekeyNew => unreachable!("not part of the runbook"),
        };
        let seen = Arc::clone(&verified_with);
        builder
            .idle_timeout(IDLE)
            .clock(clock.clone())
            .revocation_check(move |_, meta| {
                *seen.lock().unwrap() = Some(meta.key_id);
                true
            })
            .build()
            .unwrap()
    };
    // (minute, replica, its keys from then on): each phase rolls one
    // replica every 20 minutes; phase 3 starts after the documented wait
    // (the idle timeout plus the skew allowance after the last phase-2
    // restart).
    let wait = (IDLE + Duration::from_secs(60)).as_secs() / 60 + 1;
    let mut schedule: Vec<(u64, usize, Keys)> = Vec::new();
    for (keys, start) in [(OldAcceptNew, 60), (NewRekeyOld, 140), (New, 180 + wait)] {
        for replica in 0..REPLICAS {
            schedule.push((start + 20 * replica as u64, replica, keys));
        }
    }
    let end = schedule.last().unwrap().0 + 40;
    let mut replicas: Vec<SessionConfig<FleetSession>> =
        (0..REPLICAS).map(|_| config(Old)).collect();
    let mut rng = Rng(0x5eed_0004);
    #[derive(Default)]
    struct User {
        cookie: Option<String>,
        counter: u32,
        /// Keys seen on this session's cookies, in order (a new login starts over).
        keys: Vec<KeyId>,
        rotation_reissues: u32,
    }
    let mut users: Vec<User> = (0..USERS).map(|_| User::default()).collect();
    let (mut requests, mut lost, mut refreshes) = (0u32, 0u32, 0u32);
    let mut worst_changes = 0usize;
    let mut worst_reissues = 0u32;
    let finish = |user: &User, worst_changes: &mut usize, worst_reissues: &mut u32| {
        let changes = user
            .keys
            .windows(2)
            .filter(|pair| pair[0] != pair[1])
            .count();
        assert!(
            !user
                .keys
                .windows(2)
                .any(|pair| pair[0] == new().id() && pair[1] == old().id()),
            "a session went back from NEW to OLD: {:?}",
            user.keys
        );
        *worst_changes = (*worst_changes).max(changes);
        *worst_reissues = (*worst_reissues).max(user.rotation_reissues);
    };
    for minute in 0..end {
        for (_, replica, keys) in schedule.iter().filter(|(at, ..)| *at == minute) {
            replicas[*replica] = config(*keys);
        }
        for (index, user) in users.iter_mut().enumerate() {
            if rng.below(6) != 0 {
                continue; // back in about 6 minutes on average
            }
            requests += 1;
            let replica = &replicas[rng.below(REPLICAS as u32) as usize];
            let write = rng.below(10) < 3;
            let mut headers = HeaderMap::new();
            if let Some(cookie) = &user.cookie {
                headers.insert(COOKIE, HeaderValue::try_from(cookie.as_str()).unwrap());
            }
            *verified_with.lock().unwrap() = None;
            let mut session = replica.load(&headers);
            let valid = matches!(
                session.status(),
                LoadStatus::Valid | LoadStatus::ValidVerifyKey
            );
            if valid {
                assert_eq!(session.counter(), &user.counter);
                user.keys
                    .push(verified_with.lock().unwrap().expect("checked"));
            } else if session.rejection().is_some_and(is_loss) {
                lost += 1;
            }
            if !valid {
                finish(user, &mut worst_changes, &mut worst_reissues);
                *user = User::default();
                session.renew();
                session.set_user(index as u32);
                session.set_counter(0);
            } else if write {
                user.counter += 1;
                session.set_counter(user.counter);
            }
            let reason = session.pending_write();
            match reason {
                Some(WriteReason::Rekeyed) => user.rotation_reissues += 1,
                Some(WriteReason::Refreshed) => refreshes += 1,
                _ => {}
            }
            let mut response = HeaderMap::new();
            replica.store(&session, &mut response).unwrap();
            if let Some(set_cookie) = response.get(SET_COOKIE) {
                user.cookie = Some(cookie_pair(set_cookie));
            }
        }
        clock.advance(MINUTE);
    }
    for user in &users {
        finish(user, &mut worst_changes, &mut worst_reissues);
    }
    println!(
        "slow roll: {requests} requests over {end} minutes, {refreshes} idle refreshes, \
         lost {lost}, most key changes of one session {worst_changes}, most re-keys on \
         read-only requests {worst_reissues}"
    );
    assert_eq!(lost, 0);
    assert!(refreshes > 0, "the roll is slow enough for idle refreshes");
    assert!(
        worst_changes <= 1,
        "a session changed key {worst_changes} times"
    );
    assert!(
        worst_reissues <= 1,
        "a session was re-keyed {worst_reissues} times"
    );
    // And the rotation happened: sessions did move to NEW.
    assert!(users
        .iter()
        .any(|user| user.keys.last() == Some(&new().id())));
}
