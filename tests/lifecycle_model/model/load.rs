//! docs/lifecycle.md, "Load": which candidate decides, and the state the
//! request starts from.

use std::collections::HashMap;
use std::sync::OnceLock;

use session_runtime::CookieSession as _;
use session_tests::reference::{self, Forger, Header, Mode};

use super::{Config, Data, KeyRole, Origin, Start, State, Status, Tokens, WireData};
use crate::app::ModelSession;
use crate::spec::{Life, POOL};

/// `limits::MAX_CANDIDATE_COOKIES`, as the page states it.
pub const MAX_CANDIDATES: usize = 32;
/// `limits::MAX_VERIFIED_CANDIDATES`, as the page states it.
pub const MAX_VERIFIED: usize = 20;

/// The pool's secrets: `session_tests::secret(11 + index)`.
pub fn pool_secret(index: usize) -> [u8; 32] {
    session_tests::secret(11 + u8::try_from(index).expect("small pool"))
}

/// The reference forgers (subkeys and key ids) of the pool keys.
pub fn pool() -> &'static [Forger; POOL] {
    static POOL_FORGERS: OnceLock<[Forger; POOL]> = OnceLock::new();
    POOL_FORGERS.get_or_init(|| {
        let forgers = core::array::from_fn(|index| Forger::new(&pool_secret(index)));
        let ids: Vec<_> = forgers.iter().map(|f: &Forger| f.key_id).collect();
        for (index, id) in ids.iter().enumerate() {
            // One id per key: the model assumes a cookie names one key.
            assert!(!ids[..index].contains(id), "pool key ids collide");
        }
        forgers
    })
}

/// The longest value a cookie of the session type can have
/// (docs/wire-format.md, decode step 1).
pub fn max_value_len() -> usize {
    ModelSession::MAX_COOKIE_LEN - ModelSession::NAME.len()
}

/// Reads a cookie value with the given keys through the reference decoder,
/// steps 1 to 6: the header and payload, or the rejection kind.
pub fn open(value: &str, keys: &[Forger]) -> Result<(Header, Vec<u8>), &'static str> {
    reference::open(
        value.as_bytes(),
        max_value_len(),
        Mode::Signed,
        ModelSession::NAME,
        keys,
        |version| (version == ModelSession::VERSION).then_some(ModelSession::SCHEMA_FINGERPRINT),
    )
}

/// The rejection kinds of the checks before the MAC: they cost no MAC check.
const BEFORE_MAC: [&str; 6] = [
    "too_long",
    "not_base64",
    "truncated",
    "unknown_format",
    "unknown_key",
    "wrong_version",
];

/// An authentic candidate's rank: `(created, start_seq, issued)`.
type Rank = (u32, u8, u32);

/// An authentic candidate after the checks after the MAC: the session, or
/// the rejection kind.
type Verdict = Result<Origin, &'static str>;

