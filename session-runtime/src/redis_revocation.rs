//! "Log out everywhere" across a fleet: per-subject cut-off times stored in
//! Redis and mirrored into every replica through pub/sub (feature `redis`;
//! docs/operations.md, "Revocation").
//!
//! The app picks the *subject* (usually the user id). Revoking a subject stores
//! a cut-off time; a session of that subject whose start (`created_at`, signed
//! in the cookie) is before the cut-off is refused as
//! [`Rejection::Revoked`](crate::Rejection::Revoked).
//!
//! Data flow:
//! - Redis holds one sorted set `<namespace>:cutoffs` (member = subject, score =
//!   cut-off in Unix milliseconds) and one channel `<namespace>:revocations`.
//! - Each replica runs one background thread that subscribes to the channel,
//!   then re-reads the whole set, then applies every message. Every
//!   (re)connection does the same: subscribe first, re-read second, so nothing
//!   published in between is missed.
//! - The per-request check ([`RedisRevocations::is_revoked`]) reads the
//!   in-process copy under a read lock: no network round trip, ever.
//! - Cut-offs only ever move forward (the copy keeps the maximum per subject),
//!   so messages and re-reads may arrive in any order.
//! - A cut-off older than the absolute timeout is dropped, locally and in
//!   Redis: every session started before it has expired anyway.
//!
//! While Redis is unreachable, each replica keeps serving its last copy (stale,
//! never emptied) and reconnects with a backoff of at most 1 s (configurable);
//! on reconnect it re-reads the full set, and writes back any cut-off it holds
//! that Redis lacks (a Redis restarted without persistence is refilled by the
//! replicas), publishing those so replicas that started during the outage
//! learn them too.

use core::fmt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::{Client, Connection, RedisError, RedisResult};

use crate::clock::{Clock, SystemClock};
use crate::config::{CookieMeta, DEFAULT_ABSOLUTE_TIMEOUT};

/// Longest subject accepted by [`RedisRevocations::revoke`], in bytes.
pub const MAX_REVOCATION_SUBJECT_LEN: usize = 256;

/// Default interval of silence on the subscription after which a replica
/// sends `PING` to prove the connection is alive.
pub const DEFAULT_REVOCATION_KEEPALIVE: Duration = Duration::from_secs(1);
/// Default bound on connecting and on waiting for any one reply.
pub const DEFAULT_REVOCATION_IO_TIMEOUT: Duration = Duration::from_secs(1);
/// Default longest wait between reconnection attempts (the wait starts at
/// 50 ms and doubles).
pub const DEFAULT_REVOCATION_MAX_RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// First wait after a failed connection.
const INITIAL_RECONNECT_DELAY: Duration = Duration::from_millis(50);
/// How often the listener wakes up while idle (to notice shutdown, send a
/// keepalive or prune); a wake-up sends nothing by itself.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How often expired cut-offs are dropped from the in-process copy.
const PRUNE_INTERVAL: Duration = Duration::from_secs(10);
/// Largest pub/sub message written when refilling Redis after a resync.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// A revocation could not be completed, or the store could not be set up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationError {
    /// The Redis URL does not parse. (The URL is not repeated: it may hold a password.)
    InvalidUrl,
    /// The subject is empty, longer than [`MAX_REVOCATION_SUBJECT_LEN`] bytes, or holds a
    /// line break or a NUL.
    InvalidSubject,
    /// An option is out of range (a zero duration).
    InvalidOption(&'static str),
    /// Redis did not take the cut-off. It is in force on this replica already,
    /// and this replica writes it to Redis (and so to every replica) at its next
    /// successful resync; retry to be sure the others see it sooner.
    NotPropagated {
        /// Redis client's description of the failure.
        reason: String,
    },
    /// The background thread could not be started.
    Thread(String),
}

