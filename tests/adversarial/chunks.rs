//! Chunk mixing (docs/wire-format.md, "Chunked sessions"): chunks of two
//! sessions, reordered, duplicated, missing, tampered, truncated, or split
//! another way with their hashes recomputed, are refused with the right
//! reason, through `load_cookies` (a chunked session has no single value to
//! `decode`). The chunk framing is not part of the reference decoder, so
//! each case's reason is the one the category fixes.

use std::fmt::Debug;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use session_runtime::{BoundedString, CookieSession, LoadStatus, ManualClock, SessionConfig};
use session_tests::{config_on, T0_MS};
use sha2::{Digest, Sha256};

use crate::report::Report;

/// A signed session over up to three cookies.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-chunked", version = 1, chunks = 3)]
pub struct Chunked3 {
    pub user: Option<u64>,
    pub note: BoundedString<8000>,
}

/// The same, encrypted.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-chunkenc", version = 1, chunks = 3, encrypted)]
pub struct ChunkedEnc3 {
    pub user: Option<u64>,
    pub note: BoundedString<8000>,
}

/// A whole cookie set: `(name, raw bytes)` per chunk, in order.
type Set = Vec<(String, Vec<u8>)>;

fn cookie_set<T: CookieSession>(config: &SessionConfig<T>, data: T) -> Set {
    let mut session = config.load_cookies([]);
    session.set(data);
    config
        .set_cookies(&session)
        .unwrap()
        .iter()
        .map(|cookie| {
            let pair = cookie.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            (name.to_owned(), URL_SAFE_NO_PAD.decode(value).unwrap())
        })
        .collect()
}

