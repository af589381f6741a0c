//! The writer thread: sends this replica's revocations to Redis, several
//! at once when they arrive together, and retries the ones Redis has not
//! confirmed.
//!
//! `revoke` never talks to Redis itself: it queues the cut-off and waits
//! for the writer's confirmation until its own deadline (twice the I/O
//! timeout: room for a connection set-up and a round trip). So a hung Redis
//! costs each caller at most that bound, whatever the writer is stuck on and
//! however many revocations are waiting: they share the writer's attempts
//! instead of queueing behind a lock one round trip after another.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use redis::Connection;

use crate::metrics::RevocationEvent;

use super::{Shared, INITIAL_RECONNECT_DELAY, POLL_INTERVAL};

#[derive(Default)]
struct State {
    /// Cut-offs not yet confirmed by Redis, each with its sequence number.
    queue: Vec<(Box<str>, u64, u64)>,
    /// Entries of the attempt in progress.
    in_flight: usize,
    next_seq: u64,
    /// Every entry with a sequence number up to this one is in Redis.
    confirmed: u64,
    /// The last attempt that failed carried entries up to this one ...
    failed: u64,
    /// ... and failed for this reason.
    failure: String,
    /// No attempt before this instant (back-off after a failure), unless a
    /// new revocation arrives: a caller waiting for its answer gets an
    /// attempt of its own.
    retry_at: Option<Instant>,
    shutdown: bool,
}

#[derive(Default)]
pub(super) struct Outbox {
    state: Mutex<State>,
    changed: Condvar,
}

impl Outbox {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a cut-off for Redis; the number to wait for.
    pub(super) fn submit(&self, subject: &str, cutoff_ms: u64) -> u64 {
        let mut state = self.lock();
        state.next_seq += 1;
        let seq = state.next_seq;
        state.queue.push((subject.into(), cutoff_ms, seq));
        state.retry_at = None;
        self.changed.notify_all();
        seq
    }

    /// Waits until Redis confirmed entry `seq`, an attempt carrying it
    /// failed, or `deadline` passed.
    pub(super) fn wait(&self, seq: u64, deadline: Instant, bound: Duration) -> Result<(), String> {
        let mut state = self.lock();
        loop {
            if state.confirmed >= seq {
                return Ok(());
            }
            if state.failed >= seq {
                return Err(state.failure.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!("Redis did not answer within {bound:?}"));
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Cut-offs not yet confirmed (queued or being sent).
    pub(super) fn pending(&self) -> usize {
        let state = self.lock();
        state.queue.len() + state.in_flight
    }

    pub(super) fn shut_down(&self) {
        self.lock().shutdown = true;
        self.changed.notify_all();
    }

    /// The next batch (every queued entry), or `None` at shutdown.
    fn next_batch(&self, horizon: impl Fn() -> u64) -> Option<Vec<(Box<str>, u64, u64)>> {
        let mut state = self.lock();
        loop {
            if state.shutdown {
                return None;
            }
            // A cut-off past the horizon can no longer refuse anything.
            let horizon = horizon();
            state.queue.retain(|(_, cutoff, _)| *cutoff > horizon);
            let now = Instant::now();
            let due = state.retry_at.is_none_or(|at| now >= at);
            if !state.queue.is_empty() && due {
                state.in_flight = state.queue.len();
                return Some(std::mem::take(&mut state.queue));
            }
            let wait = state
                .retry_at
                .map_or(POLL_INTERVAL, |at| at.saturating_duration_since(now))
                .min(POLL_INTERVAL);
            state = self
                .changed
                .wait_timeout(state, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn finish(
        &self,
        batch: Vec<(Box<str>, u64, u64)>,
        outcome: Result<(), String>,
        delay: Duration,
    ) {
        let last = batch.iter().map(|(_, _, seq)| *seq).max().unwrap_or(0);
        let mut state = self.lock();
        state.in_flight = 0;
        match outcome {
            Ok(()) => {
                state.confirmed = state.confirmed.max(last);
                state.retry_at = None;
            }
            Err(reason) => {
                state.failed = state.failed.max(last);
                state.failure = reason;
                // Back in front of what arrived meanwhile, for the next attempt.
                let newer = std::mem::replace(&mut state.queue, batch);
                state.queue.extend(newer);
                if state.queue.iter().all(|(_, _, seq)| *seq <= last) {
                    state.retry_at = Some(Instant::now() + delay);
                }
            }
        }
        self.changed.notify_all();
    }
}

/// The writer thread's loop; returns at shutdown.
pub(super) fn run(shared: Arc<Shared>) {
    let mut connection: Option<Connection> = None;
    let mut delay = INITIAL_RECONNECT_DELAY;
    while let Some(batch) = shared.outbox.next_batch(|| shared.table.horizon_ms()) {
        let entries: Vec<(&str, u64)> = batch.iter().map(|(s, c, _)| (&**s, *c)).collect();
        let result = match connection.as_mut() {
            Some(connection) => Ok(connection),
            None => shared.link.connect().map(|c| connection.insert(c)),
        }
        .and_then(|c| shared.link.publish(c, &entries, shared.table.horizon_ms()));
        let outcome = match result {
            Ok(()) => {
                delay = INITIAL_RECONNECT_DELAY;
                Ok(())
            }
            Err(err) => {
                // A connection that failed a round trip may hold a late
                // reply: never reuse it.
                connection = None;
                shared
                    .link
                    .counters
                    .event(RevocationEvent::ConnectionFailure);
                Err(err.to_string())
            }
        };
        let failed = outcome.is_err();
        shared.outbox.finish(batch, outcome, delay);
        if failed {
            delay = (delay * 2).min(shared.max_reconnect_delay);
        }
        crate::metrics::revocation_pending(shared.outbox.pending());
    }
}
