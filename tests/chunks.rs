//! Chunked sessions (docs/wire-format.md, "Chunked sessions"): a session
//! larger than one cookie is spread over up to N cookies with framing under
//! the MAC; every chunk fits the browser limit, shrinking deletes the stale
//! chunks, and concurrent responses can never leave a mixed set that
//! verifies.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use session_runtime::limits::BROWSER_COOKIE_LIMIT;
use session_runtime::{
    BoundedString, CookieSession, LoadStatus, ManualClock, Rejection, Session, SessionConfig,
    WriteReason,
};
use session_tests::{config_on, T0_MS};

/// Up to three cookies: a note of up to 8000 bytes.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-big", version = 1, chunks = 3)]
pub struct Big {
    pub user: Option<u64>,
    pub note: BoundedString<8000>,
}

/// The same, encrypted.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-vault", version = 1, chunks = 3, encrypted)]
pub struct BigSecret {
    pub user: Option<u64>,
    pub note: BoundedString<8000>,
}

fn big(note_len: usize) -> Big {
    Big {
        user: Some(7),
        note: BoundedString::truncating(&"n".repeat(note_len)),
    }
}

/// The `name=value` pairs a session's `Set-Cookie`s carry, and the names they
/// expire.
fn split(set_cookies: &[String]) -> (Vec<(String, String)>, Vec<String>) {
    let mut kept = Vec::new();
    let mut expired = Vec::new();
    for cookie in set_cookies {
        let pair = cookie.split(';').next().unwrap();
        let (name, value) = pair.split_once('=').unwrap();
        if cookie.contains("; Max-Age=0;") {
            expired.push(name.to_owned());
        } else {
            kept.push((name.to_owned(), value.to_owned()));
        }
    }
    (kept, expired)
}

/// A browser jar: applies `Set-Cookie`s in order.
fn apply(jar: &mut BTreeMap<String, String>, set_cookies: &[String]) {
    let (kept, expired) = split(set_cookies);
    for name in expired {
        jar.remove(&name);
    }
    for (name, value) in kept {
        jar.insert(name, value);
    }
}

