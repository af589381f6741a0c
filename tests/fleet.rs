//! The fleet test (docs/operations.md): three replicas of the
//! example app as separate processes on ephemeral loopback ports, behind nginx
//! (round-robin), with a real `redis-server` for "log out everywhere".
//!
//! A pool of simulated browsers drives users through login → counter → logout
//! the whole time, while the orchestrator
//! - (a) rolls the keys through the three rotation phases of
//!   docs/operations.md, restarting the replicas one at a time (drained from
//!   nginx by a config reload, stopped with SIGINT, the app's graceful
//!   shutdown, started as a new process with the new `SESSION_KEYS`, put
//!   back): phase 1 adds NEW as verify-only, phase 2 signs with NEW
//!   and keeps OLD as verify, phase 3 drops OLD once every active session has
//!   been re-issued (the test's stand-in for the documented wait);
//! - (b) logs one user out everywhere through one replica (through nginx) and
//!   times, by asking every replica directly, until each refuses the user's
//!   other session.
//!
//! Printed: requests, sessions lost (asserted 0), `Set-Cookie` on read-only
//! requests per phase (asserted 0 outside the phase-2 rollout, and never twice
//! for one re-issued cookie: no re-key ping-pong), revocation time until every
//! replica refused (p50/p99), and Redis round trips per request in steady
//! state (asserted 0).
//!
//! The replicas are the example app's own `main` (examples/axum_app.rs,
//! compiled into this test binary, which re-runs itself with
//! `SESSION_FLEET_ROLE=replica`): the same code as
//! `cargo run --example axum_app`, without a nested cargo build.
//!
//! Without nginx or redis-server the test prints SKIP, unless
//! `REQUIRE_SERVICES=1`. Every process is killed on the way out, also on a
//! panic (drop guards). Runs in about 20 s.

#[allow(dead_code)]
#[path = "../examples/axum_app.rs"]
mod axum_app;
#[path = "http/client.rs"]
mod client;
mod services;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use http::{Method, StatusCode};
use session_runtime::CookieSession;

use axum_app::AppSession;
use client::{send, Client, Reply};
use services::{binaries_or_skip, free_port, Guarded, Nginx, RedisServer, TempDir};

const ROLE_ENV: &str = "SESSION_FLEET_ROLE";
const APP: &str = AppSession::NAME;
const REPLICAS: usize = 3;
const USERS: usize = 16;
/// Pause between one user's requests (keeps the 2-core machine responsive).
const THINK_TIME: Duration = Duration::from_millis(8);
const REVOCATION_ROUNDS: usize = 12;
/// Whole-test budget: the orchestrator fails beyond it.
const BUDGET: Duration = Duration::from_secs(120);

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

struct Fleet {
    exe: PathBuf,
    redis_url: String,
    replicas: Vec<Replica>,
    restarts: usize,
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
    /// of the load balancer, stop it gracefully, start it with `keys` on the
    /// same port, wait until it listens, put it back.
    fn restart(&mut self, nginx: &Nginx, index: usize, keys: &str) {
        nginx.drain(Some(index));
        if let Some(mut old) = self.replicas[index].process.take() {
            old.interrupt(Duration::from_secs(5));
        }
        let process = self.start_replica(index, keys);
        self.replicas[index].process = Some(process);
        nginx.drain(None);
        self.restarts += 1;
    }

    fn addr(&self, index: usize) -> SocketAddr {
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

/// Counters shared by the simulated browsers.
#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    read_only: AtomicU64,
    /// `Set-Cookie` on a read-only request, by phase 0..=3.
    read_only_set_cookie: [AtomicU64; 4],
    /// A cookie that was itself re-issued on a read-only request came back
    /// re-issued again on a read-only request.
    ping_pong: AtomicU64,
    lost: AtomicU64,
    failed: AtomicU64,
    logins: AtomicU64,
    logouts: AtomicU64,
    counter_posts: AtomicU64,
    /// Pages loaded after a form's redirect (they consume flash messages).
    redirect_pages: AtomicU64,
    /// Up to a few descriptions of lost sessions and failed requests.
    problems: Mutex<Vec<String>>,
}

impl Stats {
    fn problem(&self, text: String) {
        let mut problems = self.problems.lock().unwrap();
        if problems.len() < 10 {
            problems.push(text);
        }
    }
}

struct Shared {
    stats: Stats,
    stop: AtomicBool,
    phase: AtomicUsize,
    /// Bumped by the orchestrator; each user records the value seen at the
    /// start of its last completed request.
    epoch: AtomicU64,
    seen_epoch: Vec<AtomicU64>,
}

fn text_between<'a>(body: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = body.find(start)? + start.len();
    let len = body[from..].find(end)?;
    Some(&body[from..from + len])
}

