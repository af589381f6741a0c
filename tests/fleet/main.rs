//! The fleet test (docs/operations.md): three replicas of the example app
//! as separate processes on ephemeral loopback ports, behind nginx running
//! the configuration docs/operations.md recommends (read from that page),
//! with a real `redis-server` for "log out everywhere".
//!
//! A pool of simulated browsers (`browser.rs`) drives users through login →
//! counter → logout the whole time, while the orchestrator
//! - (a) rolls the keys through the three rotation phases of
//!   docs/operations.md, restarting the replicas one at a time as that page
//!   says (drained from nginx by a reload, waiting for the old nginx worker
//!   to exit, stopped with SIGTERM, started as a new process with the new
//!   `SESSION_KEYS`, put back): phase 1 adds NEW as verify-only, phase 2
//!   signs with NEW and keeps OLD as verify, phase 3 drops OLD once every
//!   active session has been re-issued (the test's stand-in for the
//!   documented wait);
//! - (b) logs one user out everywhere through one replica (through nginx) and
//!   times, by asking every replica directly, until each refuses the user's
//!   other session (`revocation.rs`);
//! - (c) kills replicas with SIGKILL under load, without drain, and restarts
//!   them;
//! - (d) stops redis-server with SIGSTOP: requests go on, and
//!   `POST /logout-everywhere` answers within the bound of `revoke`.
//!
//! Asserted: no session lost, no failed `GET` (idempotent: nginx retries it
//! on the next replica), no failed `POST` outside the kill phase (failed
//! `POST`s in the kill phase are printed with the reason: nginx does not
//! resend a `POST` it had sent to a replica that died), no `Set-Cookie` on
//! read-only requests outside the phase-2 rollout and never twice for one
//! re-issued cookie (no re-key ping-pong), zero Redis round trips per request
//! in steady state, revocation everywhere within 5 s, and the answer to a
//! revocation within `revoke`'s bound while Redis hangs.
//!
//! The replicas are the example app's own `main` (examples/axum_app.rs,
//! compiled into this test binary, which re-runs itself with
//! `SESSION_FLEET_ROLE=replica`): the same code as
//! `cargo run --example axum_app`, without a nested cargo build.
//!
//! Without nginx or redis-server the test prints SKIP, unless
//! `REQUIRE_SERVICES=1`. Every process is killed on the way out, also on a
//! panic (drop guards). Runs in about a minute.

#[allow(dead_code)]
#[path = "../../examples/axum_app.rs"]
mod axum_app;
mod browser;
#[path = "../http/client.rs"]
mod client;
mod revocation;
#[path = "../services/mod.rs"]
mod services;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use http::{Method, StatusCode};
use session_runtime::revocation::DEFAULT_REVOCATION_IO_TIMEOUT;
use session_runtime::CookieSession;

use axum_app::AppSession;
use browser::{browse, Shared, Stage};
use client::send;
use services::{binaries_or_skip, free_port, Guarded, Nginx, RedisServer, TempDir};

const ROLE_ENV: &str = "SESSION_FLEET_ROLE";
const APP: &str = AppSession::NAME;
const REPLICAS: usize = 3;
const USERS: usize = 16;
const REVOCATION_ROUNDS: usize = 12;
/// Replica kills in the kill phase (each replica killed twice).
const KILLS: usize = 6;
/// `revoke`'s bound with the example's default I/O timeout
/// (`RedisRevocations::revoke_bound`), and what the test allows on top of it
/// for scheduling on a loaded 2-core machine.
const REVOKE_BOUND: Duration = DEFAULT_REVOCATION_IO_TIMEOUT.saturating_mul(2);
const REVOKE_SLACK: Duration = Duration::from_millis(750);
/// Whole-test budget: the orchestrator fails beyond it.
const BUDGET: Duration = Duration::from_secs(240);