fn header(jar: &BTreeMap<String, String>) -> String {
    jar.iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn write<T: CookieSession>(config: &SessionConfig<T>, data: T) -> Vec<String> {
    let mut session = config.load_cookies([]);
    session.set(data);
    config.set_cookies(&session).unwrap()
}

fn load<T: CookieSession>(config: &SessionConfig<T>, jar: &BTreeMap<String, String>) -> Session<T> {
    config.load_cookies([header(jar).as_bytes()])
}

#[test]
fn a_session_uses_as_many_cookies_as_it_needs_each_within_the_browser_limit() {
    let clock = ManualClock::new(T0_MS);
    let config = config_on::<Big>(1, &clock);
    const { assert!(Big::CHUNKS == 3) };
    const { assert!(Big::MAX_COOKIE_LEN <= BROWSER_COOKIE_LIMIT) };
    const { assert!(Big::MAX_TOTAL_LEN > BROWSER_COOKIE_LIMIT) };
    for (note_len, chunks) in [
        (0, 1),
        (2900, 1),
        (3100, 2),
        (6000, 2),
        (6200, 3),
        (8000, 3),
    ] {
        let cookies = write(&config, big(note_len));
        let (kept, expired) = split(&cookies);
        assert!(expired.is_empty());
        let names: Vec<&str> = kept.iter().map(|(name, _)| name.as_str()).collect();
        let expected = ["__Host-big", "__Host-big.1", "__Host-big.2"];
        assert_eq!(names, expected[..chunks], "note of {note_len} bytes");
        let mut total = 0;
        for (name, value) in &kept {
            let len = name.len() + value.len();
            assert!(len <= Big::MAX_COOKIE_LEN, "{name}: {len}");
            total += len;
        }
        assert!(total <= Big::MAX_TOTAL_LEN);
        // Every chunk carries the session's attributes.
        for cookie in &cookies {
            assert!(
                cookie.ends_with("; Path=/; Secure; HttpOnly; SameSite=Lax"),
                "{cookie}"
            );
        }
        let mut jar = BTreeMap::new();
        apply(&mut jar, &cookies);
        let loaded = load(&config, &jar);
        assert_eq!(
            loaded.status(),
            &LoadStatus::Valid,
            "note of {note_len} bytes"
        );
        assert_eq!(*loaded, big(note_len));
    }
    // The largest session fills the first chunk to the budget.
    let (kept, _) = split(&write(&config, big(8000)));
    assert_eq!(kept[0].0.len() + kept[0].1.len(), Big::MAX_COOKIE_LEN);
}

#[test]
fn encrypted_sessions_chunk_too() {
    let clock = ManualClock::new(T0_MS);
    let config = config_on::<BigSecret>(1, &clock);
    let data = BigSecret {
        user: Some(9),
        note: BoundedString::truncating(&"s".repeat(7000)),
    };
    let cookies = write(&config, data.clone());
    assert_eq!(split(&cookies).0.len(), 3);
    let mut jar = BTreeMap::new();
    apply(&mut jar, &cookies);
    assert_eq!(*load(&config, &jar), data);
    // A signed chunked cookie set is not an encrypted one.
    let signed = config_on::<Big>(1, &clock);
    let mut jar = BTreeMap::new();
    apply(&mut jar, &write(&signed, big(7000)));
    let renamed: BTreeMap<String, String> = jar
        .into_iter()
        .map(|(name, value)| (name.replace("__Host-big", "__Host-vault"), value))
        .collect();
    let refused = load(&config, &renamed);
    assert!(refused.is_new(), "{:?}", refused.status());
}

#[test]
fn shrinking_and_clearing_expire_the_chunks_no_longer_used() {
    let clock = ManualClock::new(T0_MS);
    let config = config_on::<Big>(1, &clock);
    let mut jar = BTreeMap::new();
    apply(&mut jar, &write(&config, big(8000)));
    assert_eq!(jar.len(), 3);

    let mut session = load(&config, &jar);
    session.set_note(BoundedString::truncating("short"));
    let cookies = config.set_cookies(&session).unwrap();
    let (kept, expired) = split(&cookies);
    assert_eq!(kept.len(), 1);
    assert_eq!(expired, ["__Host-big.1", "__Host-big.2"]);
    apply(&mut jar, &cookies);
    assert_eq!(jar.len(), 1);
    assert_eq!(load(&config, &jar).note().as_str(), "short");

    // Growing back, then logging out: every chunk the request carried goes.
    let mut session = load(&config, &jar);
    session.set_note(BoundedString::truncating(&"g".repeat(4000)));
    apply(&mut jar, &config.set_cookies(&session).unwrap());
    assert_eq!(jar.len(), 2);
    let mut session = load(&config, &jar);
    session.clear();
    let (kept, expired) = split(&config.set_cookies(&session).unwrap());
    assert!(kept.is_empty());
    assert_eq!(expired, ["__Host-big", "__Host-big.1"]);
}

#[test]
fn a_leftover_chunk_of_a_larger_session_is_ignored() {
    let clock = ManualClock::new(T0_MS);
    let config = config_on::<Big>(1, &clock);
    let mut jar = BTreeMap::new();
    apply(&mut jar, &write(&config, big(8000)));
    let leftover = jar["__Host-big.2"].clone();
    clock.advance(std::time::Duration::from_secs(2));
    // A later two-chunk session written without seeing the old cookies
    // (another browser tab, say): chunk 2 of the old one stays behind.
    let mut two = BTreeMap::new();
    apply(&mut two, &write(&config, big(5000)));
    two.insert("__Host-big.2".to_owned(), leftover);
    let loaded = load(&config, &two);
    assert_eq!(loaded.status(), &LoadStatus::Valid);
    assert_eq!(*loaded, big(5000));
    // Its next write expires it.
    let mut session = loaded;
    session.set_user(Some(8));
    let (_, expired) = split(&config.set_cookies(&session).unwrap());
    assert_eq!(expired, ["__Host-big.2"]);
}

/// The chunked store writes only when a write is due (docs/lifecycle.md,
/// "Store"): a loaded session left alone, or set back to its own data, sends
/// no `Set-Cookie` at all; once the refresh interval has passed (the
/// default: 1 h, under the 24 h idle timeout) an untouched session is
/// re-issued, every chunk it uses, and nothing is expired.
#[test]
fn a_chunked_session_is_written_only_when_a_write_is_due() {
    for (note_len, chunks) in [(5000, 2), (8000, 3)] {
        let clock = ManualClock::new(T0_MS);
        let config = config_on::<Big>(1, &clock);
        let mut jar = BTreeMap::new();
        apply(&mut jar, &write(&config, big(note_len)));
        assert_eq!(jar.len(), chunks);

        let untouched = load(&config, &jar);
        assert_eq!(untouched.status(), &LoadStatus::Valid);
        assert_eq!(untouched.pending_write(), None);
        assert_eq!(
            config.set_cookies(&untouched).unwrap(),
            Vec::<String>::new()
        );

        // Set to a copy of its own data, and changed then changed back.
        let mut same = load(&config, &jar);
        let data = (*same).clone();
        same.set(data);
        assert!(
            config.set_cookies(&same).unwrap().is_empty(),
            "{chunks} chunks: set to itself"
        );
        let mut back = load(&config, &jar);
        let note = back.note().clone();
        back.set_note(BoundedString::truncating("other"));
        back.set_user(Some(8));
        back.set_note(note);
        back.set_user(Some(7));
        assert!(
            config.set_cookies(&back).unwrap().is_empty(),
            "{chunks} chunks: changed back"
        );

        // One second before the refresh point: still nothing.
        clock.advance(Duration::from_secs(3599));
        let early = load(&config, &jar);
        assert_eq!(early.status(), &LoadStatus::Valid);
        assert!(
            config.set_cookies(&early).unwrap().is_empty(),
            "{chunks} chunks: before refresh"
        );

        // At the refresh point: every chunk again, with fresh values.
        clock.advance(Duration::from_secs(1));
        let due = load(&config, &jar);
        assert_eq!(due.pending_write(), Some(WriteReason::Refreshed));
        let cookies = config.set_cookies(&due).unwrap();
        let (kept, expired) = split(&cookies);
        assert!(expired.is_empty(), "{chunks} chunks: {expired:?}");
        let names: Vec<&str> = kept.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            ["__Host-big", "__Host-big.1", "__Host-big.2"][..chunks]
        );
        // The first cookie carries the new stamp and MAC (a later chunk is
        // payload bytes only, so it may be re-sent unchanged).
        assert!(
            kept[0].1 != jar["__Host-big"],
            "{chunks} chunks: same stamp"
        );
        // The refreshed set loads whole, and keeps the idle timeout rolling:
        // it is still valid after the first set's idle timeout has passed.
        apply(&mut jar, &cookies);
        clock.advance(config.idle_timeout() - Duration::from_secs(60));
        let later = load(&config, &jar);
        assert_eq!(later.status(), &LoadStatus::Valid, "{chunks} chunks");
        assert_eq!(*later, big(note_len));
    }
}