impl fmt::Display for RevocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevocationError::InvalidUrl => f.write_str("the Redis URL for session revocation is invalid"),
            RevocationError::InvalidSubject => write!(
                f,
                "a revocation subject must be 1 to {MAX_REVOCATION_SUBJECT_LEN} bytes without line breaks or NUL"
            ),
            RevocationError::InvalidOption(what) => f.write_str(what),
            RevocationError::NotPropagated { reason } => write!(
                f,
                "revocation is in force on this replica but Redis did not take it ({reason}); \
                 it is written to Redis when this replica reconnects"
            ),
            RevocationError::Thread(reason) => {
                write!(f, "cannot start the revocation listener thread: {reason}")
            }
        }
    }
}

impl std::error::Error for RevocationError {}

/// Counters for tests and metrics. Every field only grows, except `entries`
/// and `subscribed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RevocationStats {
    /// Commands or pipelines sent to Redis by this replica (connection set-ups
    /// included). The per-request check never adds to it.
    pub round_trips: u64,
    /// Of `round_trips`: `PING`s sent on an idle subscription (one per
    /// keepalive interval without messages; independent of request rate).
    pub keepalive_pings: u64,
    /// Full re-reads of the cut-off set (one per successful (re)subscription).
    pub resyncs: u64,
    /// Pub/sub messages applied.
    pub messages: u64,
    /// Pub/sub messages or stored entries that did not parse (ignored).
    pub malformed: u64,
    /// Cut-offs this replica wrote back to Redis at a resync because Redis
    /// lacked them (e.g. after a restart without persistence).
    pub written_back: u64,
    /// Failed connections or subscriptions (each followed by a reconnect).
    pub connection_failures: u64,
    /// Subjects in the in-process copy.
    pub entries: usize,
    /// Subscribed and resynced right now.
    pub subscribed: bool,
}

/// Configures and starts a [`RedisRevocations`]; see [`RedisRevocations::builder`].
#[must_use]
pub struct RedisRevocationsBuilder {
    url: String,
    namespace: String,
    absolute_timeout: Duration,
    keepalive: Duration,
    io_timeout: Duration,
    max_reconnect_delay: Duration,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RedisRevocationsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password.
        f.debug_struct("RedisRevocationsBuilder")
            .field("namespace", &self.namespace)
            .field("absolute_timeout", &self.absolute_timeout)
            .finish_non_exhaustive()
    }
}

impl RedisRevocationsBuilder {
    /// Prefix of the Redis key and channel (default `session-revocations`):
    /// `<namespace>:cutoffs` and `<namespace>:revocations`. Apps sharing a
    /// Redis use different namespaces.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// The sessions' absolute timeout (default
    /// [`DEFAULT_ABSOLUTE_TIMEOUT`]): cut-offs older than this are dropped.
    /// Must not be shorter than the `SessionConfig`'s, or a revoked session
    /// could outlive its cut-off.
    pub fn absolute_timeout(mut self, timeout: Duration) -> Self {
        self.absolute_timeout = timeout;
        self
    }

    /// Silence on the subscription after which a `PING` checks the connection
    /// (default [`DEFAULT_REVOCATION_KEEPALIVE`]). A connection that died without a reset
    /// is noticed within `keepalive + io_timeout`.
    pub fn keepalive(mut self, interval: Duration) -> Self {
        self.keepalive = interval;
        self
    }

    /// Bound on connecting and on each reply (default [`DEFAULT_REVOCATION_IO_TIMEOUT`]);
    /// also bounds how long [`RedisRevocations::revoke`] can block.
    pub fn io_timeout(mut self, timeout: Duration) -> Self {
        self.io_timeout = timeout;
        self
    }

    /// Longest wait between reconnection attempts (default
    /// [`DEFAULT_REVOCATION_MAX_RECONNECT_DELAY`]).
    pub fn max_reconnect_delay(mut self, delay: Duration) -> Self {
        self.max_reconnect_delay = delay;
        self
    }

