//! What can go wrong with a revocation, and the counters a replica exposes.

use core::fmt;

use super::MAX_REVOCATION_SUBJECT_LEN;

/// A revocation could not be completed, or the store could not be set up.
/// The messages are sentences for an operator's log; none holds the Redis
/// URL (it may carry a password).
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
    /// Redis did not confirm the cut-off within the bound of
    /// [`revoke`](super::RedisRevocations::revoke). It is in force on this
    /// replica already; this replica keeps sending it (and writes it back at
    /// its next resync), so the other replicas learn it once Redis answers.
    /// Retry to be sure of it sooner.
    NotPropagated {
        /// What went wrong, for the operator's log (the Redis client's
        /// description, or the timeout). Not for end users.
        reason: String,
    },
    /// The background thread could not be started.
    Thread(String),
}

impl fmt::Display for RevocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevocationError::InvalidUrl => {
                f.write_str("the Redis URL for session revocation is invalid")
            }
            RevocationError::InvalidSubject => write!(
                f,
                "a revocation subject must be 1 to {MAX_REVOCATION_SUBJECT_LEN} bytes without line breaks or NUL"
            ),
            RevocationError::InvalidOption(what) => f.write_str(what),
            RevocationError::NotPropagated { reason } => write!(
                f,
                "the revocation is in force on this replica, but Redis did not confirm it ({reason}); \
                 this replica keeps sending it until Redis takes it"
            ),
            RevocationError::Thread(reason) => {
                write!(f, "cannot start a session revocation thread: {reason}")
            }
        }
    }
}

impl std::error::Error for RevocationError {}

/// Counters for tests and metrics (with the `metrics` feature the same
/// events also go to the `metrics` facade, docs/operations.md). Every field
/// only grows, except `entries`, `pending_writes` and `subscribed`.
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
    /// lacked them or held them lower (e.g. after a restart without
    /// persistence, or a writer that removed them).
    pub written_back: u64,
    /// Failed connections or subscriptions (each followed by a reconnect).
    pub connection_failures: u64,
    /// Revocations that returned [`RevocationError::NotPropagated`].
    pub not_propagated: u64,
    /// Cut-offs revoked here that Redis has not confirmed yet.
    pub pending_writes: usize,
    /// Subjects in the in-process copy.
    pub entries: usize,
    /// Subscribed and resynced right now.
    pub subscribed: bool,
}
