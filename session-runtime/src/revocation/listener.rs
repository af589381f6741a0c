//! The listener thread: keeps the in-process copy current.
//!
//! On every (re)connection it subscribes **first**, then re-reads the whole
//! set, then applies messages as they arrive; whatever is published between
//! the two steps is queued on the subscription, so nothing is missed. After
//! the re-read it writes back every unexpired cut-off Redis lacks or holds
//! lower (a Redis restarted without persistence is refilled by the
//! replicas). An idle subscription is proved alive by a `PING` every
//! keepalive interval; a failure of any step drops both connections and
//! retries with a doubling back-off.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use redis::{Connection, RedisResult};

use crate::metrics::RevocationEvent;

use super::link::Counters;
use super::wire::{parse_line, parse_score, valid_subject};
use super::{Shared, INITIAL_RECONNECT_DELAY, POLL_INTERVAL};

/// The listener thread's loop; returns at shutdown.
pub(super) fn run(shared: Arc<Shared>) {
    let mut delay = INITIAL_RECONNECT_DELAY;
    while !shared.stopping() {
        let result = listen(&shared, &mut delay);
        shared.set_subscribed(false);
        if shared.stopping() {
            break;
        }
        if result.is_err() {
            shared
                .link
                .counters
                .event(RevocationEvent::ConnectionFailure);
        }
        let until = Instant::now() + delay;
        while !shared.stopping() && Instant::now() < until {
            thread::sleep(POLL_INTERVAL.min(until.saturating_duration_since(Instant::now())));
            shared.table.prune_if_due();
        }
        delay = (delay * 2).min(shared.max_reconnect_delay);
    }
}

fn listen(shared: &Shared, delay: &mut Duration) -> RedisResult<()> {
    let link = &shared.link;
    // Its own command connection: a subscribed connection cannot run other
    // commands, and sharing the writer's would make a resync wait for a
    // revocation (or the other way round).
    let mut commands = link.connect()?;
    let mut connection = link.connect()?;
    let mut pubsub = connection.as_pubsub();
    link.round_trip();
    pubsub.subscribe(&link.channel)?;
    // Subscribed before reading: whatever is published from here on is
    // queued on this connection, so the read below misses nothing.
    resync(shared, &mut commands)?;
    shared.set_subscribed(true);
    shared.confirm();
    *delay = INITIAL_RECONNECT_DELAY;
    pubsub.set_read_timeout(Some(POLL_INTERVAL))?;
    let mut last_heard = Instant::now();
    while !shared.stopping() {
        match pubsub.get_message() {
            Ok(message) => {
                apply_message(shared, message.get_payload_bytes());
                last_heard = Instant::now();
                shared.confirm();
            }
            Err(err) if err.is_timeout() => {}
            Err(err) => return Err(err),
        }
        if last_heard.elapsed() >= shared.keepalive {
            pubsub.set_read_timeout(Some(link.io_timeout))?;
            link.round_trip();
            Counters::add(&link.counters.keepalive_pings, 1);
            let _: redis::Value = pubsub.ping()?;
            pubsub.set_read_timeout(Some(POLL_INTERVAL))?;
            last_heard = Instant::now();
            shared.confirm();
        }
        shared.table.prune_if_due();
    }
    Ok(())
}

/// Re-reads the full set into the copy, then writes back what Redis lacks.
fn resync(shared: &Shared, commands: &mut Connection) -> RedisResult<()> {
    let link = &shared.link;
    let horizon = shared.table.horizon_ms();
    let flat = link.read_all(commands, horizon)?;
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
                shared.table.merge(subject, cutoff);
                stored.insert(subject, cutoff);
            }
            None => malformed(shared),
        }
    }
    let missing = shared.table.missing_from(&stored);
    if !missing.is_empty() {
        let entries: Vec<(&str, u64)> = missing.iter().map(|(s, c)| (&**s, *c)).collect();
        link.publish(commands, &entries, horizon)?;
        Counters::add(&link.counters.written_back, entries.len() as u64);
        crate::metrics::revocation_written_back(entries.len());
    }
    link.counters.event(RevocationEvent::Resync);
    crate::metrics::revocation_entries(shared.table.len());
    let (lock, ready) = &shared.synced;
    *lock.lock().unwrap_or_else(PoisonError::into_inner) += 1;
    ready.notify_all();
    Ok(())
}

/// Merges a message's cut-offs (never lowering one: see `table.rs`).
pub(super) fn apply_message(shared: &Shared, payload: &[u8]) {
    Counters::add(&shared.link.counters.messages, 1);
    match std::str::from_utf8(payload) {
        Ok(text) => {
            for line in text.lines() {
                match parse_line(line) {
                    Some((subject, cutoff)) => {
                        shared.table.merge(subject, cutoff);
                    }
                    None => malformed(shared),
                }
            }
        }
        Err(_) => malformed(shared),
    }
}

fn malformed(shared: &Shared) {
    shared.link.counters.event(RevocationEvent::Malformed);
}

impl Shared {
    pub(super) fn stopping(&self) -> bool {
        self.shutdown.load(Ordering::Relaxed)
    }

    fn set_subscribed(&self, up: bool) {
        if self.subscribed.swap(up, Ordering::Relaxed) != up {
            crate::metrics::revocation_link(up);
        }
    }

    fn confirm(&self) {
        self.last_confirmed_ms
            .store(self.table.now_ms().max(1), Ordering::Relaxed);
    }
}
