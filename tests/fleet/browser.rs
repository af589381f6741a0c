//! The simulated browsers of the fleet test and what they count: each logs
//! in, alternates page views and counter posts, logs out now and then, and
//! checks every page it reads against what it expects its session to hold.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::StatusCode;

use super::client::{Client, Reply};
use super::APP;

/// Pause between one user's requests (keeps the 2-core machine responsive).
const THINK_TIME: Duration = Duration::from_millis(8);

/// What the orchestrator is doing, for the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Key rotation phase 0 to 3, with drained rolling restarts.
    Rotation(u8),
    /// Replicas killed with SIGKILL and restarted, without drain.
    Kill,
    /// redis-server stopped with SIGSTOP.
    RedisStopped,
}

impl Stage {
    fn encode(self) -> usize {
        match self {
            Stage::Rotation(phase) => usize::from(phase.min(3)),
            Stage::Kill => 4,
            Stage::RedisStopped => 5,
        }
    }

    fn decode(value: usize) -> Stage {
        match value {
            4 => Stage::Kill,
            5 => Stage::RedisStopped,
            phase => Stage::Rotation(phase as u8),
        }
    }

    /// The key rotation phase the replicas are in (3 after the rotation).
    pub fn rotation_phase(self) -> usize {
        match self {
            Stage::Rotation(phase) => usize::from(phase),
            _ => 3,
        }
    }
}

pub const STAGES: usize = 6;

/// Counters shared by the simulated browsers.
#[derive(Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub read_only: AtomicU64,
    /// `Set-Cookie` on a read-only request, by rotation phase 0..=3.
    pub read_only_set_cookie: [AtomicU64; 4],
    /// A cookie that was itself re-issued on a read-only request came back
    /// re-issued again on a read-only request.
    pub ping_pong: AtomicU64,
    pub lost: AtomicU64,
    /// Failed `GET`s (idempotent: nginx retries them on another replica).
    pub failed_idempotent: AtomicU64,
    /// Failed `POST`s (nginx does not resend one it has sent), by stage.
    pub failed_posts: [AtomicU64; STAGES],
    pub logins: AtomicU64,
    pub logouts: AtomicU64,
    /// The notes user (`keep_notes`): drafts saved, and drafts read back
    /// with the session in three cookies.
    pub notes_saved: AtomicU64,
    pub notes_read: AtomicU64,
    pub notes_read_in_three_chunks: AtomicU64,
    pub counter_posts: AtomicU64,
    /// Pages loaded after a form's redirect (they consume flash messages).
    pub redirect_pages: AtomicU64,
    /// Requests and the slowest one (µs), by stage.
    pub stage_requests: [AtomicU64; STAGES],
    pub stage_slowest_us: [AtomicU64; STAGES],
    /// Up to a few descriptions of lost sessions and failed requests.
    pub problems: Mutex<Vec<String>>,
}

impl Stats {
    pub fn problem(&self, text: String) {
        let mut problems = self.problems.lock().unwrap();
        if problems.len() < 20 {
            problems.push(text);
        }
    }

    fn timed(&self, stage: Stage, started: Instant) {
        let index = stage.encode();
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.stage_requests[index].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.stage_slowest_us[index].fetch_max(micros, Ordering::Relaxed);
    }

    fn failed_get(&self, what: String) {
        self.failed_idempotent.fetch_add(1, Ordering::Relaxed);
        self.problem(what);
    }

    /// A failed `POST`, counted under the kill phase when the request
    /// overlapped it (it started before and ended during it, or the other
    /// way round), else under the stage it started in.
    fn failed_post(&self, shared: &Shared, started_in: Stage, what: String, reply: &Reply) {
        let ended_in = shared.stage();
        let stage = if ended_in == Stage::Kill {
            ended_in
        } else {
            started_in
        };
        self.failed_posts[stage.encode()].fetch_add(1, Ordering::Relaxed);
        let body: String = reply.body.chars().take(80).collect();
        self.problem(format!("{what} ({stage:?}; body: {:?})", body.trim()));
    }
}

pub struct Shared {
    pub stats: Stats,
    pub stop: AtomicBool,
    stage: AtomicUsize,
    /// Bumped by the orchestrator; each user records the value seen at the
    /// start of its last completed request.
    pub epoch: AtomicU64,
    pub seen_epoch: Vec<AtomicU64>,
}

