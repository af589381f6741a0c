//! "Log out everywhere" for a fleet (feature `redis`): per-subject cut-off
//! times in Redis, mirrored into every replica through pub/sub
//! (docs/operations.md, "Revocation").
//!
//! The app picks the *subject* (usually the user id). Revoking a subject stores
//! a cut-off time; a session of that subject whose start (`created_at`, signed
//! in the cookie) is before the cut-off is refused as
//! [`Rejection::Revoked`](crate::Rejection::Revoked).
//!
//! Attach the store to each session configuration with
//! [`SessionConfigBuilder::revocations`](crate::SessionConfigBuilder::revocations):
//! that installs the per-request check and tells the store how long the
//! configuration's sessions can live, which is how long it keeps each
//! cut-off.
//!
//! How it is built (one concern per file):
//! - `table.rs`: the in-process copy the per-request check reads (no
//!   network, ever), its retention, and the rule that cut-offs only move
//!   forward;
//! - `listener.rs`: the thread that subscribes, re-reads and writes back;
//! - `writer.rs`: the thread that sends revocations, so `revoke` has a bound;
//! - `link.rs`: the Redis commands; `wire.rs`: the message format;
//! - `builder.rs`: the options and the start of both threads;
//! - `attach.rs`: the configuration builder's side.

mod attach;
mod builder;
mod error;
mod link;
mod listener;
mod table;
mod wire;
mod writer;

use core::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::config::{CookieMeta, DEFAULT_ABSOLUTE_TIMEOUT, DEFAULT_MAX_CLOCK_SKEW};
use crate::metrics::RevocationEvent;

pub use builder::RedisRevocationsBuilder;
pub use error::{RevocationError, RevocationStats};
use link::{Counters, Link};
use table::CutoffTable;
use wire::{system_time_ms, valid_subject, whole_second};
use writer::Outbox;

/// Longest subject accepted by [`RedisRevocations::revoke`], in bytes.
pub const MAX_REVOCATION_SUBJECT_LEN: usize = 256;

/// The shortest time a store keeps a cut-off once a configuration is
/// attached: the default absolute timeout plus the default clock-skew
/// allowance (7 days and 60 s), the default configuration's
/// [`max_session_age`](crate::SessionConfig::max_session_age). A
/// configuration whose sessions live longer raises it.
pub const MIN_REVOCATION_RETENTION: Duration =
    DEFAULT_ABSOLUTE_TIMEOUT.saturating_add(DEFAULT_MAX_CLOCK_SKEW);