fn app_cookie(reply: &Reply) -> Option<String> {
    reply.set_cookies_for(APP).into_iter().next()
}

/// One simulated browser: logs in as `name`, alternates reads and counter
/// posts, logs out now and then, and checks every page it reads.
async fn browse(index: usize, nginx: SocketAddr, shared: Arc<Shared>) {
    let name = format!("user{index}");
    let stats = &shared.stats;
    let mut client = Client::with_csrf(nginx);
    let mut counter = 0u32;
    let mut logged_in = false;
    // Whether the cookie in the jar came from a read-only re-issue.
    let mut reissued = false;
    let mut step = index; // users start at different points of the cycle
    while !shared.stop.load(Ordering::Relaxed) {
        let epoch = shared.epoch.load(Ordering::SeqCst);
        step += 1;
        if !logged_in {
            let reply = client.post("/login", &format!("name={name}")).await;
            stats.requests.fetch_add(1, Ordering::Relaxed);
            stats.logins.fetch_add(1, Ordering::Relaxed);
            if reply.status != StatusCode::SEE_OTHER || app_cookie(&reply).is_none() {
                stats.failed.fetch_add(1, Ordering::Relaxed);
                stats.problem(format!("{name}: login answered {}", reply.status));
            } else {
                logged_in = true;
                counter = 0;
                follow_redirect(&mut client, stats).await;
                reissued = false;
            }
        } else if step.is_multiple_of(40) {
            let reply = client.post("/logout", "").await;
            stats.requests.fetch_add(1, Ordering::Relaxed);
            stats.logouts.fetch_add(1, Ordering::Relaxed);
            if reply.status != StatusCode::SEE_OTHER {
                stats.failed.fetch_add(1, Ordering::Relaxed);
                stats.problem(format!("{name}: logout answered {}", reply.status));
            }
            logged_in = false;
            // The logged-out page: its flash message and the fresh session's
            // CSRF token, which the next login form carries.
            follow_redirect(&mut client, stats).await;
            reissued = false;
        } else if step.is_multiple_of(3) {
            let reply = client.post("/counter", "").await;
            stats.requests.fetch_add(1, Ordering::Relaxed);
            stats.counter_posts.fetch_add(1, Ordering::Relaxed);
            if reply.status != StatusCode::SEE_OTHER || app_cookie(&reply).is_none() {
                stats.failed.fetch_add(1, Ordering::Relaxed);
                stats.problem(format!("{name}: counter answered {}", reply.status));
            } else {
                counter += 1;
                reissued = false;
            }
            follow_redirect(&mut client, stats).await;
        } else {
            let sent = client.cookie(APP).map(str::to_owned);
            let reply = client.get("/").await;
            stats.requests.fetch_add(1, Ordering::Relaxed);
            stats.read_only.fetch_add(1, Ordering::Relaxed);
            let user = text_between(&reply.body, "<p id=\"user\">user: ", "</p>");
            let shown = text_between(&reply.body, "<p id=\"counter\">counter: ", "</p>");
            if reply.status != StatusCode::OK {
                stats.failed.fetch_add(1, Ordering::Relaxed);
                stats.problem(format!("{name}: GET / answered {}", reply.status));
            } else if user != Some(name.as_str()) || shown != Some(counter.to_string().as_str()) {
                stats.lost.fetch_add(1, Ordering::Relaxed);
                let status = text_between(&reply.body, "<p id=\"status\">", "</p>").unwrap_or("?");
                stats.problem(format!(
                    "{name}: session lost in phase {} (page: user {user:?}, counter {shown:?}, expected {counter}; {status})",
                    shared.phase.load(Ordering::Relaxed)
                ));
                // Start over as a new visitor.
                client = Client::with_csrf(nginx);
                logged_in = false;
            } else if let Some(set_cookie) = app_cookie(&reply) {
                let phase = shared.phase.load(Ordering::Relaxed).min(3);
                stats.read_only_set_cookie[phase].fetch_add(1, Ordering::Relaxed);
                if reissued && sent.is_some() {
                    stats.ping_pong.fetch_add(1, Ordering::Relaxed);
                    stats.problem(format!(
                        "{name}: re-issued cookie re-issued again: {set_cookie}"
                    ));
                }
                reissued = true;
            }
        }
        shared.seen_epoch[index].store(epoch, Ordering::SeqCst);
        tokio::time::sleep(THINK_TIME).await;
    }
}

