//! Adversarial suite: for several session shapes, signed and encrypted,
//! every mutation of a valid cookie an attacker can make is rejected, and with
//! the RIGHT reason.
//!
//! One mutation catalogue ([`catalogue`]) runs on every shape. Each case is
//! checked three ways ([`ctx::check`]):
//! 1. `SessionConfig::decode` must refuse it;
//! 2. an independent reference decoder written from `docs/wire-format.md`
//!    (`session_tests::reference`: its own strict base64url decoder, its own
//!    HKDF subkeys, HMAC tag and AES-256-GCM-SIV sealing, the documented check
//!    order) must name the same `Rejection::kind()`;
//! 3. where the category fixes the reason (a flipped format byte is
//!    `unknown_format`, ...), that reason is asserted too.
//!
//! Through `load_cookies`, the same value (when it survives the
//! `Cookie` header syntax) must give a fresh default session carrying the same
//! rejection.
//!
//! Every test prints a table `category | cases | rejected | reasons` to stderr
//! (visible with `cargo test --test adversarial -- --nocapture`) and writes it
//! to `$CARGO_TARGET_TMPDIR/adversarial/<shape>.md`. `docs/adversarial.md`
//! records the figures.
//!
//! Modules: `report` (counting and tables), `ctx` (a configuration under
//! attack and the three-way check), `catalogue` (the mutations), `names`
//! (cookies of changed structs and of other cookie names), `planted` (several
//! cookies of one name, huge headers); the shapes are here.

mod catalogue;
mod chunks;
mod ctx;
mod names;
mod planted;
mod report;

use std::fmt::Debug;

use serde::{Deserialize, Serialize};
use session_runtime::{BoundedString, BoundedVec, CookieSession, LoadStatus};
use session_tests::reference::{b64, reference_base64, varint, varint_too_long, FORMAT_SIGNED};
use session_tests::{config_on, issue, shop_sample, AppSession, AtBudget, Tiny};

use catalogue::{run_catalogue, Hostile, OlderHostile};
use ctx::{decodes_as, Ctx, Older};

/// The catalogue against one shape, its table printed and checked.
fn run_suite<T: CookieSession + Clone + PartialEq + Debug>(
    ctx: &Ctx<T>,
    data: T,
    hostile: Hostile,
    older_hostile: OlderHostile,
) {
    run_catalogue(ctx, data, hostile, older_hostile).finish();
}

// --- postcard building blocks for hostile payloads -------------------------

pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Huge and off-by-one length prefixes, each followed by `tail`.
pub fn hostile_lengths(name: &'static str, bound: u64, tail: &[u8]) -> Hostile {
    let mut out = Vec::new();
    for claim in [
        bound + 1,
        1 << 16,
        u32::MAX as u64,
        1 << 32,
        1 << 62,
        u64::MAX,
    ] {
        out.push((name, cat(&[&varint(claim), tail])));
    }
    out.push((name, cat(&[&varint_too_long(), tail])));
    out
}

#[test]
fn tiny_session_rejects_every_adversarial_cookie() {
    let hostile = vec![("n: two bytes", vec![1, 2]), ("n: 64 bytes", vec![7; 64])];
    run_suite(
        &Ctx::new("Tiny", 1, &[]),
        Tiny { n: 200 },
        hostile,
        Vec::new(),
    );
}

pub fn app_sample() -> AppSession {
    AppSession {
        user_id: Some(1 << 40),
        display_name: BoundedString::truncating("Ada Lovelace"),
        roles: BoundedVec::try_from([1, 2, 300, 65535]).unwrap(),
        csrf: [0xa5; 32],
    }
}