fn main() -> ExitCode {
    if std::env::var_os(ROLE_ENV).is_some_and(|role| role == "replica") {
        // The example app itself: PORT, SESSION_KEYS and SESSION_REDIS_URL
        // come from the environment the orchestrator set.
        return axum_app::main();
    }
    // Behave like a libtest binary towards cargo's arguments.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--list") {
        println!("fleet: test");
        return ExitCode::SUCCESS;
    }
    let filters: Vec<&String> = args.iter().filter(|arg| !arg.starts_with('-')).collect();
    if args.iter().any(|arg| arg == "--ignored")
        || (!filters.is_empty() && !filters.iter().any(|f| "fleet".contains(f.as_str())))
    {
        println!("fleet: filtered out");
        return ExitCode::SUCCESS;
    }
    let Some((redis, Some(nginx))) = binaries_or_skip("fleet", true) else {
        return ExitCode::SUCCESS;
    };
    run(&redis, &nginx);
    println!("fleet: ok");
    // The closing line cargo-style runners read.
    println!("test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
    ExitCode::SUCCESS
}

/// What the orchestrator tells the replicas through `SESSION_KEYS`.
struct Keys {
    old: String,
    new: String,
}

impl Keys {
    fn generate() -> Keys {
        let secret = || {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).expect("OS randomness");
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        };
        Keys {
            old: secret(),
            new: secret(),
        }
    }

    /// `SESSION_KEYS` for each phase of docs/operations.md.
    fn phase(&self, phase: u8) -> String {
        let Keys { old, new } = self;
        match phase {
            0 => format!("sign:{old}"),
            1 => format!("sign:{old}, verify-only:{new}"),
            2 => format!("sign:{new}, verify:{old}"),
            _ => format!("sign:{new}"),
        }
    }
}

struct Replica {
    port: u16,
    process: Option<Guarded>,
    log: PathBuf,
}

pub struct Fleet {
    exe: PathBuf,
    redis_url: String,
    replicas: Vec<Replica>,
    restarts: usize,
    kills: usize,
}