/// Two concurrent responses, each with a whole cookie set for its own
/// session; the browser applies their `Set-Cookie` headers in any
/// interleaving. Whatever it ends with loads as one of the two sessions
/// whole, or as a fresh session (`ChunkMissing`): never a mix that verifies.
#[test]
fn concurrent_responses_never_leave_a_mixed_set_that_verifies() {
    let clock = ManualClock::new(T0_MS);
    let config = config_on::<Big>(1, &clock);
    let mut start = BTreeMap::new();
    apply(&mut start, &write(&config, big(8000)));
    let mut tab_a = load(&config, &start);
    let mut tab_b = load(&config, &start);
    tab_a.set_note(BoundedString::truncating(&"a".repeat(7500)));
    tab_b.set_note(BoundedString::truncating(&"b".repeat(7000)));
    let a = config.set_cookies(&tab_a).unwrap();
    let b = config.set_cookies(&tab_b).unwrap();
    assert_eq!((a.len(), b.len()), (3, 3));
    let mut outcomes = BTreeMap::new();
    // Every interleaving of the two responses' headers (20 of them).
    for mask in 0u32..(1 << 6) {
        if mask.count_ones() != 3 {
            continue;
        }
        let (mut next_a, mut next_b) = (0, 0);
        let mut jar = start.clone();
        for slot in 0..6 {
            if mask & 1 << slot != 0 {
                apply(&mut jar, &a[next_a..=next_a]);
                next_a += 1;
            } else {
                apply(&mut jar, &b[next_b..=next_b]);
                next_b += 1;
            }
        }
        let loaded = load(&config, &jar);
        let outcome = match loaded.status() {
            LoadStatus::Valid if *loaded == *tab_a => "a",
            LoadStatus::Valid if *loaded == *tab_b => "b",
            LoadStatus::Rejected(Rejection::ChunkMissing { .. }) => "fresh",
            other => panic!("mixed or unexpected: {other:?} {:?}", loaded.note().len()),
        };
        *outcomes.entry(outcome).or_insert(0) += 1;
    }
    // The last writer wins when its chunks all land last; otherwise fresh.
    assert_eq!(outcomes.values().sum::<usize>(), 20);
    assert!(
        outcomes["a"] >= 1 && outcomes["b"] >= 1 && outcomes["fresh"] >= 1,
        "{outcomes:?}"
    );
}