#[test]
fn app_session_rejects_every_adversarial_cookie() {
    let some_user: &[u8] = &[1, 0x2a];
    let csrf = [0u8; 32];
    let mut hostile = vec![
        ("user_id: Option tag 2", cat(&[&[2, 1], &[0], &[0], &csrf])),
        (
            "user_id: Option tag 0xff",
            cat(&[&[0xff], &[0], &[0], &csrf]),
        ),
        (
            "user_id: varint overflow",
            cat(&[&[1], &varint_too_long(), &[0], &[0], &csrf]),
        ),
        (
            "display_name: invalid UTF-8",
            cat(&[some_user, &[2, 0xc3, 0x28], &[0], &csrf]),
        ),
        (
            "display_name: lone surrogate",
            cat(&[some_user, &[3, 0xed, 0xa0, 0x80], &[0], &csrf]),
        ),
        ("csrf: 31 bytes", cat(&[some_user, &[0], &[0], &csrf[..31]])),
        (
            "roles: u16 overflow",
            cat(&[some_user, &[0], &[1, 0xff, 0xff, 0x04], &csrf]),
        ),
        (
            "roles: 9 items",
            cat(&[some_user, &[0], &[9], &[1; 9], &csrf]),
        ),
    ];
    hostile.extend(
        hostile_lengths("display_name: hostile length", 32, &[b'x'; 16])
            .into_iter()
            .map(|(n, prefix)| (n, cat(&[some_user, &prefix]))),
    );
    hostile.extend(
        hostile_lengths("roles: hostile length", 8, &[1; 8])
            .into_iter()
            .map(|(n, prefix)| (n, cat(&[some_user, &[0], &prefix, &csrf]))),
    );
    run_suite(
        &Ctx::new("AppSession", 1, &[]),
        app_sample(),
        hostile,
        Vec::new(),
    );
}

#[test]
fn shop_session_rejects_every_adversarial_cookie() {
    // user_id None, name "", theme Light, cart [], locale "", last_seen 0.
    let head: &[u8] = &[0, 0];
    let tail: &[u8] = &[0, 0, 0, 0];
    let mut hostile = vec![
        (
            "theme: variant 3",
            cat(&[head, &[3], &[0], &[0], &[0], tail]),
        ),
        (
            "theme: variant 2^32",
            cat(&[head, &varint(1 << 32), &[0], &[0], &[0], tail]),
        ),
        (
            "theme: variant varint overflow",
            cat(&[head, &varint_too_long(), &[0], tail]),
        ),
        ("theme.Custom: accent short", cat(&[head, &[2, 1, 2]])),
        (
            "cart: sku u32 overflow",
            cat(&[
                head,
                &[0, 1],
                &[0xff, 0xff, 0xff, 0xff, 0x10],
                &[1],
                &[0],
                &[0],
                tail,
            ]),
        ),
        (
            "cart: quantity u16 overflow",
            cat(&[head, &[0, 1], &[1], &[0xff, 0xff, 0x04], &[0], &[0], tail]),
        ),
        (
            "cart: 11 lines",
            cat(&[head, &[0, 11], &[1, 1].repeat(11), &[0], &[0], tail]),
        ),
        (
            "last_seen: i64 zigzag overflow",
            cat(&[head, &[0, 0, 0], &varint_too_long(), &[0, 0]]),
        ),
        ("flags: bool 2", cat(&[head, &[0, 0, 0, 0], &[2, 0]])),
        ("flags: bool 0xff", cat(&[head, &[0, 0, 0, 0], &[0, 0xff]])),
        (
            "locale: 9 bytes",
            cat(&[head, &[0, 0], &[9], b"en-GB-abc", &[0, 0, 0]]),
        ),
    ];
    hostile.extend(
        hostile_lengths("name: hostile length", 24, b"abc")
            .into_iter()
            .map(|(n, prefix)| (n, cat(&[&[0], &prefix]))),
    );
    hostile.extend(
        hostile_lengths("cart: hostile length", 10, &[1, 1, 2, 2])
            .into_iter()
            .map(|(n, prefix)| (n, cat(&[head, &[0], &prefix]))),
    );
    hostile.extend(
        hostile_lengths("theme.Custom.name: hostile length", 12, b"abc")
            .into_iter()
            .map(|(n, prefix)| (n, cat(&[head, &[2, 1, 2, 3], &prefix]))),
    );
    run_suite(
        &Ctx::new("ShopSession", 1, &[]),
        shop_sample(),
        hostile,
        Vec::new(),
    );
}

pub fn at_budget_sample() -> AtBudget {
    let blob: String = (0..3027).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    AtBudget {
        blob: BoundedString::truncating(&blob),
        pad: [9, 8, 7],
    }
}

#[test]
fn at_budget_session_rejects_every_adversarial_cookie() {
    let mut hostile = vec![
        (
            "blob: invalid UTF-8 at the end",
            cat(&[&varint(3027), &[b'a'; 3026], &[0xff], &[0, 0, 0]]),
        ),
        ("pad: missing", cat(&[&varint(3), b"abc"])),
    ];
    // Claims up to u64::MAX, behind the largest body the cookie can carry.
    hostile.extend(hostile_lengths("blob: hostile length", 3027, &[b'a'; 3017]));
    run_suite(
        &Ctx::new("AtBudget", 1, &[]),
        at_budget_sample(),
        hostile,
        Vec::new(),
    );
}

