//! Injectable time source: timeouts are checked against this clock, so tests can
//! move time instead of sleeping.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Wall-clock time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    fn now_unix_ms(&self) -> u64;
}

/// The system's real-time clock.
///
/// On Linux and Android it reads `CLOCK_REALTIME_COARSE`: the same wall clock
/// as `SystemTime::now()`, updated once per kernel tick (1–4 ms) instead of
/// interpolated from the CPU's time-stamp counter. Cookie times travel in
/// whole seconds (docs/wire-format.md), so the tick loses nothing, and the
/// read is a few loads from the vDSO page instead of a TSC read (measured in
/// BENCHMARKS.md, `clock`). Elsewhere it is `SystemTime::now()`.
///
/// ```
/// use session_runtime::{Clock, SystemClock};
///
/// let now = SystemClock.now_unix_ms();
/// let std_now = std::time::SystemTime::now()
///     .duration_since(std::time::UNIX_EPOCH)
///     .unwrap()
///     .as_millis() as u64;
/// // The coarse clock lags the precise one by at most one kernel tick.
/// assert!(now <= std_now + 1 && std_now.saturating_sub(now) < 1_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub struct SystemClock;

#[cfg(any(target_os = "linux", target_os = "android"))]
impl Clock for SystemClock {
    #[inline]
    fn now_unix_ms(&self) -> u64 {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
        // A clock before 1970 is a broken host; treating it as the epoch makes
        // every cookie look issued in the future, which fails closed.
        let secs = u64::try_from(now.tv_sec).unwrap_or(0);
        let millis = u64::try_from(now.tv_nsec).unwrap_or(0) / 1_000_000;
        secs.saturating_mul(1_000).saturating_add(millis)
    }
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    all(target_arch = "wasm32", target_os = "unknown")
)))]
impl Clock for SystemClock {
    fn now_unix_ms(&self) -> u64 {
        // A clock before 1970 is a broken host; treating it as the epoch makes
        // every cookie look issued in the future, which fails closed.
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| {
                u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
            })
    }
}

/// A clock that only moves when told to; clones share the same time.
///
/// ```
/// use std::time::Duration;
/// use session_runtime::{Clock, ManualClock};
///
/// let clock = ManualClock::new(1_700_000_000_000);
/// let shared = clock.clone();
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(shared.now_unix_ms(), 1_700_000_060_000);
/// ```
#[derive(Clone)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock stopped at `unix_ms`.
    pub fn new(unix_ms: u64) -> Self {
        Self(Arc::new(AtomicU64::new(unix_ms)))
    }

    /// Sets the time.
    pub fn set(&self, unix_ms: u64) {
        self.0.store(unix_ms, Ordering::SeqCst);
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        self.shift(by, u64::saturating_add);
    }

    /// Moves the time backward.
    pub fn rewind(&self, by: Duration) {
        self.shift(by, u64::saturating_sub);
    }

    /// Applies `step(now, by)` to the time, `by` in (saturated) milliseconds.
    fn shift(&self, by: Duration, step: fn(u64, u64) -> u64) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(step(now, by))
            })
            .ok();
    }
}

impl Clock for ManualClock {
    fn now_unix_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock")
            .field(&self.now_unix_ms())
            .finish()
    }
}

/// The default clock of a configuration: the system clock, except on
/// `wasm32-unknown-unknown`, where `SystemTime::now()` panics and the edge
/// runtime's clock must be injected.
pub(crate) fn system_clock() -> Option<Arc<dyn Clock>> {
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    return Some(Arc::new(SystemClock));
    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    return None;
}