    /// The clock for cut-offs and expiry (default: the system clock). Use the
    /// same clock as the `SessionConfig`.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Validates the options and starts the listener thread. Returns at once,
    /// without waiting for Redis: use [`RedisRevocations::wait_synced`] to wait
    /// for the first full read.
    pub fn start(self) -> Result<RedisRevocations, RevocationError> {
        for (value, what) in [
            (self.keepalive, "revocation keepalive must be above zero"),
            (self.io_timeout, "revocation I/O timeout must be above zero"),
            (
                self.max_reconnect_delay,
                "revocation reconnect delay must be above zero",
            ),
            (
                self.absolute_timeout,
                "revocation absolute timeout must be above zero",
            ),
        ] {
            if value.is_zero() {
                return Err(RevocationError::InvalidOption(what));
            }
        }
        let client = Client::open(self.url.as_str()).map_err(|_| RevocationError::InvalidUrl)?;
        let shared = Arc::new(Shared {
            set_key: format!("{}:cutoffs", self.namespace),
            channel: format!("{}:revocations", self.namespace),
            absolute_ms: duration_ms(self.absolute_timeout),
            keepalive: self.keepalive,
            io_timeout: self.io_timeout,
            max_reconnect_delay: self.max_reconnect_delay,
            clock: self.clock,
            client,
            table: RwLock::new(HashMap::new()),
            writer: Mutex::new(None),
            counters: Counters::default(),
            subscribed: AtomicBool::new(false),
            last_confirmed_ms: AtomicU64::new(0),
            synced: (Mutex::new(0), Condvar::new()),
            last_prune: Mutex::new(Instant::now()),
            shutdown: AtomicBool::new(false),
        });
        let listener = Arc::clone(&shared);
        thread::Builder::new()
            .name("session-revocations".into())
            .spawn(move || listener.run())
            .map_err(|err| RevocationError::Thread(err.to_string()))?;
        Ok(RedisRevocations {
            handle: Arc::new(Handle { shared }),
        })
    }
}

/// Per-subject session cut-offs shared by a fleet through Redis
/// (docs/operations.md, "Revocation").
///
/// The app picks the *subject* (usually the user id). [`revoke`](Self::revoke)
/// stores a cut-off; a session of that subject that started before it is
/// refused as [`Rejection::Revoked`](crate::Rejection::Revoked) by a
/// [`revocation_check`](crate::SessionConfigBuilder::revocation_check) that
/// calls [`still_valid`](Self::still_valid).
///
/// - Every replica keeps an in-process copy; a background thread subscribes
///   to `<namespace>:revocations`, then re-reads the sorted set
///   `<namespace>:cutoffs`, then applies messages, and does the same after
///   every reconnection. The per-request check reads only the copy.
/// - While Redis is unreachable the copy is served as it is (never emptied);
///   on reconnect the replica re-reads the whole set and writes back the
///   cut-offs Redis lacks (a Redis restarted without persistence is refilled).
/// - Cut-offs older than the absolute timeout are dropped, locally and in Redis.
///
/// Cloning is cheap and shares the same copy and listener thread; the thread
/// stops (within 100 ms) when the last clone is dropped.
///
/// ```no_run
/// use serde::{Deserialize, Serialize};
/// use session_runtime::revocation::RedisRevocations;
/// use session_runtime::{BoundedString, CookieSession, Key, SessionConfig};
///
/// #[derive(CookieSession, Serialize, Deserialize, Default)]
/// #[session(name = "__Host-app", version = 1)]
/// struct App {
///     user: Option<BoundedString<32>>,
/// }
///
/// let revocations = RedisRevocations::builder("redis://127.0.0.1:6379/").start().unwrap();
/// // At start-up, give the first full read a moment (a replica that starts
/// // while Redis is down serves an empty copy until Redis is back).
/// revocations.wait_synced(std::time::Duration::from_secs(2));
///
/// let check = revocations.clone();
/// let config = SessionConfig::<App>::builder(Key::from_secret(&[7; 32]).unwrap())
///     // Per request: an in-memory lookup, no network.
///     .revocation_check(move |session: &App, meta| {
///         check.still_valid(session.user().as_ref().map(|name| name.as_str()), meta)
///     })
///     .build()
///     .unwrap();
///
/// // "Log out everywhere" for ada (e.g. after a password change): every
/// // session of hers started before now is refused on every replica.
/// revocations.revoke("ada").unwrap();
/// # let _ = config;
/// ```
#[derive(Clone)]
pub struct RedisRevocations {
    handle: Arc<Handle>,
}