// --- shapes whose largest cookie fills a scratch-buffer tier exactly --------

/// Largest envelope 255 bytes (value 340 characters): decoding needs
/// `ceil(340 / 4) * 3 = 255` bytes of scratch, the 256-byte tier's last byte
/// unused; one more payload byte moves it to the next tier.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-t256", version = 1)]
struct Tier256 {
    text: BoundedString<221>,
}

/// Largest envelope 768 bytes (value 1024 characters): the 1024-byte tier.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-t1k", version = 1)]
struct Tier1024 {
    text: BoundedString<734>,
}

/// Largest envelope 769 bytes: one byte past the 1024-character value.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-t1k1", version = 1)]
struct Tier1025 {
    text: BoundedString<735>,
}

fn full_text<const N: usize>() -> BoundedString<N> {
    BoundedString::truncating(&"x".repeat(N))
}

/// Runs the suite on a session filled to its maximum, whose value is exactly
/// `value_len` characters long (a scratch-buffer tier boundary).
fn run_at_tier<T: CookieSession + Clone + PartialEq + Debug>(
    label: &'static str,
    data: T,
    value_len: usize,
) {
    let ctx = Ctx::<T>::new(label, 1, &[]);
    let value = issue(&ctx.config, data.clone());
    assert_eq!(
        T::NAME.len() + value.len(),
        T::MAX_COOKIE_LEN,
        "the cookie is at its maximum"
    );
    assert_eq!(T::MAX_COOKIE_LEN - T::NAME.len(), value_len);
    run_suite(&ctx, data, Vec::new(), Vec::new());
}

#[test]
fn sessions_at_scratch_buffer_boundaries_reject_every_adversarial_cookie() {
    run_at_tier("Tier256", Tier256 { text: full_text() }, 340);
    run_at_tier("Tier1024", Tier1024 { text: full_text() }, 1024);
    run_at_tier("Tier1025", Tier1025 { text: full_text() }, 1026);
}

// --- a session that migrates from an older version --------------------------

/// Version 1 of a migrating session: a larger bound than its successor, so the
/// length cap for incoming cookies is version 1's.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-mig", version = 1)]
struct MigV1 {
    user: u32,
    note: BoundedString<600>,
}

/// Version 2, `migrate_from = MigV1`.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-mig", version = 2, migrate_from = MigV1)]
struct MigV2 {
    user: u64,
    tags: BoundedVec<u16, 4>,
    admin: bool,
}

impl From<MigV1> for MigV2 {
    fn from(v1: MigV1) -> Self {
        MigV2 {
            user: u64::from(v1.user),
            tags: BoundedVec::new(),
            admin: false,
        }
    }
}

#[test]
fn migrating_session_rejects_every_adversarial_cookie() {
    let older = Older {
        version: MigV1::VERSION,
        fingerprint: MigV1::SCHEMA_FINGERPRINT,
        max_cookie_len: MigV1::MAX_COOKIE_LEN,
        decodes: decodes_as::<MigV1>,
    };
    let ctx = Ctx::<MigV2>::with_older("MigV2 (migrate_from MigV1)", 1, &[], vec![older]);
    // Sanity: a genuine version-1 cookie is accepted and migrated, and the
    // length cap is version 1's.
    let v1 = config_on::<MigV1>(1, &ctx.clock);
    let old = issue(
        &v1,
        MigV1 {
            user: 7,
            note: BoundedString::truncating(&"n".repeat(600)),
        },
    );
    let migrated = ctx.config.decode(old.as_bytes()).unwrap();
    assert_eq!(migrated.status(), &LoadStatus::Migrated { from: 1 });
    assert_eq!(migrated.user, 7);
    const { assert!(MigV1::MAX_COOKIE_LEN > MigV2::MAX_COOKIE_LEN) };
    assert_eq!(
        ctx.max_value_len(),
        MigV1::MAX_COOKIE_LEN - MigV2::NAME.len()
    );

    let mut hostile = vec![
        ("tags: 5 items", [&[1][..], &[5], &[1; 5], &[0]].concat()),
        ("admin: bool 2", [&[1][..], &[0], &[2]].concat()),
        (
            "user: varint overflow",
            [&varint_too_long()[..], &[0], &[0]].concat(),
        ),
    ];
    hostile.extend(
        hostile_lengths("tags: hostile length", 4, &[1; 4])
            .into_iter()
            .map(|(n, prefix)| (n, cat(&[&[1], &prefix]))),
    );
    let mut older_hostile = vec![
        (
            1,
            "v1 user: u32 overflow",
            [&[0xff, 0xff, 0xff, 0xff, 0x10][..], &[0]].concat(),
        ),
        (
            1,
            "v1 note: 601 bytes",
            [&[1][..], &varint(601), &[b'n'; 601]].concat(),
        ),
        (
            1,
            "v1 note: invalid UTF-8",
            [&[1][..], &[2, 0xc3, 0x28]].concat(),
        ),
        (1, "v1 trailing byte", vec![1, 0, 0]),
        (1, "v1 empty", Vec::new()),
        (1, "v2 payload under v1", vec![1, 1, 5, 0]),
    ];
    older_hostile.extend(
        hostile_lengths("v1 note: hostile length", 600, &[b'n'; 500])
            .into_iter()
            .map(|(n, prefix)| (1, n, cat(&[&[1], &prefix]))),
    );
    let data = MigV2 {
        user: 1 << 33,
        tags: BoundedVec::try_from([1, 2, 3]).unwrap(),
        admin: true,
    };
    run_suite(&ctx, data, hostile, older_hostile);
}