/// The page a browser loads after a form's redirect. It shows (and so
/// consumes) a flash message, which re-issues the cookie: a write the app
/// made, so it is not counted with the read-only requests.
async fn follow_redirect(client: &mut Client, stats: &Stats) {
    let reply = client.get("/").await;
    stats.requests.fetch_add(1, Ordering::Relaxed);
    stats.redirect_pages.fetch_add(1, Ordering::Relaxed);
    if reply.status != StatusCode::OK {
        stats.failed.fetch_add(1, Ordering::Relaxed);
        stats.problem(format!("page after a redirect answered {}", reply.status));
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// Parses `/ops/metrics` (`name value` lines).
fn metric(body: &str, name: &str) -> u64 {
    body.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
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
    let shared = Arc::new(Shared {
        stats: Stats::default(),
        stop: AtomicBool::new(false),
        phase: AtomicUsize::new(0),
        epoch: AtomicU64::new(0),
        seen_epoch: (0..USERS).map(|_| AtomicU64::new(0)).collect(),
    });
    let browsers: Vec<_> = (0..USERS)
        .map(|i| runtime.spawn(browse(i, nginx_addr, Arc::clone(&shared))))
        .collect();

    // The body runs in a closure so that a failure still stops the browsers
    // and prints the replicas' logs before the guards kill everything.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        orchestrate(&mut fleet, &nginx, &keys, &runtime, &shared, started)
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
    println!("fleet: {REPLICAS} replicas behind nginx (round-robin), redis-server, {USERS} users");
    println!(
        "fleet: requests {requests} through nginx ({} read-only, {} counter posts, {} logins, {} logouts, {} pages after a redirect) \
         + {} direct to replicas; {} replica restarts; {:.1} s",
        load(&stats.read_only),
        load(&stats.counter_posts),
        load(&stats.logins),
        load(&stats.logouts),
        load(&stats.redirect_pages),
        report.direct_requests,
        fleet.restarts,
        started.elapsed().as_secs_f64()
    );
    println!(
        "fleet: sessions lost {}, failed requests {}",
        load(&stats.lost),
        load(&stats.failed)
    );
    println!(
        "fleet: Set-Cookie on read-only requests: phase 0: {}, phase 1: {}, phase 2: {} (one re-key per \
         cookie signed with OLD), phase 3: {}; re-key ping-pong: {}",
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
    if !browser_panics.is_empty() || load(&stats.lost) != 0 || load(&stats.failed) != 0 {
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
    assert_eq!(load(&stats.failed), 0, "failed requests");
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
        requests > 500,
        "the browsers made too few requests: {requests}"
    );
    drop(nginx);
    drop(redis);
}

struct Report {
    revocation: Vec<Duration>,
    steady_round_trips: u64,
    steady_pings: u64,
    steady_requests: u64,
    direct_requests: u64,
}

/// Polls `user`'s page on `addr` with `cookie`.
async fn page(addr: SocketAddr, cookie: &str) -> Reply {
    send(
        addr,
        Method::GET,
        "/",
        Some(&format!("{APP}={cookie}")),
        None,
    )
    .await
}

/// Logs `user` in through nginx (with the form's CSRF token, as a browser
/// does); the cookie value.
async fn login(nginx: SocketAddr, user: &str) -> String {
    let mut browser = Client::with_csrf(nginx);
    let reply = browser.post("/login", &format!("name={user}")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "login");
    client::value_of(&app_cookie(&reply).expect("login sets the cookie")).to_owned()
}

/// `POST path` as the holder of session cookie `cookie`: loads `/` for the
/// session's CSRF token first, as the page's form would carry it.
async fn post_as(addr: SocketAddr, cookie: &str, path: &str) -> Reply {
    let page = send(
        addr,
        Method::GET,
        "/",
        Some(&format!("{APP}={cookie}")),
        None,
    )
    .await;
    let token = client::csrf_in_page(&page.body).expect("the page shows a CSRF token");
    // The page may have re-issued the cookie (e.g. to drop a shown flash message).
    let cookie = app_cookie(&page).map_or_else(
        || cookie.to_owned(),
        |set_cookie| client::value_of(&set_cookie).to_owned(),
    );
    send(
        addr,
        Method::POST,
        path,
        Some(&format!("{APP}={cookie}")),
        Some(&format!("csrf_token={token}")),
    )
    .await
}

/// One "log out everywhere": `victim` logs in on two devices; device A asks
/// (through nginx, so through one replica) to log out everywhere; the time
/// until every replica, asked directly, refuses device B as revoked. Returns
/// that time, device B's (now revoked) cookie and the direct requests made.
fn revocation_round(
    fleet: &Fleet,
    runtime: &tokio::runtime::Runtime,
    nginx: SocketAddr,
    victim: &str,
) -> (Duration, String, u64) {
    runtime.block_on(async {
        let mut direct = 0;
        let device_b = login(nginx, victim).await;
        let device_a = login(nginx, victim).await;
        for i in 0..REPLICAS {
            let reply = page(fleet.addr(i), &device_b).await;
            direct += 1;
            assert!(
                reply.body.contains(&format!("user: {victim}</p>")),
                "a login after the previous cut-off is valid on replica {i}"
            );
        }
        // Session starts travel in whole seconds and so do cut-offs, and a
        // login that replaces a session started in the same second is
        // stamped with the next one: a session started (or renewed) within
        // the second or two before a cut-off can survive it
        // (docs/operations.md). Revoke two second boundaries later.
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970");
        tokio::time::sleep(Duration::from_millis(
            2000 - u64::from(since_epoch.subsec_millis()) + 5,
        ))
        .await;
        let start = Instant::now();
        let reply = post_as(nginx, &device_a, "/logout-everywhere").await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "logout-everywhere: {}",
            reply.body
        );
        let mut refused = [false; REPLICAS];
        let mut last_page = String::new();
        while !refused.iter().all(|r| *r) {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "revocation not seen everywhere within 5 s; last page: {last_page}"
            );
            for (i, done) in refused.iter_mut().enumerate() {
                if !*done {
                    let reply = page(fleet.addr(i), &device_b).await;
                    direct += 1;
                    *done = reply.body.contains("refused (revoked)");
                    last_page = reply.body;
                }
            }
        }
        (start.elapsed(), device_b, direct)
    })
}

fn orchestrate(
    fleet: &mut Fleet,
    balancer: &Nginx,
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
    let (_, early_revoked, direct) = revocation_round(fleet, runtime, nginx, "victim");
    direct_requests += direct;

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
        shared.phase.store(usize::from(phase), Ordering::SeqCst);
        for i in 0..REPLICAS {
            check_budget();
            fleet.restart(balancer, i, &keys.phase(phase));
            pause(Duration::from_millis(400));
        }
        if phase == 2 {
            // Every replica has restarted twice since the early revocation.
            for i in 0..REPLICAS {
                let reply = runtime.block_on(page(fleet.addr(i), &early_revoked));
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
    }

    // (b) repeated, for the distribution.
    let mut revocation = Vec::new();
    for _ in 0..REVOCATION_ROUNDS {
        check_budget();
        let (elapsed, _, direct) = revocation_round(fleet, runtime, nginx, "victim");
        direct_requests += direct;
        revocation.push(elapsed);
    }
    revocation.sort();
    pause(Duration::from_millis(500));
    Report {
        revocation,
        steady_round_trips,
        steady_pings,
        steady_requests: requests_after - requests_before,
        direct_requests,
    }
}