impl fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.handle.shared;
        f.debug_struct("RedisRevocations")
            .field("set_key", &shared.set_key)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl RedisRevocations {
    /// A builder for a store at `url` (`redis://[:password@]host:port/[db]`).
    pub fn builder(url: impl Into<String>) -> RedisRevocationsBuilder {
        RedisRevocationsBuilder {
            url: url.into(),
            namespace: "session-revocations".to_owned(),
            absolute_timeout: DEFAULT_ABSOLUTE_TIMEOUT,
            keepalive: DEFAULT_REVOCATION_KEEPALIVE,
            io_timeout: DEFAULT_REVOCATION_IO_TIMEOUT,
            max_reconnect_delay: DEFAULT_REVOCATION_MAX_RECONNECT_DELAY,
            clock: Arc::new(SystemClock),
        }
    }

    /// Whether a session of `subject` that started at `created_at` is revoked.
    /// Reads the in-process copy: no network round trip.
    pub fn is_revoked(&self, subject: &str, created_at: SystemTime) -> bool {
        let created_ms = system_time_ms(created_at);
        self.handle
            .shared
            .cutoff_ms(subject)
            .is_some_and(|cutoff| created_ms < cutoff)
    }

    /// For [`SessionConfigBuilder::revocation_check`](crate::SessionConfigBuilder::revocation_check):
    /// `false` when the session of `subject` is revoked; sessions without a
    /// subject (`None`, e.g. not logged in) are always valid.
    pub fn still_valid(&self, subject: Option<&str>, meta: &CookieMeta) -> bool {
        subject.is_none_or(|subject| !self.is_revoked(subject, meta.created_at))
    }

    /// The cut-off in force for `subject` in this replica's copy, if any.
    pub fn cutoff(&self, subject: &str) -> Option<SystemTime> {
        self.handle
            .shared
            .cutoff_ms(subject)
            .map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
    }

    /// Revokes every session of `subject` started before now, on every
    /// replica; returns the cut-off. In force on this replica at once; sent to
    /// the others with one Redis round trip (blocking for at most the I/O
    /// timeout: from async code, call it through `spawn_blocking`).
    ///
    /// A session started by this very request after the call (e.g. the
    /// `renew()` that keeps the current device logged in) is not affected:
    /// cookies carry their start in whole seconds, so cut-offs are whole
    /// seconds too (rounded down), and a session that started in the same
    /// second as the cut-off stays valid.
    pub fn revoke(&self, subject: &str) -> Result<SystemTime, RevocationError> {
        let now = self.handle.shared.clock.now_unix_ms();
        let cutoff = whole_second(now);
        self.revoke_ms(subject, cutoff)?;
        Ok(UNIX_EPOCH + Duration::from_millis(cutoff))
    }

    /// Revokes every session of `subject` started before `cutoff`, rounded
    /// down to a whole second as cookies carry it (a cut-off only ever moves
    /// forward: an earlier one than in force changes nothing).
    pub fn revoke_before(&self, subject: &str, cutoff: SystemTime) -> Result<(), RevocationError> {
        self.revoke_ms(subject, whole_second(system_time_ms(cutoff)))
    }

    fn revoke_ms(&self, subject: &str, cutoff_ms: u64) -> Result<(), RevocationError> {
        if !valid_subject(subject) {
            return Err(RevocationError::InvalidSubject);
        }
        let shared = &self.handle.shared;
        shared.merge(subject, cutoff_ms);
        shared
            .publish(&[(subject, cutoff_ms)])
            .map_err(|err| RevocationError::NotPropagated {
                reason: err.to_string(),
            })
    }

    /// Waits until the copy has been read from Redis at least once (or
    /// `timeout` passes); returns whether it has.
    pub fn wait_synced(&self, timeout: Duration) -> bool {
        let (lock, ready) = &self.handle.shared.synced;
        let guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
        let (guard, _) = ready
            .wait_timeout_while(guard, timeout, |resyncs| *resyncs == 0)
            .unwrap_or_else(PoisonError::into_inner);
        *guard > 0
    }

    /// When the copy was last known to be current: the last resync, message
    /// or keepalive reply. `None` before the first resync.
    pub fn last_confirmed(&self) -> Option<SystemTime> {
        match self.handle.shared.last_confirmed_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(UNIX_EPOCH + Duration::from_millis(ms)),
        }
    }

    /// Redis round trips so far (see [`RevocationStats::round_trips`]).
    pub fn round_trips(&self) -> u64 {
        self.handle
            .shared
            .counters
            .round_trips
            .load(Ordering::Relaxed)
    }

    /// Counters for tests and metrics.
    pub fn stats(&self) -> RevocationStats {
        let shared = &self.handle.shared;
        let counters = &shared.counters;
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        RevocationStats {
            round_trips: load(&counters.round_trips),
            keepalive_pings: load(&counters.keepalive_pings),
            resyncs: load(&counters.resyncs),
            messages: load(&counters.messages),
            malformed: load(&counters.malformed),
            written_back: load(&counters.written_back),
            connection_failures: load(&counters.connection_failures),
            entries: shared.read_table().len(),
            subscribed: shared.subscribed.load(Ordering::Relaxed),
        }
    }
}