// --- encrypted mode (AES-256-GCM-SIV): the same catalogue -------------------

/// An encrypted session, and its signed twin (same name, fields and version).
mod enc {
    use super::*;

    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "__Host-enc", version = 1, encrypted)]
    pub struct Enc {
        pub user_id: Option<u64>,
        pub email: BoundedString<40>,
        pub roles: BoundedVec<u16, 4>,
    }

    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "__Host-enc", version = 1)]
    pub struct SignedTwin {
        pub user_id: Option<u64>,
        pub email: BoundedString<40>,
        pub roles: BoundedVec<u16, 4>,
    }

    /// An encrypted session at the browser limit: 10 (name) + base64url(16 +
    /// 12 + (2 + 3016) + 2 + 16 = 3064) = 4096, so the sampled positions and
    /// the length cap are exercised with AES-GCM-SIV too.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "__Host-sec", version = 1, encrypted)]
    pub struct EncAtBudget {
        pub blob: BoundedString<3016>,
        pub pad: [u8; 2],
    }
}

pub fn enc_sample() -> enc::Enc {
    enc::Enc {
        user_id: Some(42),
        email: BoundedString::truncating("ada@example.com"),
        roles: BoundedVec::try_from([1, 2]).unwrap(),
    }
}

#[test]
fn encrypted_session_rejects_every_adversarial_cookie() {
    use enc::{Enc, SignedTwin};
    let ctx = Ctx::<Enc>::new("Enc", 1, &[]);
    let hostile = vec![
        ("user_id: Option tag 2", vec![2, 1, 0, 0]),
        ("email: invalid UTF-8", vec![0, 2, 0xc3, 0x28, 0]),
        ("roles: 5 items", [&[0, 0, 5][..], &[1; 5]].concat()),
    ];
    let mut report = run_catalogue(&ctx, enc_sample(), hostile, Vec::new());
    let cat = "signed ↔ encrypted format swap";
    // A signed cookie of the same name, fields and version (the format a
    // downgrade would try) is refused by its format byte...
    let twin = config_on::<SignedTwin>(1, &ctx.clock);
    let signed = issue(
        &twin,
        SignedTwin {
            user_id: Some(42),
            email: BoundedString::truncating("ada@example.com"),
            ..SignedTwin::default()
        },
    );
    report.case(&ctx, cat, signed.as_bytes(), Some("unknown_format"));
    // ... and so is the encrypted cookie by the signed configuration.
    let value = issue(&ctx.config, enc_sample());
    let got = twin.decode(value.as_bytes()).err().map(|r| r.kind());
    assert_eq!(got, Some("unknown_format"));
    // Relabelled as the other format without re-sealing.
    let mut m = reference_base64(value.as_bytes()).unwrap();
    m[0] = FORMAT_SIGNED;
    report.case(&ctx, cat, b64(&m).as_bytes(), Some("unknown_format"));
    report.finish();
}

#[test]
fn encrypted_session_at_budget_rejects_every_adversarial_cookie() {
    let data = enc::EncAtBudget {
        blob: BoundedString::truncating(&format!("{}xx", "é".repeat(1507))),
        pad: [9; 2],
    };
    run_suite(
        &Ctx::new("EncAtBudget", 1, &[]),
        data,
        vec![("pad: missing", [&varint(3)[..], b"abc"].concat())],
        Vec::new(),
    );
}
