//! One function per event worth counting, recorded through the `metrics`
//! facade (feature `metrics`); without the feature every function is empty
//! and compiles away. The names and labels are listed in
//! docs/operations.md ("What to monitor"), with what to alert on.
//!
//! Recording goes to whatever recorder the application installed (a
//! Prometheus exporter, StatsD, ...); with none installed, each call is a
//! load of the facade's recorder pointer. Every label value is a
//! `&'static str`, so recording allocates nothing.

#[cfg(feature = "metrics")]
use metrics::{counter, gauge};

use crate::reject::Rejection;
use crate::session::{LoadStatus, Session, WriteReason};

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
    let name = match status {
        LoadStatus::Missing => "missing",
        LoadStatus::Valid => "valid",
        LoadStatus::ValidVerifyKey => "valid_verify_key",
        LoadStatus::Migrated { .. } => "migrated",
        LoadStatus::Rejected(reason) => return rejected(reason),
    };
    #[cfg(feature = "metrics")]
    counter!("session_loads_total", "status" => name).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = name;
}

fn rejected(reason: &Rejection) {
    #[cfg(feature = "metrics")]
    {
        counter!("session_loads_total", "status" => "rejected").increment(1);
        let suspicious = if reason.is_suspicious() {
            "true"
        } else {
            "false"
        };
        counter!(
            "session_rejections_total",
            "reason" => reason.kind(),
            "suspicious" => suspicious
        )
        .increment(1);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = reason;
}

/// A `Set-Cookie` is being sent, for `reason`.
#[inline]
pub(crate) fn cookie_written(reason: WriteReason) {
    let name = match reason {
        WriteReason::Changed => "changed",
        WriteReason::Renewed => "renewed",
        WriteReason::Rekeyed => "rekeyed",
        WriteReason::Migrated => "migrated",
        WriteReason::Refreshed => "refreshed",
        WriteReason::Cleared => "cleared",
    };
    #[cfg(feature = "metrics")]
    counter!("session_cookie_writes_total", "reason" => name).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = name;
}

/// A revocation check ran on a session with a subject; `revoked` when it
/// refused it.
#[cfg(feature = "redis")]
#[inline]
pub(crate) fn revocation_checked(revoked: bool) {
    #[cfg(feature = "metrics")]
    {
        counter!("session_revocation_checks_total").increment(1);
        if revoked {
            counter!("session_revocation_refusals_total").increment(1);
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = revoked;
}

/// Something happened on the Redis link: `connection_failure`, `resync`,
/// `malformed` (a message or entry that did not parse), `not_propagated`
/// (a `revoke` returned without Redis's confirmation).
#[cfg(feature = "redis")]
pub(crate) fn revocation_event(event: &'static str) {
    #[cfg(feature = "metrics")]
    counter!("session_revocation_events_total", "event" => event).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = event;
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