/// Owned by the clones of one [`RedisRevocations`]; stops the listener when
/// the last one goes.
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::Relaxed);
    }
}

#[derive(Default)]
struct Counters {
    round_trips: AtomicU64,
    keepalive_pings: AtomicU64,
    resyncs: AtomicU64,
    messages: AtomicU64,
    malformed: AtomicU64,
    written_back: AtomicU64,
    connection_failures: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

struct Shared {
    set_key: String,
    channel: String,
    absolute_ms: u64,
    keepalive: Duration,
    io_timeout: Duration,
    max_reconnect_delay: Duration,
    clock: Arc<dyn Clock>,
    client: Client,
    /// Subject → cut-off (Unix ms): the in-process copy.
    table: RwLock<HashMap<Box<str>, u64>>,
    /// Command connection for revocations and resync reads (a subscribed
    /// connection cannot run other commands); reconnected on demand.
    writer: Mutex<Option<Connection>>,
    counters: Counters,
    subscribed: AtomicBool,
    last_confirmed_ms: AtomicU64,
    /// Number of resyncs, for `wait_synced`.
    synced: (Mutex<u64>, Condvar),
    /// When expired cut-offs were last dropped from the copy.
    last_prune: Mutex<Instant>,
    shutdown: AtomicBool,
}

impl Shared {
    fn read_table(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Box<str>, u64>> {
        self.table.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn cutoff_ms(&self, subject: &str) -> Option<u64> {
        let cutoff = *self.read_table().get(subject)?;
        // An expired cut-off not yet pruned cannot revoke anything that has
        // not expired anyway; ignoring it keeps behaviour independent of pruning.
        (cutoff > self.horizon_ms()).then_some(cutoff)
    }

    /// Cut-offs at or before this instant are irrelevant: every session that
    /// started before them is past its absolute timeout.
    fn horizon_ms(&self) -> u64 {
        self.clock.now_unix_ms().saturating_sub(self.absolute_ms)
    }

    /// Keeps the later of the known and the new cut-off.
    fn merge(&self, subject: &str, cutoff_ms: u64) {
        if cutoff_ms <= self.horizon_ms() {
            return;
        }
        if self
            .read_table()
            .get(subject)
            .is_some_and(|&known| known >= cutoff_ms)
        {
            return;
        }
        let mut table = self.table.write().unwrap_or_else(PoisonError::into_inner);
        let known = table.entry(subject.into()).or_insert(0);
        *known = (*known).max(cutoff_ms);
    }

    fn prune(&self) {
        let horizon = self.horizon_ms();
        self.table
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, cutoff| *cutoff > horizon);
    }

    /// Prunes when [`PRUNE_INTERVAL`] has passed, connected or not.
    fn prune_if_due(&self) {
        let mut last = self
            .last_prune
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if last.elapsed() >= PRUNE_INTERVAL {
            self.prune();
            *last = Instant::now();
        }
    }

    fn round_trip(&self) {
        Counters::add(&self.counters.round_trips, 1);
    }

    fn confirm(&self) {
        self.last_confirmed_ms
            .store(self.clock.now_unix_ms().max(1), Ordering::Relaxed);
    }

    fn connect(&self) -> RedisResult<Connection> {
        self.round_trip();
        let connection = self.client.get_connection_with_timeout(self.io_timeout)?;
        connection.set_read_timeout(Some(self.io_timeout))?;
        connection.set_write_timeout(Some(self.io_timeout))?;
        Ok(connection)
    }

    /// Runs `work` (one round trip) on the command connection, connecting
    /// first if needed; a failed connection is dropped, to be replaced next time.
    fn with_writer<R>(
        &self,
        work: impl FnOnce(&mut Connection) -> RedisResult<R>,
    ) -> RedisResult<R> {
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if writer.is_none() {
            *writer = Some(self.connect()?);
        }
        let connection = writer.as_mut().expect("connected above");
        self.round_trip();
        let result = work(connection);
        if result.is_err() {
            *writer = None;
        }
        result
    }

    /// Stores cut-offs (only moving them forward), drops expired ones and
    /// tells every replica: one atomic pipeline, one round trip.
    fn publish(&self, entries: &[(&str, u64)]) -> RedisResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        for (subject, cutoff) in entries {
            pipe.cmd("ZADD")
                .arg(&self.set_key)
                .arg("GT")
                .arg(*cutoff)
                .arg(*subject)
                .ignore();
        }
        pipe.cmd("ZREMRANGEBYSCORE")
            .arg(&self.set_key)
            .arg("-inf")
            .arg(self.horizon_ms())
            .ignore();
        for message in encode_messages(entries) {
            pipe.cmd("PUBLISH").arg(&self.channel).arg(message).ignore();
        }
        self.with_writer(|connection| pipe.exec(connection))
    }

