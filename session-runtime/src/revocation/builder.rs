//! The store's options, and the start of its two threads.

use core::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use redis::Client;

use super::link::{Counters, Link};
use super::table::CutoffTable;
use super::writer::Outbox;
use super::{
    listener, writer, Handle, RedisRevocations, RevocationError, Shared,
    DEFAULT_REVOCATION_IO_TIMEOUT, DEFAULT_REVOCATION_KEEPALIVE,
    DEFAULT_REVOCATION_MAX_RECONNECT_DELAY,
};
use crate::clock::{Clock, SystemClock};

/// Configures and starts a [`RedisRevocations`]; see [`RedisRevocations::builder`].
#[must_use]
pub struct RedisRevocationsBuilder {
    url: String,
    namespace: String,
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
            .field("io_timeout", &self.io_timeout)
            .finish_non_exhaustive()
    }
}

impl RedisRevocationsBuilder {
    pub(super) fn new(url: String) -> RedisRevocationsBuilder {
        RedisRevocationsBuilder {
            url,
            namespace: "session-revocations".to_owned(),
            keepalive: DEFAULT_REVOCATION_KEEPALIVE,
            io_timeout: DEFAULT_REVOCATION_IO_TIMEOUT,
            max_reconnect_delay: DEFAULT_REVOCATION_MAX_RECONNECT_DELAY,
            clock: Arc::new(SystemClock),
        }
    }

    /// Prefix of the Redis key and channel (default `session-revocations`):
    /// `<namespace>:cutoffs` and `<namespace>:revocations`. Apps sharing a
    /// Redis use different namespaces.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Silence on the subscription after which a `PING` checks the connection
    /// (default [`DEFAULT_REVOCATION_KEEPALIVE`]). A connection that died without a reset
    /// is noticed within `keepalive + io_timeout`.
    pub fn keepalive(mut self, interval: Duration) -> Self {
        self.keepalive = interval;
        self
    }

    /// Bound on a connection set-up and on each reply (default
    /// [`DEFAULT_REVOCATION_IO_TIMEOUT`]). [`RedisRevocations::revoke`]
    /// returns within twice this (see [`RedisRevocations::revoke_bound`]).
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

    /// Validates the options and starts the listener and writer threads.
    /// Returns at once, without waiting for Redis: use
    /// [`RedisRevocations::wait_synced`] to wait for the first full read.
    pub fn start(self) -> Result<RedisRevocations, RevocationError> {
        for (value, what) in [
            (self.keepalive, "revocation keepalive must be above zero"),
            (self.io_timeout, "revocation I/O timeout must be above zero"),
            (
                self.max_reconnect_delay,
                "revocation reconnect delay must be above zero",
            ),
        ] {
            if value.is_zero() {
                return Err(RevocationError::InvalidOption(what));
            }
        }
        let client = Client::open(self.url.as_str()).map_err(|_| RevocationError::InvalidUrl)?;
        let shared = Arc::new(Shared {
            link: Link {
                client,
                set_key: format!("{}:cutoffs", self.namespace),
                channel: format!("{}:revocations", self.namespace),
                io_timeout: self.io_timeout,
                counters: Counters::default(),
            },
            keepalive: self.keepalive,
            max_reconnect_delay: self.max_reconnect_delay,
            table: CutoffTable::new(self.clock),
            outbox: Outbox::default(),
            subscribed: AtomicBool::new(false),
            last_confirmed_ms: AtomicU64::new(0),
            synced: (Mutex::new(0), Condvar::new()),
            shutdown: AtomicBool::new(false),
        });
        crate::metrics::revocation_link(false);
        let handle = Arc::new(Handle {
            shared: Arc::clone(&shared),
        });
        for (name, body) in [
            ("session-revocations", listener::run as fn(Arc<Shared>)),
            ("session-revocation-writer", writer::run),
        ] {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(name.into())
                .spawn(move || body(shared))
                .map_err(|err| RevocationError::Thread(err.to_string()))?;
        }
        Ok(RedisRevocations { handle })
    }
}
