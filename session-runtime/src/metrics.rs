//! One function per event worth counting, recorded through the `metrics`
//! facade (feature `metrics`); without the feature every function is empty
//! and compiles away. The names and labels are listed in
//! docs/operations.md ("What to monitor"), with what to alert on.
//!
//! Recording goes to whatever recorder the application installed (a
//! Prometheus exporter, StatsD, ...); with none installed, each call is a
//! load of the facade's recorder pointer. Every name and label is a literal
//! (`count!`), so each key is a `static` and recording allocates nothing.

#[cfg(feature = "metrics")]
use metrics::counter;
// The gauges are the revocation store's (feature `redis`).
#[cfg(all(feature = "metrics", feature = "redis"))]
use metrics::gauge;

use crate::reject::{BindingFailure, Rejection};
use crate::session::{LoadStatus, Session, WriteReason};

/// `counter!(...).increment(1)` with literal labels only: the `metrics`
/// macros build such a key as a `static`, so counting allocates nothing
/// (a label given as a variable would allocate a `Vec` per call, recorder
/// or not: measured by bench/tests/alloc_counts.rs as one allocation more
/// per load).
macro_rules! count {
    ($name:literal $(, $key:literal => $value:literal)*) => {{
        #[cfg(feature = "metrics")]
        counter!($name $(, $key => $value)*).increment(1);
    }};
}

/// A load returned `session`: counts it by status, and a refused cookie by
/// reason (`suspicious` marks what tampering or forgery produces).
#[inline]
pub(crate) fn loaded<T>(session: Session<T>) -> Session<T> {
    loaded_status(session.status());
    session
}

/// A decode of one cookie value returned `result`.
#[inline]
pub(crate) fn decoded<T>(result: Result<Session<T>, Rejection>) -> Result<Session<T>, Rejection> {
    match &result {
        Ok(session) => loaded_status(session.status()),
        Err(reason) => rejected(reason),
    }
    result
}

fn loaded_status(status: &LoadStatus) {
    match status {
        LoadStatus::Missing => count!("session_loads_total", "status" => "missing"),
        LoadStatus::Valid => count!("session_loads_total", "status" => "valid"),
        LoadStatus::ValidVerifyKey => {
            count!("session_loads_total", "status" => "valid_verify_key")
        }
        LoadStatus::Migrated { .. } => count!("session_loads_total", "status" => "migrated"),
        LoadStatus::Rejected(reason) => rejected(reason),
    }
}

/// One arm per `Rejection` variant (so a new variant does not compile until
/// it is counted), with the label `Rejection::kind` and `is_suspicious`
/// give; debug builds (every test) check that the two agree.
macro_rules! by_reason {
    ($reason:expr; $($pattern:pat => $kind:literal, $suspicious:literal;)*) => {
        match $reason {
            $($pattern => {
                debug_assert_eq!($reason.kind(), $kind);
                debug_assert_eq!($reason.is_suspicious(), $suspicious == "true");
                count!(
                    "session_rejections_total",
                    "reason" => $kind,
                    "suspicious" => $suspicious
                );
            })*
        }
    };
}

fn rejected(reason: &Rejection) {
    count!("session_loads_total", "status" => "rejected");
    by_reason! { reason;
        Rejection::TooLong { .. } => "too_long", "true";
        Rejection::NotBase64 => "not_base64", "true";
        Rejection::ChunkFraming => "chunk_framing", "true";
        Rejection::ChunkMissing { .. } => "chunk_missing", "false";
        Rejection::ChunkLayout => "chunk_layout", "true";
        Rejection::Truncated { .. } => "truncated", "true";
        Rejection::UnknownFormat { .. } => "unknown_format", "true";
        Rejection::UnknownKey { .. } => "unknown_key", "false";
        Rejection::BadSignature => "bad_signature", "true";
        Rejection::WrongVersion { .. } => "wrong_version", "false";
        Rejection::SchemaMismatch { .. } => "schema_mismatch", "false";
        Rejection::IssuedInFuture { .. } => "issued_in_future", "false";
        Rejection::AbsoluteExpired { .. } => "absolute_expired", "false";
        Rejection::IdleExpired { .. } => "idle_expired", "false";
        Rejection::InconsistentTimestamps => "inconsistent_timestamps", "true";
        Rejection::UnknownLifetime { .. } => "unknown_lifetime", "false";
        Rejection::Revoked => "revoked", "false";
        Rejection::Payload { .. } => "payload", "false";
        Rejection::NeedsAsyncLoad => "needs_async_load", "false";
        Rejection::DeviceBinding { reason: BindingFailure::Malformed } => "device_binding", "true";
        Rejection::DeviceBinding { .. } => "device_binding", "false";
    }
}