/// Loads the request's candidates (`Cookie` values of the session's name,
/// in header order) at `now_ms` (steps 1 to 5 of "Load").
pub fn load(
    config: &Config,
    now_ms: u64,
    candidates: &[String],
    cutoffs: &HashMap<u32, u32>,
    tokens: &mut Tokens,
) -> State {
    let configured: Vec<(usize, KeyRole)> = (0..POOL)
        .filter_map(|index| KeyRole::of(&config.keys, index).map(|role| (index, role)))
        .collect();
    let forgers: Vec<Forger> = configured
        .iter()
        .map(|(index, _)| pool()[*index].clone())
        .collect();
    let mut mac_checks = 0;
    let mut first_forged = None;
    let mut latest: Option<Start> = None;
    // The deciding candidate so far: rank and verdict.
    let mut best: Option<(Rank, Verdict)> = None;
    for value in candidates.iter().take(MAX_CANDIDATES) {
        let opened = open(value, &forgers);
        if let Err(kind) = opened {
            if BEFORE_MAC.contains(&kind) {
                first_forged.get_or_insert(kind);
                continue;
            }
        }
        // It reaches the MAC check, if the budget allows one.
        if mac_checks == MAX_VERIFIED {
            continue;
        }
        mac_checks += 1;
        let (header, payload) = match opened {
            Err(kind) => {
                first_forged.get_or_insert(kind);
                continue;
            }
            Ok(authentic) => authentic,
        };
        let start = Start {
            created: header.created,
            seq: header.start_seq,
        };
        latest = latest.max(Some(start));
        let rank = (header.created, header.start_seq, header.issued);
        // Ties go to the earlier candidate: only a strictly higher rank
        // replaces it.
        if best
            .as_ref()
            .is_some_and(|(best_rank, _)| rank <= *best_rank)
        {
            continue;
        }
        let key = (0..POOL)
            .find(|&index| pool()[index].key_id == header.key_id)
            .expect("an authentic cookie names a pool key");
        let role = configured
            .iter()
            .find(|(index, _)| *index == key)
            .map(|(_, role)| *role)
            .expect("verified by a configured key");
        let verdict =
            after_mac(config, now_ms, &header, &payload, cutoffs, tokens).map(|data| Origin {
                start,
                issued: header.issued,
                life: Life::from_byte(header.lifetime).expect("checked"),
                key,
                role,
                data,
            });
        best = Some((rank, verdict));
    }
    match best {
        Some((_, Ok(origin))) => State {
            data: origin.data.clone(),
            status: if origin.role == KeyRole::Verify {
                Status::ValidVerifyKey
            } else {
                Status::Valid
            },
            origin: Some(origin),
            latest,
            choice: None,
            changed: false,
            renewed: false,
            cleared: false,
        },
        Some((_, Err(kind))) => State::fresh(Status::Rejected(kind), latest),
        None => State::fresh(first_forged.map_or(Status::Missing, Status::Rejected), None),
    }
}

/// The checks after the MAC: lifetime declared, time checks, payload, the
/// synchronous revocation check (the tests' check: a user's sessions that
/// started before the user's cut-off are revoked).
fn after_mac(
    config: &Config,
    now_ms: u64,
    header: &Header,
    payload: &[u8],
    cutoffs: &HashMap<u32, u32>,
    tokens: &mut Tokens,
) -> Result<Data, &'static str> {
    let timeouts = Life::from_byte(header.lifetime)
        .and_then(|life| config.timeouts(life))
        .ok_or("unknown_lifetime")?;
    time_checks(header, now_ms, timeouts.idle, timeouts.absolute)?;
    let wire: WireData = reference::decode_payload(payload).ok_or("payload")?;
    let revoked = wire
        .user
        .and_then(|user| cutoffs.get(&user))
        .is_some_and(|&cutoff| header.created < cutoff);
    if revoked {
        return Err("revoked");
    }
    Ok(Data {
        user: wire.user,
        counter: wire.counter,
        flash: wire.flash,
        csrf: tokens.intern(wire.csrf),
    })
}

/// "Time checks" of docs/lifecycle.md: milliseconds, `now` not rounded,
/// the header's times at the start of their second (`idle`, `absolute`,
/// the skew in seconds); a difference that would be negative counts as
/// zero.
pub fn time_checks(
    header: &Header,
    now_ms: u64,
    idle: u64,
    absolute: u64,
) -> Result<(), &'static str> {
    let now = now_ms;
    let (created, issued) = (header.created_ms(), header.issued_ms());
    if issued > now + super::SKEW * 1000 {
        return Err("issued_in_future");
    }
    if created > issued {
        return Err("inconsistent_timestamps");
    }
    if now.saturating_sub(created) > absolute * 1000 {
        return Err("absolute_expired");
    }
    if now.saturating_sub(issued) > idle * 1000 {
        return Err("idle_expired");
    }
    Ok(())
}
