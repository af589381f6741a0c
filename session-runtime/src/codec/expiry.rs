//! Idle and absolute timeouts, enforced from the timestamps inside the MAC.

use core::time::Duration;

use crate::reject::Rejection;

use super::header::Header;

/// The time policy of one configuration, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub idle_ms: u64,
    pub absolute_ms: u64,
    pub refresh_ms: u64,
    pub skew_ms: u64,
}

impl Timeouts {
    /// The time checks of the decode order: future issue, inconsistent
    /// timestamps, absolute, then idle expiry.
    pub fn check(&self, header: &Header, now: u64) -> Result<(), Rejection> {
        if header.issued_ms > now.saturating_add(self.skew_ms) {
            return Err(Rejection::IssuedInFuture {
                ahead: Duration::from_millis(header.issued_ms - now),
            });
        }
        if header.created_ms > header.issued_ms {
            return Err(Rejection::InconsistentTimestamps);
        }
        let age = now.saturating_sub(header.created_ms);
        if age > self.absolute_ms {
            return Err(Rejection::AbsoluteExpired {
                age: Duration::from_millis(age),
            });
        }
        let idle = now.saturating_sub(header.issued_ms);
        if idle > self.idle_ms {
            return Err(Rejection::IdleExpired {
                idle: Duration::from_millis(idle),
            });
        }
        Ok(())
    }

    /// Whether an unchanged session issued at `issued_ms` is due a re-issue
    /// to keep its idle timeout rolling.
    pub fn needs_refresh(&self, issued_ms: u64, now: u64) -> bool {
        now.saturating_sub(issued_ms) >= self.refresh_ms
    }

    /// `Max-Age` is only a hint (the limits are enforced from the signed
    /// timestamps): the browser may forget the cookie when it could no longer
    /// verify, i.e. at the earlier of the idle and absolute deadlines.
    pub fn max_age_secs(&self, created_ms: u64, now: u64) -> u64 {
        // Whole seconds on the wire: the deadlines are computed from the
        // rounded-down times the cookie carries.
        let absolute_left = created_ms
            .saturating_add(self.absolute_ms)
            .saturating_sub(now);
        self.idle_ms.min(absolute_left) / 1000
    }

    /// [`max_age_secs`](Self::max_age_secs) of a session that starts now:
    /// the earlier of the two timeouts.
    pub fn new_session_max_age_secs(&self) -> u64 {
        self.max_age_secs(0, 0)
    }
}