impl Fleet {
    fn start_replica(&self, index: usize, keys: &str) -> Guarded {
        let replica = &self.replicas[index];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&replica.log)
            .expect("replica log");
        let child = Command::new(&self.exe)
            .env(ROLE_ENV, "replica")
            .env("PORT", replica.port.to_string())
            .env("SESSION_KEYS", keys)
            .env("SESSION_REDIS_URL", &self.redis_url)
            .env_remove("SESSION_KEYS_FILE")
            .env_remove("SESSION_SECRET")
            .env_remove("SESSION_PREVIOUS_SECRET")
            .env_remove("SHUTDOWN_DRAIN_SECS")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start a replica");
        let process = Guarded::new(format!("replica {index}"), child);
        services::wait_for_port(replica.port, Duration::from_secs(15), "replica");
        process
    }

    /// The rolling-restart step of docs/operations.md: take the replica out
    /// of the load balancer (and wait for the old nginx worker to exit), stop
    /// it with SIGTERM, start it with `keys` on the same port, wait until it
    /// listens, put it back.
    fn restart(&mut self, nginx: &Nginx, index: usize, keys: &str) {
        nginx.drain(Some(index));
        if let Some(mut old) = self.replicas[index].process.take() {
            assert!(
                old.terminate(Duration::from_secs(10)),
                "replica {index} did not stop on SIGTERM"
            );
        }
        let process = self.start_replica(index, keys);
        self.replicas[index].process = Some(process);
        nginx.drain(None);
        self.restarts += 1;
    }

    /// A crash: SIGKILL under load, no drain; the replica comes back after
    /// `down_for` with the same keys.
    fn kill_and_restart(&mut self, index: usize, keys: &str, down_for: Duration) {
        if let Some(mut process) = self.replicas[index].process.take() {
            process.kill();
        }
        std::thread::sleep(down_for);
        let process = self.start_replica(index, keys);
        self.replicas[index].process = Some(process);
        self.kills += 1;
    }

    pub fn addr(&self, index: usize) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.replicas[index].port))
    }

    fn logs(&self) -> String {
        self.replicas
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let text = std::fs::read_to_string(&r.log).unwrap_or_default();
                let tail: String = text
                    .chars()
                    .rev()
                    .take(2000)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                format!("--- replica {i} log (tail) ---\n{tail}\n")
            })
            .collect()
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// Parses `/ops/metrics` (Prometheus text: `name value` lines).
fn metric(body: &str, name: &str) -> u64 {
    body.lines()
        .find_map(|line| {
            line.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("metric {name} missing from {body:?}"))
}

fn run(redis_binary: &Path, nginx_binary: &Path) {
    let started = Instant::now();
    let dir = TempDir::new("fleet");
    let redis_dir = dir.path().join("redis");
    let nginx_dir = dir.path().join("nginx");
    std::fs::create_dir_all(&redis_dir).unwrap();
    std::fs::create_dir_all(&nginx_dir).unwrap();
    let redis = RedisServer::start(redis_binary, &redis_dir);
    let keys = Keys::generate();
    let mut fleet = Fleet {
        exe: std::env::current_exe().expect("own executable"),
        redis_url: redis.url(),
        replicas: (0..REPLICAS)
            .map(|i| Replica {
                port: free_port(),
                process: None,
                log: dir.path().join(format!("replica-{i}.log")),
            })
            .collect(),
        restarts: 0,
        kills: 0,
    };
    for i in 0..REPLICAS {
        let process = fleet.start_replica(i, &keys.phase(0));
        fleet.replicas[i].process = Some(process);
    }
    let ports: Vec<u16> = fleet.replicas.iter().map(|r| r.port).collect();
    let nginx = Nginx::start(nginx_binary, &nginx_dir, &ports);
    let nginx_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, nginx.port));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let shared = Arc::new(Shared::new(USERS));
    let mut browsers: Vec<_> = (0..USERS)
        .map(|i| runtime.spawn(browse(i, nginx_addr, Arc::clone(&shared))))
        .collect();
    browsers.push(runtime.spawn(browser::keep_notes(nginx_addr, Arc::clone(&shared))));

    // The body runs in a closure so that a failure still stops the browsers
    // and prints the replicas' logs before the guards kill everything.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        orchestrate(
            &mut fleet, &nginx, &redis, &keys, &runtime, &shared, started,
        )
    }));
    shared.stop.store(true, Ordering::SeqCst);
    let mut browser_panics = Vec::new();
    for browser in browsers {
        if let Err(err) = runtime.block_on(browser) {
            browser_panics.push(err.to_string());
        }
    }
    let report = match outcome {
        Ok(report) => report,
        Err(panic) => {
            eprintln!(
                "{}\n--- nginx error log ---\n{}",
                fleet.logs(),
                nginx.error_log()
            );
            std::panic::resume_unwind(panic);
        }
    };
    let stats = &shared.stats;
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    let requests = load(&stats.requests);
    let per_phase: Vec<u64> = stats.read_only_set_cookie.iter().map(load).collect();
    let failed_posts: Vec<u64> = stats.failed_posts.iter().map(load).collect();
    let kill_stage = 4;
    let redis_stage = 5;
    let failed_posts_outside_kills: u64 = failed_posts
        .iter()
        .enumerate()
        .filter(|(stage, _)| *stage != kill_stage)
        .map(|(_, n)| n)
        .sum();
    println!("fleet: {REPLICAS} replicas behind nginx (the configuration of docs/operations.md), redis-server, {USERS} users");
    println!(
        "fleet: requests {requests} through nginx ({} read-only, {} counter posts, {} logins, {} logouts, {} pages after a redirect) \
         + {} direct to replicas; {} drained restarts, {} kills; {:.1} s",
        load(&stats.read_only),
        load(&stats.counter_posts),
        load(&stats.logins),
        load(&stats.logouts),
        load(&stats.redirect_pages),
        report.direct_requests,
        fleet.restarts,
        fleet.kills,
        started.elapsed().as_secs_f64()
    );
    println!(
        "fleet: a chunked session (the example's /notes, up to three cookies of 4,096 bytes): {} drafts \
         saved, {} read back ({} from three cookies)",
        load(&stats.notes_saved),
        load(&stats.notes_read),
        load(&stats.notes_read_in_three_chunks)
    );
    println!(
        "fleet: sessions lost {}, failed GETs {}, failed POSTs {} outside the kill phase",
        load(&stats.lost),
        load(&stats.failed_idempotent),
        failed_posts_outside_kills
    );
    println!(
        "fleet: kill phase: {KILLS} SIGKILLs under load: {} requests, {} failed POSTs (sent to a \
         replica that died before answering; nginx does not resend a POST), 0 failed GETs required; \
         slowest request {:?}",
        load(&stats.stage_requests[kill_stage]),
        failed_posts[kill_stage],
        Duration::from_micros(load(&stats.stage_slowest_us[kill_stage]))
    );
    for (reason, count) in posts_nginx_did_not_retry(&nginx.error_log()) {
        println!("fleet: kill phase: nginx's reason for {count} POST(s): {reason}");
    }
    println!(
        "fleet: redis-server stopped (SIGSTOP) for {:.1} s: {} requests through nginx, slowest {:?}; \
         POST /logout-everywhere answered {} after {:?} (bound {REVOKE_BOUND:?}); after SIGCONT, refused \
         on every replica {:?} after the request",
        report.redis_stopped_for.as_secs_f64(),
        load(&stats.stage_requests[redis_stage]),
        Duration::from_micros(load(&stats.stage_slowest_us[redis_stage])),
        report.hung_status,
        report.hung_answered,
        report.hung_everywhere,
    );
    println!(
        "fleet: Set-Cookie on read-only requests: phase 0: {}, phase 1: {}, phase 2: {} (one re-key per \
         cookie signed with OLD), phase 3 and later: {}; re-key ping-pong: {}",
        per_phase[0],
        per_phase[1],
        per_phase[2],
        per_phase[3],
        load(&stats.ping_pong)
    );
    println!(
        "fleet: log out everywhere, {} rounds: refused on every replica after p50 {:?}, p99 {:?}, max {:?} \
         (from sending the request through nginx)",
        report.revocation.len(),
        percentile(&report.revocation, 0.5),
        percentile(&report.revocation, 0.99),
        report.revocation[report.revocation.len() - 1]
    );
    println!(
        "fleet: Redis round trips in steady state: {} for {} requests = {} per request \
         (+ {} keepalive PINGs, time-driven: 1 per replica per idle second)",
        report.steady_round_trips,
        report.steady_requests,
        report.steady_round_trips as f64 / report.steady_requests.max(1) as f64,
        report.steady_pings
    );
    let problems = stats.problems.lock().unwrap();
    for problem in problems.iter() {
        println!("fleet: problem: {problem}");
    }
    if !browser_panics.is_empty()
        || load(&stats.lost) != 0
        || load(&stats.failed_idempotent) != 0
        || failed_posts_outside_kills != 0
    {
        eprintln!(
            "{}\n--- nginx error log ---\n{}",
            fleet.logs(),
            nginx.error_log()
        );
    }
    assert!(
        browser_panics.is_empty(),
        "browsers panicked: {browser_panics:?}"
    );
    assert_eq!(load(&stats.lost), 0, "sessions lost");
    assert_eq!(load(&stats.failed_idempotent), 0, "failed GETs");
    assert_eq!(
        failed_posts_outside_kills, 0,
        "failed POSTs outside the kill phase"
    );
    assert_eq!(load(&stats.ping_pong), 0, "re-key ping-pong");
    assert_eq!(
        (per_phase[0], per_phase[1], per_phase[3]),
        (0, 0, 0),
        "Set-Cookie on read-only requests outside the phase-2 rollout"
    );
    assert_eq!(
        report.steady_round_trips, 0,
        "Redis round trips per request"
    );
    assert!(
        load(&stats.stage_requests[redis_stage]) > 50,
        "too few requests while Redis was stopped"
    );
    assert!(
        requests > 500,
        "the browsers made too few requests: {requests}"
    );
    assert!(
        load(&stats.notes_read_in_three_chunks) > 10 && load(&stats.notes_saved) > 10,
        "the notes user made too few requests"
    );
    drop(nginx);
    drop(redis);
}

