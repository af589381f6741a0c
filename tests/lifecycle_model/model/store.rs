//! docs/lifecycle.md, "Store: what the response carries" and "Starts and
//! keys".

use super::{wire_secs, Config, Cookie, KeyRole, Start, State, Status, Written};

/// The pending write (the first row of the table that applies).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pending {
    /// Row 1.
    Renewed,
    /// Row 2.
    Changed,
    /// Row 3.
    Cleared,
    /// Row 5 (row 4, `Migrated`, needs `migrate_from`, which the tests'
    /// session does not declare).
    Rekeyed,
    /// Row 6.
    Refreshed,
}

/// Whether the origin is due a refresh: `now - issued >= refresh` of its
/// lifetime (a negative difference, a cookie issued ahead of the clock, is
/// not due).
pub fn refresh_due(state: &State, config: &Config, now_ms: u64) -> bool {
    let now = wire_secs(now_ms);
    state.origin.as_ref().is_some_and(|origin| {
        let refresh = config
            .timeouts(origin.life)
            .expect("an accepted cookie's lifetime is declared")
            .refresh;
        u64::from(now.saturating_sub(origin.issued)) >= refresh
    })
}

/// The pending write of the final state, if any.
pub fn pending(state: &State, config: &Config, now_ms: u64) -> Option<Pending> {
    if state.renewed {
        Some(Pending::Renewed)
    } else if state.changed {
        Some(Pending::Changed)
    } else if state.cleared {
        Some(Pending::Cleared)
    } else if state.status == Status::ValidVerifyKey {
        Some(Pending::Rekeyed)
    } else if refresh_due(state, config, now_ms) {
        Some(Pending::Refreshed)
    } else {
        None
    }
}

/// What the response carries for the final state.
pub fn store(state: &State, config: &Config, now_ms: u64) -> Cookie {
    let Some(pending) = pending(state, config, now_ms) else {
        return Cookie::None;
    };
    match pending {
        Pending::Cleared => Cookie::Expire,
        Pending::Renewed => Cookie::Write(written(state, config, now_ms, true)),
        Pending::Rekeyed | Pending::Refreshed => {
            Cookie::Write(written(state, config, now_ms, false))
        }
        Pending::Changed if !state.continues() => {
            let default_like = state.data == super::Data::default()
                && state.effective_life(config) == config.default_life;
            match (default_like, state.cleared) {
                (true, true) => Cookie::Expire,
                (true, false) => Cookie::None,
                (false, _) => Cookie::Write(written(state, config, now_ms, true)),
            }
        }
        Pending::Changed => {
            let origin = state.origin.as_ref().expect("it continues");
            let unchanged = state.status == Status::Valid
                && !refresh_due(state, config, now_ms)
                && state.effective_life(config) == origin.life
                && state.data == origin.data;
            if unchanged {
                Cookie::None
            } else {
                Cookie::Write(written(state, config, now_ms, false))
            }
        }
    }
}

/// The fields of the cookie written for `state`, with a new start or the
/// origin's.
fn written(state: &State, config: &Config, now_ms: u64, new_start: bool) -> Written {
    let now = wire_secs(now_ms);
    let start = if new_start {
        // "let L be the latest start seen (the origin's start counts)".
        let origin_start = state.origin.as_ref().map(|origin| origin.start);
        match state.latest.max(origin_start) {
            Some(latest) if latest.created >= now => {
                if latest.seq == 63 {
                    Start {
                        created: latest.created + 1,
                        seq: 0,
                    }
                } else {
                    Start {
                        created: latest.created,
                        seq: latest.seq + 1,
                    }
                }
            }
            _ => Start {
                created: now,
                seq: 0,
            },
        }
    } else {
        state.origin.as_ref().expect("kept from the origin").start
    };
    let issued = now.max(start.created);
    let life = state.effective_life(config);
    let key = match &state.origin {
        Some(origin) if origin.role != KeyRole::Verify => origin.key,
        _ => config.keys.sign,
    };
    let timeouts = config
        .timeouts(life)
        .expect("only declared lifetimes are chosen or accepted");
    let max_age = life.persistent().then(|| {
        let to_absolute = i64::from(start.created)
            + i64::try_from(timeouts.absolute).expect("small")
            - i64::from(issued);
        to_absolute
            .min(i64::try_from(timeouts.idle).expect("small"))
            .max(0)
    });
    Written {
        start,
        issued,
        life,
        key,
        max_age,
        data: state.data.clone(),
    }
}