/// A `Set-Cookie` is being sent, for `reason`.
#[inline]
pub(crate) fn cookie_written(reason: WriteReason) {
    match reason {
        WriteReason::Changed => count!("session_cookie_writes_total", "reason" => "changed"),
        WriteReason::Renewed => count!("session_cookie_writes_total", "reason" => "renewed"),
        WriteReason::Rekeyed => count!("session_cookie_writes_total", "reason" => "rekeyed"),
        WriteReason::Migrated => count!("session_cookie_writes_total", "reason" => "migrated"),
        WriteReason::Refreshed => count!("session_cookie_writes_total", "reason" => "refreshed"),
        WriteReason::Cleared => count!("session_cookie_writes_total", "reason" => "cleared"),
    }
}

/// A revocation check ran on a session with a subject; `revoked` when it
/// refused it.
#[cfg(feature = "redis")]
#[inline]
pub(crate) fn revocation_checked(revoked: bool) {
    count!("session_revocation_checks_total");
    if revoked {
        count!("session_revocation_refusals_total");
    }
}

/// Something that happened on the Redis link.
#[cfg(feature = "redis")]
#[derive(Clone, Copy)]
pub(crate) enum RevocationEvent {
    /// A connection or subscription failed (a reconnect follows).
    ConnectionFailure,
    /// The whole set was re-read.
    Resync,
    /// A message or stored entry did not parse.
    Malformed,
    /// A `revoke` returned without Redis's confirmation.
    NotPropagated,
}

/// Counts `event` (label `event`).
#[cfg(feature = "redis")]
pub(crate) fn revocation_event(event: RevocationEvent) {
    match event {
        RevocationEvent::ConnectionFailure => {
            count!("session_revocation_events_total", "event" => "connection_failure")
        }
        RevocationEvent::Resync => count!("session_revocation_events_total", "event" => "resync"),
        RevocationEvent::Malformed => {
            count!("session_revocation_events_total", "event" => "malformed")
        }
        RevocationEvent::NotPropagated => {
            count!("session_revocation_events_total", "event" => "not_propagated")
        }
    }
}

/// A resync wrote `n` cut-offs back that Redis lacked.
#[cfg(feature = "redis")]
pub(crate) fn revocation_written_back(n: usize) {
    #[cfg(feature = "metrics")]
    counter!("session_revocation_written_back_total").increment(n as u64);
    #[cfg(not(feature = "metrics"))]
    let _ = n;
}

/// The subscription is up (subscribed and resynced) or down.
#[cfg(feature = "redis")]
pub(crate) fn revocation_link(up: bool) {
    #[cfg(feature = "metrics")]
    gauge!("session_revocation_link_up").set(if up { 1.0 } else { 0.0 });
    #[cfg(not(feature = "metrics"))]
    let _ = up;
}

/// Subjects in the in-process copy (after a resync).
#[cfg(feature = "redis")]
pub(crate) fn revocation_entries(n: usize) {
    #[cfg(feature = "metrics")]
    gauge!("session_revocation_entries").set(n as f64);
    #[cfg(not(feature = "metrics"))]
    let _ = n;
}

/// Cut-offs revoked here that Redis has not confirmed yet.
#[cfg(feature = "redis")]
pub(crate) fn revocation_pending(n: usize) {
    #[cfg(feature = "metrics")]
    gauge!("session_revocation_pending_writes").set(n as f64);
    #[cfg(not(feature = "metrics"))]
    let _ = n;
}