/// nginx's error log lines for `POST`s that failed after they were sent
/// (a refused connection is retried on the next replica and is not a
/// failure), grouped by the error before "while ...".
fn posts_nginx_did_not_retry(log: &str) -> Vec<(String, usize)> {
    let mut reasons: Vec<(String, usize)> = Vec::new();
    for line in log.lines() {
        if !line.contains("request: \"POST") || line.contains("connect() failed") {
            continue;
        }
        let Some((_, message)) = line.split_once("[error] ") else {
            continue;
        };
        // `12#12: *345 recv() failed (104: ...) while reading response header ...`
        let message = message.split_once(": *").map_or(message, |(_, rest)| rest);
        let message = message.split_once(' ').map_or(message, |(_, rest)| rest);
        let reason = message
            .split(", client:")
            .next()
            .unwrap_or(message)
            .to_owned();
        match reasons.iter_mut().find(|(known, _)| *known == reason) {
            Some((_, count)) => *count += 1,
            None => reasons.push((reason, 1)),
        }
    }
    reasons
}

struct Report {
    revocation: Vec<Duration>,
    steady_round_trips: u64,
    steady_pings: u64,
    steady_requests: u64,
    direct_requests: u64,
    redis_stopped_for: Duration,
    hung_status: StatusCode,
    hung_answered: Duration,
    hung_everywhere: Duration,
}