/// Default interval of silence on the subscription after which a replica
/// sends `PING` to prove the connection is alive.
pub const DEFAULT_REVOCATION_KEEPALIVE: Duration = Duration::from_secs(1);
/// Default bound on connecting and on waiting for any one reply; `revoke`
/// waits at most twice this.
pub const DEFAULT_REVOCATION_IO_TIMEOUT: Duration = Duration::from_secs(1);
/// Default longest wait between reconnection attempts (the wait starts at
/// 50 ms and doubles).
pub const DEFAULT_REVOCATION_MAX_RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// First wait after a failed connection.
const INITIAL_RECONNECT_DELAY: Duration = Duration::from_millis(50);
/// How often the threads wake up while idle (to notice shutdown, send a
/// keepalive or prune); a wake-up sends nothing by itself. It is also how
/// long the threads may outlive the last handle.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Per-subject session cut-offs shared by a fleet through Redis
/// (docs/operations.md, "Revocation").
///
/// The app picks the *subject* (usually the user id). [`revoke`](Self::revoke)
/// stores a cut-off; a session of that subject that started before it is
/// refused as [`Rejection::Revoked`](crate::Rejection::Revoked) by every
/// configuration the store is attached to with
/// [`SessionConfigBuilder::revocations`](crate::SessionConfigBuilder::revocations).
///
/// - Every replica keeps an in-process copy; a background thread subscribes
///   to `<namespace>:revocations`, then re-reads the sorted set
///   `<namespace>:cutoffs`, then applies messages, and does the same after
///   every reconnection. The per-request check reads only the copy.
/// - Cut-offs only move forward: nothing read from Redis lowers or removes
///   one this replica holds.
/// - A cut-off is kept as long as a session of an attached configuration
///   can live ([`SessionConfig::max_session_age`](crate::SessionConfig::max_session_age),
///   the longest registered, never less than [`MIN_REVOCATION_RETENTION`]);
///   before any configuration is attached nothing is dropped.
/// - While Redis is unreachable the copy is served as it is (never emptied);
///   on reconnect the replica re-reads the whole set and writes back the
///   cut-offs Redis lacks (a Redis restarted without persistence is refilled).
///
/// Cloning is cheap and shares the same copy and threads; the threads stop
/// (within 100 ms, or at the end of a Redis round trip in progress) when the
/// last clone is dropped.
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
/// let config = SessionConfig::<App>::builder(Key::from_secret(&[7; 32]).unwrap())
///     // Per request: an in-memory lookup, no network. The store also
///     // learns how long these sessions live, so it keeps cut-offs as long.
///     .revocations(&revocations, |session: &App| {
///         session.user().as_ref().map(|name| name.as_str().into())
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
        f.debug_struct("RedisRevocations")
            .field("set_key", &self.handle.shared.link.set_key)
            .field("retention", &self.retention())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl RedisRevocations {
    /// A builder for a store at `url` (`redis://[:password@]host:port/[db]`).
    pub fn builder(url: impl Into<String>) -> RedisRevocationsBuilder {
        RedisRevocationsBuilder::new(url.into())
    }

    fn shared(&self) -> &Shared {
        &self.handle.shared
    }

    /// Whether a session of `subject` that started at `created_at` is revoked.
    /// Reads the in-process copy: no network round trip.
    pub fn is_revoked(&self, subject: &str, created_at: SystemTime) -> bool {
        let created_ms = system_time_ms(created_at);
        let revoked = self
            .shared()
            .table
            .cutoff_ms(subject)
            .is_some_and(|cutoff| created_ms < cutoff);
        crate::metrics::revocation_checked(revoked);
        revoked
    }

    /// The per-request check: `false` when the session of `subject` is
    /// revoked; sessions without a subject (`None`, e.g. not logged in) are
    /// always valid. [`SessionConfigBuilder::revocations`](crate::SessionConfigBuilder::revocations)
    /// installs it; call it yourself only from a check that combines it
    /// with others, and attach the store all the same, so that it knows how
    /// long to keep cut-offs.
    pub fn still_valid(&self, subject: Option<&str>, meta: &CookieMeta) -> bool {
        subject.is_none_or(|subject| !self.is_revoked(subject, meta.created_at))
    }

    /// The cut-off in force for `subject` in this replica's copy, if any.
    pub fn cutoff(&self, subject: &str) -> Option<SystemTime> {
        self.shared()
            .table
            .cutoff_ms(subject)
            .map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
    }

    /// How long a cut-off is kept: the longest
    /// [`max_session_age`](crate::SessionConfig::max_session_age) of the
    /// configurations attached so far (at least
    /// [`MIN_REVOCATION_RETENTION`]), or `None` before the first is
    /// attached (then nothing is dropped). For a start-up log line.
    pub fn retention(&self) -> Option<Duration> {
        self.shared().table.retention()
    }

    /// The longest [`revoke`](Self::revoke) blocks: twice the I/O timeout
    /// (2 s by default), room for a connection set-up and a round trip.
    /// `revoke` enforces it itself, whatever Redis does.
    pub fn revoke_bound(&self) -> Duration {
        self.shared().link.io_timeout * 2
    }

    /// Revokes every session of `subject` started before now, on every
    /// replica; returns the cut-off.
    ///
    /// The cut-off is in force on this replica when the call starts. The
    /// call then waits for Redis to confirm it, at most
    /// [`revoke_bound`](Self::revoke_bound) (twice the I/O timeout), even
    /// with Redis hung,
    /// and however many revocations run at once: they are sent together by
    /// one writer thread, not one after another. Without a confirmation it
    /// returns [`RevocationError::NotPropagated`] and the writer keeps
    /// sending the cut-off. It blocks: from async code, call it through
    /// `spawn_blocking`.
    ///
    /// A session started by this very request after the call (e.g. the
    /// `renew()` that keeps the current device logged in) is not affected:
    /// cookies carry their start in whole seconds, so cut-offs are whole
    /// seconds too (rounded down), and a session that started in the same
    /// second as the cut-off stays valid.
    pub fn revoke(&self, subject: &str) -> Result<SystemTime, RevocationError> {
        let cutoff = whole_second(self.shared().table.now_ms());
        self.revoke_ms(subject, cutoff)?;
        Ok(UNIX_EPOCH + Duration::from_millis(cutoff))
    }

    /// Revokes every session of `subject` started before `cutoff`, rounded
    /// down to a whole second as cookies carry it (a cut-off only ever moves
    /// forward: an earlier one than in force changes nothing). Same bound as
    /// [`revoke`](Self::revoke).
    pub fn revoke_before(&self, subject: &str, cutoff: SystemTime) -> Result<(), RevocationError> {
        self.revoke_ms(subject, whole_second(system_time_ms(cutoff)))
    }

    fn revoke_ms(&self, subject: &str, cutoff_ms: u64) -> Result<(), RevocationError> {
        let started = Instant::now();
        if !valid_subject(subject) {
            return Err(RevocationError::InvalidSubject);
        }
        let shared = self.shared();
        if cutoff_ms <= shared.table.horizon_ms() {
            // Older than every session that can still be valid: it could
            // refuse nothing, so there is nothing to keep or send.
            return Ok(());
        }
        shared.table.merge(subject, cutoff_ms);
        let seq = shared.outbox.submit(subject, cutoff_ms);
        let bound = self.revoke_bound();
        shared
            .outbox
            .wait(seq, started + bound, bound)
            .map_err(|reason| {
                shared.link.counters.event(RevocationEvent::NotPropagated);
                RevocationError::NotPropagated { reason }
            })
    }

    /// Waits until the copy has been read from Redis at least once (or
    /// `timeout` passes); returns whether it has.
    pub fn wait_synced(&self, timeout: Duration) -> bool {
        let (lock, ready) = &self.shared().synced;
        let guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
        let (guard, _) = ready
            .wait_timeout_while(guard, timeout, |resyncs| *resyncs == 0)
            .unwrap_or_else(PoisonError::into_inner);
        *guard > 0
    }

    /// When the copy was last known to be current: the last resync, message
    /// or keepalive reply. `None` before the first resync.
    pub fn last_confirmed(&self) -> Option<SystemTime> {
        match self.shared().last_confirmed_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(UNIX_EPOCH + Duration::from_millis(ms)),
        }
    }

    /// Redis round trips so far (see [`RevocationStats::round_trips`]).
    pub fn round_trips(&self) -> u64 {
        Counters::get(&self.shared().link.counters.round_trips)
    }

    /// Counters for tests and metrics.
    pub fn stats(&self) -> RevocationStats {
        let shared = self.shared();
        let counters = &shared.link.counters;
        RevocationStats {
            round_trips: Counters::get(&counters.round_trips),
            keepalive_pings: Counters::get(&counters.keepalive_pings),
            resyncs: Counters::get(&counters.resyncs),
            messages: Counters::get(&counters.messages),
            malformed: Counters::get(&counters.malformed),
            written_back: Counters::get(&counters.written_back),
            connection_failures: Counters::get(&counters.connection_failures),
            not_propagated: Counters::get(&counters.not_propagated),
            pending_writes: shared.outbox.pending(),
            entries: shared.table.len(),
            subscribed: shared.subscribed.load(Ordering::Relaxed),
        }
    }

    /// Keeps cut-offs at least `age` (see `attach.rs`).
    pub(crate) fn retain_for(&self, age: Duration) -> Duration {
        self.shared().table.retain_for(age)
    }
}

/// Owned by the clones of one [`RedisRevocations`]; stops the threads when
/// the last one goes.
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::Relaxed);
        self.shared.outbox.shut_down();
    }
}

/// What the handles and both threads share.
struct Shared {
    link: Link,
    keepalive: Duration,
    max_reconnect_delay: Duration,
    table: CutoffTable,
    outbox: Outbox,
    subscribed: AtomicBool,
    last_confirmed_ms: AtomicU64,
    /// Number of resyncs, for `wait_synced`.
    synced: (Mutex<u64>, Condvar),
    shutdown: AtomicBool,
}

#[cfg(test)]
mod tests;