    /// Re-reads the full set into the copy, then writes back what Redis lacks.
    fn resync(&self) -> RedisResult<()> {
        let horizon = self.horizon_ms();
        let mut pipe = redis::pipe();
        pipe.cmd("ZREMRANGEBYSCORE")
            .arg(&self.set_key)
            .arg("-inf")
            .arg(horizon)
            .ignore();
        pipe.cmd("ZRANGEBYSCORE")
            .arg(&self.set_key)
            .arg(format!("({horizon}"))
            .arg("+inf")
            .arg("WITHSCORES");
        let (flat,): (Vec<Vec<u8>>,) = self.with_writer(|connection| pipe.query(connection))?;
        let mut stored: HashMap<&str, u64> = HashMap::with_capacity(flat.len() / 2);
        for pair in flat.chunks(2) {
            let parsed = match pair {
                [subject, score] => std::str::from_utf8(subject)
                    .ok()
                    .filter(|subject| valid_subject(subject))
                    .zip(parse_score(score)),
                _ => None,
            };
            match parsed {
                Some((subject, cutoff)) => {
                    self.merge(subject, cutoff);
                    stored.insert(subject, cutoff);
                }
                None => Counters::add(&self.counters.malformed, 1),
            }
        }
        let missing: Vec<(Box<str>, u64)> = self
            .read_table()
            .iter()
            .filter(|(subject, cutoff)| {
                **cutoff > horizon && stored.get(&***subject).is_none_or(|s| s < *cutoff)
            })
            .map(|(subject, cutoff)| (subject.clone(), *cutoff))
            .collect();
        if !missing.is_empty() {
            let entries: Vec<(&str, u64)> = missing.iter().map(|(s, c)| (&**s, *c)).collect();
            self.publish(&entries)?;
            Counters::add(&self.counters.written_back, entries.len() as u64);
        }
        Counters::add(&self.counters.resyncs, 1);
        let (lock, ready) = &self.synced;
        *lock.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        ready.notify_all();
        Ok(())
    }

    fn apply_message(&self, payload: &[u8]) {
        Counters::add(&self.counters.messages, 1);
        match std::str::from_utf8(payload) {
            Ok(text) => {
                for line in text.lines() {
                    match parse_line(line) {
                        Some((subject, cutoff)) => self.merge(subject, cutoff),
                        None => Counters::add(&self.counters.malformed, 1),
                    }
                }
            }
            Err(_) => Counters::add(&self.counters.malformed, 1),
        }
    }