fn orchestrate(
    fleet: &mut Fleet,
    balancer: &Nginx,
    redis: &RedisServer,
    keys: &Keys,
    runtime: &tokio::runtime::Runtime,
    shared: &Shared,
    started: Instant,
) -> Report {
    let nginx = SocketAddr::from((Ipv4Addr::LOCALHOST, balancer.port));
    let pause = |d: Duration| std::thread::sleep(d);
    let check_budget = || {
        assert!(
            started.elapsed() < BUDGET,
            "fleet test over its {BUDGET:?} budget"
        )
    };
    let mut direct_requests = 0;
    pause(Duration::from_millis(1000));

    // (b) early: a revocation before the rotation. Its cookie must stay
    // refused on replicas restarted later (they re-read the set from Redis).
    let early = runtime.block_on(revocation::round(fleet, nginx, "victim", || {}, || {}));
    assert_eq!(early.status, StatusCode::OK, "{}", early.body);
    direct_requests += early.direct;

    // (a) the three phases, one replica at a time.
    for phase in 1..=3u8 {
        if phase == 3 {
            // The documented wait: every active session re-issued with NEW.
            // Here: every user has completed a request that started after
            // phase 2 finished (each such request re-keys an OLD cookie).
            let epoch = shared.epoch.fetch_add(1, Ordering::SeqCst) + 1;
            let deadline = Instant::now() + Duration::from_secs(20);
            while shared
                .seen_epoch
                .iter()
                .any(|seen| seen.load(Ordering::SeqCst) < epoch)
            {
                assert!(
                    Instant::now() < deadline,
                    "users did not all make a request after phase 2"
                );
                pause(Duration::from_millis(20));
            }
        }
        shared.set_stage(Stage::Rotation(phase));
        for i in 0..REPLICAS {
            check_budget();
            fleet.restart(balancer, i, &keys.phase(phase));
            pause(Duration::from_millis(400));
        }
        if phase == 2 {
            // Every replica has restarted twice since the early revocation.
            for i in 0..REPLICAS {
                let reply =
                    runtime.block_on(revocation::page(fleet.addr(i), &early.revoked_cookie));
                direct_requests += 1;
                assert!(
                    reply.body.contains("refused (revoked)"),
                    "replica {i} forgot the early revocation after restarts"
                );
            }
        }
    }

    // Steady state: no revocations, no restarts; count Redis round trips.
    pause(Duration::from_millis(500));
    let read_metrics = |direct: &mut u64| -> Vec<String> {
        (0..REPLICAS)
            .map(|i| {
                *direct += 1;
                let reply =
                    runtime.block_on(send(fleet.addr(i), Method::GET, "/ops/metrics", None, None));
                assert_eq!(reply.status, StatusCode::OK);
                reply.body
            })
            .collect()
    };
    let before = read_metrics(&mut direct_requests);
    let requests_before = shared.stats.requests.load(Ordering::SeqCst);
    pause(Duration::from_millis(2500));
    let requests_after = shared.stats.requests.load(Ordering::SeqCst);
    let after = read_metrics(&mut direct_requests);
    let delta = |name: &str| -> u64 {
        before
            .iter()
            .zip(&after)
            .map(|(b, a)| metric(a, name) - metric(b, name))
            .sum()
    };
    let steady_pings = delta("revocation_keepalive_pings");
    let steady_round_trips = delta("revocation_redis_round_trips") - steady_pings;
    for body in &after {
        assert_eq!(metric(body, "revocation_subscribed"), 1, "{body}");
        // The library's own counters reach the Prometheus page.
        assert!(
            body.contains("session_loads_total{status=\"valid\"}"),
            "{body}"
        );
    }

    // (b) repeated, for the distribution.
    let mut revocation = Vec::new();
    for _ in 0..REVOCATION_ROUNDS {
        check_budget();
        let round = runtime.block_on(revocation::round(fleet, nginx, "victim", || {}, || {}));
        assert_eq!(round.status, StatusCode::OK, "{}", round.body);
        assert!(
            round.everywhere < Duration::from_secs(5),
            "{:?}",
            round.everywhere
        );
        direct_requests += round.direct;
        revocation.push(round.everywhere);
    }
    revocation.sort();

    // (c) crashes under load: SIGKILL, no drain, back after a moment.
    shared.set_stage(Stage::Kill);
    for kill in 0..KILLS {
        check_budget();
        fleet.kill_and_restart(kill % REPLICAS, &keys.phase(3), Duration::from_millis(500));
        pause(Duration::from_millis(1500));
    }
    shared.set_stage(Stage::Rotation(3));
    pause(Duration::from_millis(500));

    // (d) Redis hangs (SIGSTOP): requests go on, and log out everywhere
    // answers within the bound, refused at once on the replica that took it
    // and everywhere once Redis answers again.
    check_budget();
    let mut stopped_at = None;
    let mut resumed_at = None;
    let hung = runtime.block_on(revocation::round(
        fleet,
        nginx,
        "victim",
        || {
            shared.set_stage(Stage::RedisStopped);
            redis.pause();
            stopped_at = Some(Instant::now());
            // Long enough for every replica's keepalive to fail (1 s of
            // silence, then a PING unanswered for 1 s).
            std::thread::sleep(Duration::from_millis(2500));
        },
        || {
            redis.resume();
            resumed_at = Some(Instant::now());
            shared.set_stage(Stage::Rotation(3));
        },
    ));
    direct_requests += hung.direct;
    assert_eq!(
        hung.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        hung.body
    );
    assert!(
        hung.answered <= REVOKE_BOUND + REVOKE_SLACK,
        "log out everywhere with Redis stopped answered after {:?}",
        hung.answered
    );
    let body = hung.body.to_lowercase();
    assert!(
        !body.contains("redis") && !body.contains("timed out") && !body.contains("error"),
        "the user-facing body shows internals: {}",
        hung.body
    );
    pause(Duration::from_millis(500));
    Report {
        revocation,
        steady_round_trips,
        steady_pings,
        steady_requests: requests_after - requests_before,
        direct_requests,
        redis_stopped_for: resumed_at
            .zip(stopped_at)
            .map_or(Duration::ZERO, |(resumed, stopped)| resumed - stopped),
        hung_status: hung.status,
        hung_answered: hung.answered,
        hung_everywhere: hung.everywhere,
    }
}