impl Shared {
    pub fn new(users: usize) -> Shared {
        Shared {
            stats: Stats::default(),
            stop: AtomicBool::new(false),
            stage: AtomicUsize::new(0),
            epoch: AtomicU64::new(0),
            seen_epoch: (0..users).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    pub fn stage(&self) -> Stage {
        Stage::decode(self.stage.load(Ordering::SeqCst))
    }

    pub fn set_stage(&self, stage: Stage) {
        self.stage.store(stage.encode(), Ordering::SeqCst);
    }
}

pub fn text_between<'a>(body: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = body.find(start)? + start.len();
    let len = body[from..].find(end)?;
    Some(&body[from..from + len])
}

pub fn app_cookie(reply: &Reply) -> Option<String> {
    reply.set_cookies_for(APP).into_iter().next()
}

/// One simulated browser: logs in as `user<index>`, alternates reads and
/// counter posts, logs out now and then, and checks every page it reads.
pub async fn browse(index: usize, nginx: SocketAddr, shared: Arc<Shared>) {
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
        let stage = shared.stage();
        let started = Instant::now();
        if !logged_in {
            let reply = client.post("/login", &format!("name={name}")).await;
            stats.timed(stage, started);
            stats.logins.fetch_add(1, Ordering::Relaxed);
            if reply.status != StatusCode::SEE_OTHER || app_cookie(&reply).is_none() {
                let what = format!("{name}: login answered {}", reply.status);
                stats.failed_post(&shared, stage, what, &reply);
            } else {
                logged_in = true;
                counter = 0;
                follow_redirect(&mut client, &shared).await;
                reissued = false;
            }
        } else if step.is_multiple_of(40) {
            let reply = client.post("/logout", "").await;
            stats.timed(stage, started);
            stats.logouts.fetch_add(1, Ordering::Relaxed);
            if reply.status == StatusCode::SEE_OTHER {
                logged_in = false;
            } else {
                // Still logged in: the cookie was not cleared.
                let what = format!("{name}: logout answered {}", reply.status);
                stats.failed_post(&shared, stage, what, &reply);
            }
            // The logged-out page: its flash message and the fresh session's
            // CSRF token, which the next login form carries.
            follow_redirect(&mut client, &shared).await;
            reissued = false;
        } else if step.is_multiple_of(3) {
            let reply = client.post("/counter", "").await;
            stats.timed(stage, started);
            stats.counter_posts.fetch_add(1, Ordering::Relaxed);
            if reply.status != StatusCode::SEE_OTHER || app_cookie(&reply).is_none() {
                let what = format!("{name}: counter answered {}", reply.status);
                stats.failed_post(&shared, stage, what, &reply);
            } else {
                counter += 1;
                reissued = false;
            }
            follow_redirect(&mut client, &shared).await;
        } else {
            let sent = client.cookie(APP).map(str::to_owned);
            let reply = client.get("/").await;
            stats.timed(stage, started);
            stats.read_only.fetch_add(1, Ordering::Relaxed);
            let user = text_between(&reply.body, "<p id=\"user\">user: ", "</p>");
            let shown = text_between(&reply.body, "<p id=\"counter\">counter: ", "</p>");
            if reply.status != StatusCode::OK {
                stats.failed_get(format!(
                    "{name}: GET / answered {} ({stage:?})",
                    reply.status
                ));
            } else if user != Some(name.as_str()) || shown != Some(counter.to_string().as_str()) {
                stats.lost.fetch_add(1, Ordering::Relaxed);
                let status = text_between(&reply.body, "<p id=\"status\">", "</p>").unwrap_or("?");
                stats.problem(format!(
                    "{name}: session lost in {stage:?} (page: user {user:?}, counter {shown:?}, \
                     expected {counter}; {status})"
                ));
                // Start over as a new visitor.
                client = Client::with_csrf(nginx);
                logged_in = false;
            } else if let Some(set_cookie) = app_cookie(&reply) {
                stats.read_only_set_cookie[stage.rotation_phase()].fetch_add(1, Ordering::Relaxed);
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
async fn follow_redirect(client: &mut Client, shared: &Shared) {
    let stats = &shared.stats;
    let stage = shared.stage();
    let started = Instant::now();
    let reply = client.get("/").await;
    stats.timed(stage, started);
    stats.redirect_pages.fetch_add(1, Ordering::Relaxed);
    if reply.status != StatusCode::OK {
        stats.failed_get(format!(
            "page after a redirect answered {} ({stage:?})",
            reply.status
        ));
    }
}

/// The notes page's cookie names: the example's chunked session.
const NOTES: [&str; 3] = ["__Secure-notes", "__Secure-notes.1", "__Secure-notes.2"];

/// The drafts the notes user saves, in turn: 9,000 bytes (the largest, three
/// cookies of 4,096 bytes), 5,000 (two cookies) and 40 (one), each with the
/// save's number in it so that an older draft never passes for a newer one.
fn draft(save: u64) -> String {
    let len = [9000, 5000, 40][(save % 3) as usize];
    let head = format!("save{save}x");
    let mut text = head.repeat(len / head.len() + 1);
    text.truncate(len);
    text
}

/// How many cookies a draft of `len` bytes takes: the session's envelope is
/// the draft, its length prefix, the 32-byte CSRF token and 32 bytes of
/// header and tag; one `__Secure-notes` cookie holds 3,060 bytes of it, two
/// 6,104 (docs/wire-format.md, "Chunked sessions"). The drafts saved here
/// (40, 5,000 and 9,000 bytes) are far from those boundaries.
fn chunks_for(len: usize) -> usize {
    match len {
        0..=2994 => 1,
        2995..=6038 => 2,
        _ => 3,
    }
}

/// A user with a session larger than one cookie (the example's `/notes`,
/// `#[session(chunks = 3)]`) for the whole run, through nginx with the
/// documented settings: it saves a draft of 9,000, 5,000 or 40 bytes in turn
/// and reads it back four times, checking the text and that its jar holds
/// exactly the cookies that size needs (the stale ones expired by the
/// response), across the key rotation (re-keyed as up to three
/// `Set-Cookie`s), the kills and Redis stopped.
pub async fn keep_notes(nginx: SocketAddr, shared: Arc<Shared>) {
    let stats = &shared.stats;
    let mut client = Client::with_csrf(nginx);
    // The notes form's token (the notes session's own CSRF layer).
    let first = client.get("/notes").await;
    assert_eq!(first.status, StatusCode::OK, "GET /notes: {}", first.body);
    // The drafts the page may show: one, or two after a save whose answer
    // was lost (it may or may not have been stored).
    let mut expected = vec![String::new()];
    let mut save = 0u64;
    let mut step = 0u64;
    while !shared.stop.load(Ordering::Relaxed) {
        step += 1;
        let stage = shared.stage();
        let started = Instant::now();
        if step % 5 == 1 {
            save += 1;
            let text = draft(save);
            let reply = client.post("/notes", &format!("draft={text}")).await;
            stats.timed(stage, started);
            if reply.status == StatusCode::SEE_OTHER {
                stats.notes_saved.fetch_add(1, Ordering::Relaxed);
                expected = vec![text];
            } else {
                let what = format!(
                    "notes: saving {} bytes answered {}",
                    text.len(),
                    reply.status
                );
                stats.failed_post(&shared, stage, what, &reply);
                expected.push(text);
            }
        } else {
            let reply = client.get("/notes").await;
            stats.timed(stage, started);
            let shown = text_between(&reply.body, "cols=\"80\">", "</textarea>");
            let in_jar = NOTES
                .iter()
                .filter(|name| client.cookie(name).is_some())
                .count();
            match shown {
                _ if reply.status != StatusCode::OK => stats.failed_get(format!(
                    "notes: GET /notes answered {} ({stage:?})",
                    reply.status
                )),
                Some(shown) if expected.iter().any(|text| text == shown) => {
                    stats.notes_read.fetch_add(1, Ordering::Relaxed);
                    let want = chunks_for(shown.len());
                    if in_jar != want {
                        stats.lost.fetch_add(1, Ordering::Relaxed);
                        stats.problem(format!(
                            "notes: a draft of {} bytes with {in_jar} cookies in the jar, not {want} ({stage:?})",
                            shown.len()
                        ));
                    }
                    if in_jar == 3 {
                        stats
                            .notes_read_in_three_chunks
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    expected = vec![shown.to_owned()];
                }
                _ => {
                    stats.lost.fetch_add(1, Ordering::Relaxed);
                    let status =
                        text_between(&reply.body, "<p id=\"notes-size\">", "</p>").unwrap_or("?");
                    stats.problem(format!(
                        "notes: draft lost in {stage:?} ({} bytes shown; {status})",
                        shown.map_or(0, str::len)
                    ));
                    expected = vec![shown.unwrap_or_default().to_owned()];
                }
            }
        }
        tokio::time::sleep(THINK_TIME * 2).await;
    }
}
