//! The in-process copy of the cut-offs, and how long each is kept.
//!
//! The per-request check reads only this table (a hash-map lookup under a
//! read lock). Cut-offs only move forward: whatever arrives (a message, a
//! re-read of the Redis set, a local `revoke`) is merged as the maximum per
//! subject, so nothing Redis says can lower or remove a cut-off here. A
//! cut-off leaves the table only when it is older than the retention: the
//! longest a session of any configuration the store is attached to can
//! live (`SessionConfig::max_session_age`), so every session it could
//! refuse has expired by then.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use crate::clock::Clock;

use super::wire::duration_ms;
use super::MIN_REVOCATION_RETENTION as MIN_RETENTION;

/// How often expired cut-offs are dropped from the copy.
const PRUNE_INTERVAL: Duration = Duration::from_secs(10);

pub(super) struct CutoffTable {
    /// Subject → cut-off (Unix ms).
    entries: RwLock<HashMap<Box<str>, u64>>,
    /// The longest `max_session_age` registered (ms), never below
    /// [`MIN_RETENTION`]; 0 while no configuration has registered, and then
    /// nothing is ignored or pruned (a store cannot know what a session it
    /// was not told about may need).
    retention_ms: AtomicU64,
    clock: Arc<dyn Clock>,
    last_prune: Mutex<Instant>,
}

impl CutoffTable {
    pub(super) fn new(clock: Arc<dyn Clock>) -> CutoffTable {
        CutoffTable {
            entries: RwLock::new(HashMap::new()),
            retention_ms: AtomicU64::new(0),
            clock,
            last_prune: Mutex::new(Instant::now()),
        }
    }

    pub(super) fn now_ms(&self) -> u64 {
        self.clock.now_unix_ms()
    }

    /// Keeps cut-offs at least `age` (and at least [`MIN_RETENTION`]); a
    /// shorter age than one registered before changes nothing. Returns the
    /// retention in force.
    pub(super) fn retain_for(&self, age: Duration) -> Duration {
        let wanted = duration_ms(age.max(MIN_RETENTION));
        let before = self.retention_ms.fetch_max(wanted, Ordering::SeqCst);
        Duration::from_millis(before.max(wanted))
    }