/// Planted junk cannot hide the genuine chunks: forged first cookies before
/// it, and junk later chunks before each real one, up to 31 cookies of each
/// name before the genuine one (32 of a name are examined).
#[test]
fn planted_junk_cannot_hide_a_chunked_session() {
    let clock = ManualClock::new(T0_MS);
    let config = config_on::<Big>(1, &clock);
    let other = config_on::<Big>(2, &clock);
    let mut jar = BTreeMap::new();
    apply(&mut jar, &write(&config, big(8000)));
    let mut forged = BTreeMap::new();
    apply(&mut forged, &write(&other, big(8000)));
    let mut parts = Vec::new();
    for i in 0..16 {
        let _ = i;
        parts.push(format!("__Host-big={}", forged["__Host-big"]));
    }
    for name in ["__Host-big.1", "__Host-big.2"] {
        for _ in 0..15 {
            parts.push(format!("{name}={}", forged[name]));
            parts.push(format!("{name}=junk"));
        }
        parts.push(format!("{name}=x"));
    }
    parts.push(header(&jar));
    let header = parts.join("; ");
    let loaded = config.load_cookies([header.as_bytes()]);
    assert_eq!(loaded.status(), &LoadStatus::Valid);
    assert_eq!(*loaded, big(8000));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The real cookies never exceed the compile-time bounds.
    #[test]
    fn real_lengths_stay_under_the_computed_maxima(len in 0usize..=8000, user in any::<Option<u64>>()) {
        let clock = ManualClock::new(T0_MS);
        let config = config_on::<Big>(1, &clock);
        let data = Big { user, note: BoundedString::truncating(&"é".repeat(len / 2)) };
        let cookies = write(&config, data.clone());
        let (kept, _) = split(&cookies);
        let mut total = 0;
        for (name, value) in &kept {
            prop_assert!(name.len() + value.len() <= Big::MAX_COOKIE_LEN);
            total += name.len() + value.len();
        }
        prop_assert!(total <= Big::MAX_TOTAL_LEN);
        let mut jar = BTreeMap::new();
        apply(&mut jar, &cookies);
        prop_assert_eq!(&*load(&config, &jar), &data);
    }
}
