//! The Redis commands, each one round trip on a blocking connection whose
//! every read and write is bounded by the I/O timeout. Shared by the
//! listener thread (resync reads and write-backs) and the writer thread
//! (revocations); each holds its own connection, so neither waits for the
//! other.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::{Client, Connection, RedisResult};

use crate::metrics::RevocationEvent;

use super::wire::encode_messages;

/// `KEYS[1]`: the sorted set; `ARGV`: the channel, the horizon (0: keep
/// everything), the number of messages, the messages, then `cutoff,
/// subject` pairs. Needs Redis 6.2 or later (`ZADD GT`).
const PUBLISH_SCRIPT: &str = "\
local messages = tonumber(ARGV[3])
local first = 4 + messages
for i = first, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], 'GT', ARGV[i], ARGV[i + 1])
end
if ARGV[2] ~= '0' then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
end
for i = 4, first - 1 do
  redis.call('PUBLISH', ARGV[1], ARGV[i])
end
return 0";

#[derive(Default)]
pub(super) struct Counters {
    pub round_trips: AtomicU64,
    pub keepalive_pings: AtomicU64,
    pub resyncs: AtomicU64,
    pub messages: AtomicU64,
    pub malformed: AtomicU64,
    pub written_back: AtomicU64,
    pub connection_failures: AtomicU64,
    pub not_propagated: AtomicU64,
}

impl Counters {
    pub(super) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Counts `event` in its counter (`RevocationStats`) and in the
    /// metrics, so the two cannot drift apart.
    pub(super) fn event(&self, event: RevocationEvent) {
        let counter = match event {
            RevocationEvent::ConnectionFailure => &self.connection_failures,
            RevocationEvent::Resync => &self.resyncs,
            RevocationEvent::Malformed => &self.malformed,
            RevocationEvent::NotPropagated => &self.not_propagated,
        };
        Counters::add(counter, 1);
        crate::metrics::revocation_event(event);
    }
}

pub(super) struct Link {
    pub client: Client,
    /// `<namespace>:cutoffs`: subject → cut-off (Unix ms) as its score.
    pub set_key: String,
    /// `<namespace>:revocations`: `<cutoff ms> <subject>` lines.
    pub channel: String,
    pub io_timeout: Duration,
    pub counters: Counters,
}

impl Link {
    pub(super) fn round_trip(&self) {
        Counters::add(&self.counters.round_trips, 1);
    }

    /// A connection whose TCP connect and each reply of the client's set-up
    /// commands (redis-rs gives them what is left of the connect timeout)
    /// take at most the I/O timeout, and whose later reads and writes each
    /// take at most the I/O timeout. Against a hung Redis the set-up can
    /// still take a multiple of it (one wait per set-up reply), which is why
    /// `revoke` bounds its own wait instead of relying on these timeouts.
    pub(super) fn connect(&self) -> RedisResult<Connection> {
        self.round_trip();
        let connection = self.client.get_connection_with_timeout(self.io_timeout)?;
        connection.set_read_timeout(Some(self.io_timeout))?;
        connection.set_write_timeout(Some(self.io_timeout))?;
        Ok(connection)
    }

    /// Stores cut-offs (`ZADD GT`: a cut-off only moves forward), drops the
    /// ones at or before `horizon` (0: none) and tells every replica: one
    /// script, so one command with one reply, atomic on the server, and one
    /// read bounded by the I/O timeout. (A `MULTI` pipeline has one reply
    /// per command, and redis-rs waits out the read timeout for each of
    /// them after the first times out: five replies made a revocation block
    /// 5 s against a hung Redis at a 1 s timeout.)
    pub(super) fn publish(
        &self,
        connection: &mut Connection,
        entries: &[(&str, u64)],
        horizon: u64,
    ) -> RedisResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let messages = encode_messages(entries);
        let mut command = redis::cmd("EVAL");
        command
            .arg(PUBLISH_SCRIPT)
            .arg(1)
            .arg(&self.set_key)
            .arg(&self.channel)
            .arg(horizon)
            .arg(messages.len());
        for message in &messages {
            command.arg(message);
        }
        for (subject, cutoff) in entries {
            command.arg(*cutoff).arg(*subject);
        }
        self.round_trip();
        command.exec(connection)
    }

    /// Every cut-off after `horizon` (0: all), as flat `subject, score`
    /// pairs; drops the older ones from Redis first (none when `horizon` is 0).
    pub(super) fn read_all(
        &self,
        connection: &mut Connection,
        horizon: u64,
    ) -> RedisResult<Vec<Vec<u8>>> {
        let mut pipe = redis::pipe();
        if horizon > 0 {
            pipe.cmd("ZREMRANGEBYSCORE")
                .arg(&self.set_key)
                .arg("-inf")
                .arg(horizon)
                .ignore();
        }
        pipe.cmd("ZRANGEBYSCORE")
            .arg(&self.set_key)
            .arg(format!("({horizon}"))
            .arg("+inf")
            .arg("WITHSCORES");
        self.round_trip();
        let (flat,): (Vec<Vec<u8>>,) = pipe.query(connection)?;
        Ok(flat)
    }
}