    fn stopping(&self) -> bool {
        self.shutdown.load(Ordering::Relaxed)
    }

    /// The listener thread: (re)subscribe, resync, listen; back off on failure.
    fn run(self: Arc<Self>) {
        let mut delay = INITIAL_RECONNECT_DELAY;
        while !self.stopping() {
            let result = self.listen(&mut delay);
            self.subscribed.store(false, Ordering::Relaxed);
            if self.stopping() {
                break;
            }
            if result.is_err() {
                Counters::add(&self.counters.connection_failures, 1);
            }
            let until = Instant::now() + delay;
            while !self.stopping() && Instant::now() < until {
                thread::sleep(POLL_INTERVAL.min(until.saturating_duration_since(Instant::now())));
                self.prune_if_due();
            }
            delay = (delay * 2).min(self.max_reconnect_delay);
        }
    }

    fn listen(&self, delay: &mut Duration) -> RedisResult<()> {
        let mut connection = self.connect()?;
        let mut pubsub = connection.as_pubsub();
        self.round_trip();
        pubsub.subscribe(&self.channel)?;
        // Subscribed before reading: whatever is published from here on is
        // queued on this connection, so the read below misses nothing.
        self.resync()?;
        self.subscribed.store(true, Ordering::Relaxed);
        self.confirm();
        *delay = INITIAL_RECONNECT_DELAY;
        pubsub.set_read_timeout(Some(POLL_INTERVAL))?;
        let mut last_heard = Instant::now();
        while !self.stopping() {
            match pubsub.get_message() {
                Ok(message) => {
                    self.apply_message(message.get_payload_bytes());
                    last_heard = Instant::now();
                    self.confirm();
                }
                Err(err) if err.is_timeout() => {}
                Err(err) => return Err(err),
            }
            if last_heard.elapsed() >= self.keepalive {
                pubsub.set_read_timeout(Some(self.io_timeout))?;
                self.round_trip();
                Counters::add(&self.counters.keepalive_pings, 1);
                let _: redis::Value = pubsub.ping()?;
                pubsub.set_read_timeout(Some(POLL_INTERVAL))?;
                last_heard = Instant::now();
                self.confirm();
            }
            self.prune_if_due();
        }
        Ok(())
    }
}

/// Messages of `<cutoff ms> <subject>` lines, each at most
/// [`MAX_MESSAGE_BYTES`] (unless one line is longer, which subjects cannot be).
fn encode_messages(entries: &[(&str, u64)]) -> Vec<String> {
    let mut messages = Vec::new();
    let mut current = String::new();
    for (subject, cutoff) in entries {
        let line = format!("{cutoff} {subject}\n");
        if !current.is_empty() && current.len() + line.len() > MAX_MESSAGE_BYTES {
            messages.push(std::mem::take(&mut current));
        }
        current.push_str(&line);
    }
    if !current.is_empty() {
        messages.push(current);
    }
    messages
}

fn parse_line(line: &str) -> Option<(&str, u64)> {
    let (cutoff, subject) = line.split_once(' ')?;
    let cutoff = cutoff.parse().ok()?;
    valid_subject(subject).then_some((subject, cutoff))
}

/// Sorted-set scores come back as decimal strings; ours are whole milliseconds
/// (below 2^53, so exact as Redis's doubles).
fn parse_score(score: &[u8]) -> Option<u64> {
    let score: f64 = std::str::from_utf8(score).ok()?.parse().ok()?;
    (0.0..9.0e15).contains(&score).then_some(score as u64)
}

fn valid_subject(subject: &str) -> bool {
    !subject.is_empty()
        && subject.len() <= MAX_REVOCATION_SUBJECT_LEN
        && !subject.bytes().any(|b| b == b'\n' || b == b'\r' || b == 0)
}

/// Rounds Unix milliseconds down to a whole second: session starts travel in
/// whole seconds (docs/wire-format.md), so a cut-off finer than that would
/// revoke a session started later in the same second.
fn whole_second(unix_ms: u64) -> u64 {
    unix_ms - unix_ms % 1000
}

fn system_time_ms(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, duration_ms)
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl From<RedisError> for RevocationError {
    fn from(err: RedisError) -> Self {
        RevocationError::NotPropagated {
            reason: err.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    const T0: u64 = 1_800_000_000_000;

    /// A store whose Redis is unreachable (port 9 on loopback: discard, never
    /// a Redis), so only the in-process behaviour is exercised.
    fn offline(clock: &ManualClock) -> RedisRevocations {
        RedisRevocations::builder("redis://127.0.0.1:9/")
            .absolute_timeout(Duration::from_secs(3600))
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
    }

    #[test]
    fn cutoffs_only_move_forward() {
        let clock = ManualClock::new(T0);
        let store = offline(&clock);
        let _ = store.revoke_before("ada", at(T0 - 10_000));
        let _ = store.revoke_before("ada", at(T0 - 500_000));
        assert_eq!(store.cutoff("ada"), Some(at(T0 - 10_000)));
        // Cut-offs are whole seconds, like the session starts they compare with.
        let _ = store.revoke_before("ada", at(T0 - 8_999));
        assert_eq!(store.cutoff("ada"), Some(at(T0 - 9_000)));
        store
            .handle
            .shared
            .apply_message(format!("{} ada\n", T0 - 20_000).as_bytes());
        assert_eq!(store.cutoff("ada"), Some(at(T0 - 9_000)));
        store
            .handle
            .shared
            .apply_message(format!("{} ada", T0 - 5).as_bytes());
        assert_eq!(store.cutoff("ada"), Some(at(T0 - 5)));
    }

    #[test]
    fn expired_cutoffs_are_ignored_and_pruned() {
        let clock = ManualClock::new(T0);
        let store = offline(&clock);
        let _ = store.revoke("ada");
        clock.advance(Duration::from_secs(1800));
        let _ = store.revoke("bob");
        assert_eq!(store.stats().entries, 2);
        clock.advance(Duration::from_secs(1801));
        // ada's cut-off is older than the absolute timeout: any session it
        // could revoke has expired, so it no longer counts, and pruning drops it.
        assert_eq!(store.cutoff("ada"), None);
        assert!(!store.is_revoked("ada", at(T0 - 1)));
        assert!(store.is_revoked("bob", at(T0)));
        store.handle.shared.prune();
        assert_eq!(store.stats().entries, 1);
        // A cut-off already past the horizon is not even stored.
        let _ = store.revoke_before("carol", at(T0));
        assert_eq!(store.stats().entries, 1);
    }

    #[test]
    fn messages_parse_and_malformed_lines_are_counted() {
        let clock = ManualClock::new(T0);
        let store = offline(&clock);
        let shared = &store.handle.shared;
        shared.apply_message(
            format!(
                "{T0} user 1\n{T0}\nnot-a-number bob\n{T0} \n{} carol\n",
                T0 + 1
            )
            .as_bytes(),
        );
        shared.apply_message(&[0xff, 0xfe]);
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
    fn messages_round_trip_and_split_at_the_size_limit() {
        let subject = "s".repeat(MAX_REVOCATION_SUBJECT_LEN);
        let entries: Vec<(&str, u64)> = (0..600).map(|i| (subject.as_str(), T0 + i)).collect();
        let messages = encode_messages(&entries);
        assert!(messages.len() >= 3);
        let mut decoded = Vec::new();
        for message in &messages {
            assert!(message.len() <= MAX_MESSAGE_BYTES);
            decoded.extend(message.lines().map(|line| parse_line(line).unwrap()));
        }
        assert_eq!(decoded, entries);
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
    fn scores_parse_exactly() {
        assert_eq!(parse_score(b"1800000000000"), Some(1_800_000_000_000));
        assert_eq!(parse_score(b"1.8e12"), Some(1_800_000_000_000));
        assert_eq!(parse_score(b"-1"), None);
        assert_eq!(parse_score(b"inf"), None);
        assert_eq!(parse_score(b"nan"), None);
    }
}