fn header(set: &[(String, Vec<u8>)]) -> String {
    set.iter()
        .map(|(name, raw)| format!("{name}={}", URL_SAFE_NO_PAD.encode(raw)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The piece hash docs/wire-format.md specifies, computed here independently.
fn piece_hash(index: u8, piece: &[u8]) -> [u8; 16] {
    let mut hasher = Sha256::new();
    hasher.update(b"session-runtime/v2/chunk\0");
    hasher.update([index]);
    hasher.update(piece);
    hasher.finalize()[..16].try_into().unwrap()
}

/// One case: the header must load as a fresh session refused for `expected`.
fn case<T: CookieSession + Debug>(
    report: &mut Report,
    config: &SessionConfig<T>,
    label: &str,
    category: &str,
    header: &str,
    expected: &'static str,
) {
    let session = config.load_cookies([header.as_bytes()]);
    let outcome = match session.status() {
        LoadStatus::Rejected(reason) if session.is_new() && reason.kind() == expected => {
            Ok((expected, true))
        }
        other => Err(format!("expected {expected}, got {other:?}")),
    };
    report.record(label, category, header.as_bytes(), outcome);
}

fn run<T: CookieSession + Clone + PartialEq + Debug>(label: &str, big: fn(&str) -> T) {
    let clock = ManualClock::new(T0_MS);
    let config = config_on::<T>(1, &clock);
    let mut report = Report::new(&format!("{label} (chunked, 3 cookies)"));
    let a = cookie_set(&config, big("a"));
    clock.advance(std::time::Duration::from_secs(1));
    let b = cookie_set(&config, big("b"));
    assert_eq!((a.len(), b.len()), (3, 3));
    // The genuine set loads.
    assert_eq!(
        config.load_cookies([header(&a).as_bytes()]).status(),
        &LoadStatus::Valid
    );

    let cat = "chunk of another session";
    for index in 1..3 {
        let mut mixed = a.clone();
        mixed[index].1 = b[index].1.clone();
        case(
            &mut report,
            &config,
            label,
            cat,
            &header(&mixed),
            "chunk_missing",
        );
    }
    let mut mixed = b.clone();
    mixed[0] = a[0].clone();
    case(
        &mut report,
        &config,
        label,
        cat,
        &header(&mixed),
        "chunk_missing",
    );
    report.note(
        cat,
        "chunk 1 or 2 from session b; chunk 0 of a with b's later chunks",
    );

    let cat = "chunks reordered or duplicated";
    let mut swapped = a.clone();
    let (one, two) = (a[1].1.clone(), a[2].1.clone());
    swapped[1].1 = two.clone();
    swapped[2].1 = one.clone();
    case(
        &mut report,
        &config,
        label,
        cat,
        &header(&swapped),
        "chunk_missing",
    );
    let mut doubled = a.clone();
    doubled[1].1 = two;
    case(
        &mut report,
        &config,
        label,
        cat,
        &header(&doubled),
        "chunk_missing",
    );
    let mut doubled = a.clone();
    doubled[2].1 = one;
    case(
        &mut report,
        &config,
        label,
        cat,
        &header(&doubled),
        "chunk_missing",
    );

    let cat = "chunk missing";
    for index in 1..3 {
        let mut short = a.clone();
        short.remove(index);
        case(
            &mut report,
            &config,
            label,
            cat,
            &header(&short),
            "chunk_missing",
        );
    }

    let cat = "later chunk tampered";
    for index in 1..3 {
        for at in [0, a[index].1.len() / 2, a[index].1.len() - 1] {
            let mut flipped = a.clone();
            flipped[index].1[at] ^= 0x01;
            case(
                &mut report,
                &config,
                label,
                cat,
                &header(&flipped),
                "chunk_missing",
            );
        }
        let mut cut = a.clone();
        cut[index].1.pop();
        case(
            &mut report,
            &config,
            label,
            cat,
            &header(&cut),
            "chunk_missing",
        );
        let mut longer = a.clone();
        longer[index].1.push(0);
        case(
            &mut report,
            &config,
            label,
            cat,
            &header(&longer),
            "chunk_missing",
        );
    }
    report.note(
        cat,
        "a bit of a later chunk's first, middle and last byte; one byte less or more",
    );

    let cat = "framing tampered";
    for count in [0u8, 4, 9, 0xff] {
        let mut framed = a.clone();
        framed[0].1[0] = count;
        case(
            &mut report,
            &config,
            label,
            cat,
            &header(&framed),
            "chunk_framing",
        );
    }
    for at in [1, 16, 17, 32] {
        let mut framed = a.clone();
        framed[0].1[at] ^= 0x80;
        case(
            &mut report,
            &config,
            label,
            cat,
            &header(&framed),
            "chunk_missing",
        );
    }
    // Claiming two chunks: chunk 0's piece then starts 16 bytes earlier, so
    // the header is read from the last hash: no known key.
    let mut two = a.clone();
    two[0].1[0] = 2;
    case(
        &mut report,
        &config,
        label,
        cat,
        &header(&two),
        "unknown_format",
    );
    report.note(
        cat,
        "count 0, 4, 9, 255; a bit of each hash; count 2 for a 3-chunk set",
    );

    let cat = "first chunk tampered";
    let start = 1 + 2 * 16;
    for at in [start + 20, a[0].1.len() - 1] {
        let mut flipped = a.clone();
        flipped[0].1[at] ^= 0x01;
        case(
            &mut report,
            &config,
            label,
            cat,
            &header(&flipped),
            "bad_signature",
        );
    }
    report.note(
        cat,
        "a payload bit in chunk 0 (the hashes cover only later chunks; the MAC covers all)",
    );

    let cat = "hashes recomputed for other pieces";
    // An attacker who rewrites chunk 0's hashes to select session b's later
    // pieces: the selection succeeds, the MAC over the whole envelope fails.
    let mut forged = a.clone();
    forged[1].1 = b[1].1.clone();
    forged[2].1 = b[2].1.clone();
    forged[0].1[1..17].copy_from_slice(&piece_hash(1, &b[1].1));
    forged[0].1[17..33].copy_from_slice(&piece_hash(2, &b[2].1));
    case(
        &mut report,
        &config,
        label,
        cat,
        &header(&forged),
        "bad_signature",
    );

    let cat = "split another way";
    // The same envelope, one byte moved from chunk 1 to chunk 2, hashes
    // recomputed: not the canonical split.
    let mut resplit = a.clone();
    let moved = resplit[1].1.pop().unwrap();
    resplit[2].1.insert(0, moved);
    let (one, two) = (piece_hash(1, &resplit[1].1), piece_hash(2, &resplit[2].1));
    resplit[0].1[1..17].copy_from_slice(&one);
    resplit[0].1[17..33].copy_from_slice(&two);
    case(
        &mut report,
        &config,
        label,
        cat,
        &header(&resplit),
        "chunk_layout",
    );
    // Every boundary one byte earlier: chunk 0 one byte short, chunk 1 as
    // long as before, chunk 2 one byte longer.
    let mut resplit = a.clone();
    let from_first = resplit[0].1.pop().unwrap();
    resplit[1].1.insert(0, from_first);
    let from_second = resplit[1].1.pop().unwrap();
    resplit[2].1.insert(0, from_second);
    let (one, two) = (piece_hash(1, &resplit[1].1), piece_hash(2, &resplit[2].1));
    resplit[0].1[1..17].copy_from_slice(&one);
    resplit[0].1[17..33].copy_from_slice(&two);
    case(
        &mut report,
        &config,
        label,
        cat,
        &header(&resplit),
        "chunk_layout",
    );

    report.finish();
}

#[test]
fn chunked_sessions_reject_every_mixed_set() {
    run::<Chunked3>("Chunked3", |fill| Chunked3 {
        user: Some(1),
        note: BoundedString::truncating(&fill.repeat(8000)),
    });
}

#[test]
fn encrypted_chunked_sessions_reject_every_mixed_set() {
    run::<ChunkedEnc3>("ChunkedEnc3", |fill| ChunkedEnc3 {
        user: Some(1),
        note: BoundedString::truncating(&fill.repeat(8000)),
    });
}