    /// The retention in force, `None` before any configuration registered.
    pub(super) fn retention(&self) -> Option<Duration> {
        match self.retention_ms.load(Ordering::SeqCst) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// Cut-offs at or before this instant can no longer refuse anything:
    /// every session that started before them is past its longest absolute
    /// timeout. 0 (nothing expires) before a retention is registered.
    pub(super) fn horizon_ms(&self) -> u64 {
        match self.retention_ms.load(Ordering::SeqCst) {
            0 => 0,
            retention => self.now_ms().saturating_sub(retention),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<Box<str>, u64>> {
        self.entries.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn cutoff_ms(&self, subject: &str) -> Option<u64> {
        let cutoff = *self.read().get(subject)?;
        // An expired cut-off not yet pruned cannot refuse anything that has
        // not expired anyway; ignoring it keeps behaviour independent of
        // when pruning runs.
        (cutoff > self.horizon_ms()).then_some(cutoff)
    }

    /// Keeps the later of the known and the new cut-off; `true` when the
    /// table changed.
    pub(super) fn merge(&self, subject: &str, cutoff_ms: u64) -> bool {
        if cutoff_ms <= self.horizon_ms() {
            return false;
        }
        if self
            .read()
            .get(subject)
            .is_some_and(|&known| known >= cutoff_ms)
        {
            return false;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let known = entries.entry(subject.into()).or_insert(0);
        let raised = *known < cutoff_ms;
        *known = (*known).max(cutoff_ms);
        raised
    }

    pub(super) fn len(&self) -> usize {
        self.read().len()
    }

    /// The unexpired cut-offs `stored` (what Redis holds) lacks or holds
    /// lower: what a resync writes back.
    pub(super) fn missing_from(&self, stored: &HashMap<&str, u64>) -> Vec<(Box<str>, u64)> {
        let horizon = self.horizon_ms();
        self.read()
            .iter()
            .filter(|(subject, cutoff)| {
                **cutoff > horizon && stored.get(&***subject).is_none_or(|s| s < *cutoff)
            })
            .map(|(subject, cutoff)| (subject.clone(), *cutoff))
            .collect()
    }

    pub(super) fn prune(&self) {
        let horizon = self.horizon_ms();
        if horizon == 0 {
            return;
        }
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, cutoff| *cutoff > horizon);
    }

    /// Prunes when [`PRUNE_INTERVAL`] has passed (called by the listener
    /// thread, connected or not).
    pub(super) fn prune_if_due(&self) {
        let mut last = self
            .last_prune
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if last.elapsed() >= PRUNE_INTERVAL {
            self.prune();
            *last = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    const T0: u64 = 1_800_000_000_000;
    const DAY: Duration = Duration::from_secs(24 * 60 * 60);

    fn table(clock: &ManualClock) -> CutoffTable {
        CutoffTable::new(Arc::new(clock.clone()))
    }

    #[test]
    fn cutoffs_only_move_forward() {
        let clock = ManualClock::new(T0);
        let table = table(&clock);
        assert!(table.merge("ada", T0 - 10_000));
        assert!(!table.merge("ada", T0 - 500_000));
        assert_eq!(table.cutoff_ms("ada"), Some(T0 - 10_000));
        assert!(table.merge("ada", T0 - 5));
        assert_eq!(table.cutoff_ms("ada"), Some(T0 - 5));
    }

    #[test]
    fn nothing_expires_before_a_retention_is_registered() {
        let clock = ManualClock::new(T0);
        let table = table(&clock);
        table.merge("ada", T0);
        clock.advance(400 * DAY);
        table.prune();
        assert_eq!(table.retention(), None);
        assert_eq!(table.cutoff_ms("ada"), Some(T0));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn a_remember_me_retention_keeps_cutoffs_past_the_standard_timeout() {
        let clock = ManualClock::new(T0);
        let table = table(&clock);
        // What a config with remember_me(30 d, 90 d) registers.
        let ninety = 90 * DAY + Duration::from_secs(60);
        assert_eq!(table.retain_for(ninety), ninety);
        table.merge("ada", T0);
        // Day 8 to day 43 was the window in which the 7-day retention let a
        // revoked remember-me cookie back in.
        for day in [8, 43, 89] {
            clock.set(T0 + duration_ms(day * DAY));
            table.prune();
            assert_eq!(table.cutoff_ms("ada"), Some(T0), "day {day}");
        }
        clock.set(T0 + duration_ms(ninety) + 1);
        assert_eq!(table.cutoff_ms("ada"), None, "past every session's end");
        table.prune();
        assert_eq!(table.len(), 0);
        // Already past the horizon: not even stored.
        assert!(!table.merge("bob", T0));
    }

    #[test]
    fn a_registered_retention_never_shrinks_nor_goes_below_the_floor() {
        let clock = ManualClock::new(T0);
        let table = table(&clock);
        assert_eq!(table.retain_for(Duration::from_secs(60)), MIN_RETENTION);
        assert_eq!(table.retain_for(30 * DAY), 30 * DAY);
        assert_eq!(table.retain_for(DAY), 30 * DAY);
        assert_eq!(table.retention(), Some(30 * DAY));
    }

    #[test]
    fn missing_from_lists_what_redis_lacks_or_holds_lower() {
        let clock = ManualClock::new(T0);
        let table = table(&clock);
        table.merge("ada", T0);
        table.merge("bob", T0);
        table.merge("carol", T0);
        let stored: HashMap<&str, u64> = [("ada", T0), ("bob", T0 - 1000)].into();
        let mut missing = table.missing_from(&stored);
        missing.sort();
        assert_eq!(missing, vec![("bob".into(), T0), ("carol".into(), T0)]);
    }
}
