//! Session shapes and helpers shared by the integration tests.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use session_runtime::{
    wire, BoundedString, BoundedVec, CookieSession, Key, ManualClock, MaxEncodedLen, Rejection,
    Session, SessionConfig,
};

pub mod reference;

/// Every Rust block of README.md and docs/*.md compiles (and runs, unless
/// marked `no_run`) as a doctest of this crate, whose dev-dependencies have
/// every web framework and feature the blocks use. A block that cannot be a
/// doctest is marked `ignore` or `text` with the reason next to it.
#[cfg(doctest)]
mod docs {
    #[doc = include_str!("../../README.md")]
    mod readme {}
    #[doc = include_str!("../../docs/frameworks.md")]
    mod frameworks {}
    #[doc = include_str!("../../docs/lifecycle.md")]
    mod lifecycle {}
    #[doc = include_str!("../../docs/operations.md")]
    mod operations {}
    #[doc = include_str!("../../docs/cookies.md")]
    mod cookies {}
    #[doc = include_str!("../../docs/wire-format.md")]
    mod wire_format {}
    #[doc = include_str!("../../docs/serde-attributes.md")]
    mod serde_attributes {}
    #[doc = include_str!("../../docs/adversarial.md")]
    mod adversarial {}
    #[doc = include_str!("../../docs/architecture.md")]
    mod architecture {}
    #[doc = include_str!("../../SECURITY.md")]
    mod security {}
    #[doc = include_str!("../../docs/dbsc.md")]
    mod dbsc {}
}

/// 2026-11-26T00:00:00Z: tests run on a fixed clock.
pub const T0_MS: u64 = 1_795_651_200_000;

/// The design document's example session.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-app", version = 2)]
pub struct AppSession {
    pub user_id: Option<u64>,
    pub display_name: BoundedString<32>,
    pub roles: BoundedVec<u16, 8>,
    pub csrf: [u8; 32],
}

/// `AppSession` with a larger bound (same name and version, another schema).
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-app", version = 2)]
pub struct AppWider {
    pub user_id: Option<u64>,
    pub display_name: BoundedString<64>,
    pub roles: BoundedVec<u16, 8>,
    pub csrf: [u8; 32],
}

/// `AppSession` one version on, unchanged fields, no migration.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-app", version = 3)]
pub struct AppNext {
    pub user_id: Option<u64>,
    pub display_name: BoundedString<32>,
    pub roles: BoundedVec<u16, 8>,
    pub csrf: [u8; 32],
}

/// The smallest useful session.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "t", version = 1)]
pub struct Tiny {
    pub n: u8,
}

/// A nested enum inside a session.
#[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
pub enum Theme {
    #[default]
    Light,
    Dark,
    Custom {
        accent: [u8; 3],
        name: BoundedString<12>,
    },
}

/// A nested struct inside a session.
#[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
pub struct CartLine {
    pub sku: u32,
    pub quantity: u16,
}

/// A typical web-app session with nested types.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-shop", version = 7)]
pub struct ShopSession {
    pub user_id: Option<u64>,
    pub name: BoundedString<24>,
    pub theme: Theme,
    pub cart: BoundedVec<CartLine, 10>,
    pub locale: BoundedString<8>,
    pub last_seen: i64,
    pub flags: (bool, bool),
}

/// A session whose maximum cookie is exactly the 4096-byte browser limit:
/// 10 (name) + base64url(16 header + 3029 blob + 3 pad + 16 tag = 3064 bytes)
/// = 10 + 4086 = 4096. A test pins this, so edits keep it at the limit.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-big", version = 1)]
pub struct AtBudget {
    pub blob: BoundedString<3027>,
    pub pad: [u8; 3],
}

/// The session behind the guard-middleware tests of both web adapters
/// (tests/http_axum.rs, tests/http_actix.rs).
#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-guarded", version = 1)]
pub struct Guarded {
    pub user: Option<u64>,
    pub guard_visits: u32,
    pub handler_visits: u32,
    /// Written by a guard after the handler ran.
    pub after: u32,
}

/// A 32-byte secret for tests (never use a constant secret in production).
pub fn secret(byte: u8) -> [u8; 32] {
    [byte; 32]
}

/// The key derived from [`secret`].
pub fn key(byte: u8) -> Key {
    Key::from_secret(&secret(byte)).expect("32-byte secret")
}

/// A config signing with `key(key_byte)` on `clock`, otherwise the defaults.
pub fn config_on<T: CookieSession>(key_byte: u8, clock: &ManualClock) -> SessionConfig<T> {
    SessionConfig::<T>::builder(key(key_byte))
        .clock(clock.clone())
        .build()
        .expect("valid config")
}

/// A config on a manual clock at [`T0_MS`], signing with `key(1)`.
pub fn config_with_clock<T: CookieSession>() -> (SessionConfig<T>, ManualClock) {
    let clock = ManualClock::new(T0_MS);
    let config = config_on(1, &clock);
    (config, clock)
}

/// The `name=value` pair of a `Set-Cookie` header value (a `HeaderValue`
/// or the text `SessionConfig::set_cookie` returns).
pub fn cookie_pair(set_cookie: &(impl AsRef<[u8]> + ?Sized)) -> String {
    let text = core::str::from_utf8(set_cookie.as_ref()).expect("ASCII Set-Cookie");
    text.split(';').next().expect("a pair").to_owned()
}

/// The value part of a `Set-Cookie` header value.
pub fn cookie_value(set_cookie: &(impl AsRef<[u8]> + ?Sized)) -> String {
    let pair = cookie_pair(set_cookie);
    pair.split_once('=').expect("name=value").1.to_owned()
}

/// Request headers carrying one `Cookie: name=value`.
pub fn request_with_cookie(name: &str, value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        COOKIE,
        HeaderValue::try_from(format!("{name}={value}")).expect("valid header"),
    );
    headers
}

/// Stores `session` and returns the single `Set-Cookie` it produced, if any.
pub fn store<T: CookieSession>(
    config: &SessionConfig<T>,
    session: &Session<T>,
) -> Option<HeaderValue> {
    let mut headers = HeaderMap::new();
    config.store(session, &mut headers).expect("store succeeds");
    let mut all = headers.get_all(SET_COOKIE).iter();
    let first = all.next().cloned();
    assert!(all.next().is_none(), "at most one Set-Cookie per session");
    first
}

/// A valid cookie value for `data`, issued by `config` now.
/// (Default data too: a fresh session set to its default sends no cookie, so
/// this encodes directly.)
pub fn issue<T: CookieSession>(config: &SessionConfig<T>, data: T) -> String {
    config.encode(&data).expect("the session encodes")
}

/// Asserts that every single-bit flip of the decoded cookie `value` is
/// refused by `reject` (given the flipped byte's index and the flip as
/// base64url text) with the reason the reference expects for that byte
/// (docs/wire-format.md decode order); returns how many were refused.
pub fn assert_every_bit_flip_rejected(
    value: &str,
    mut reject: impl FnMut(usize, &[u8]) -> Rejection,
) -> usize {
    let raw = URL_SAFE_NO_PAD
        .decode(value)
        .expect("a base64url cookie value");
    let mut rejected = 0;
    for (byte, flipped) in reference::single_bit_flips(&raw) {
        let reason = reject(byte, URL_SAFE_NO_PAD.encode(&flipped).as_bytes());
        assert_eq!(
            reason.kind(),
            reference::changed_byte_reason(byte),
            "byte {byte}"
        );
        rejected += 1;
    }
    assert_eq!(rejected, raw.len() * 8);
    rejected
}

/// A [`ShopSession`] with every field set (a custom theme, three cart lines).
pub fn shop_sample() -> ShopSession {
    ShopSession {
        user_id: Some(42),
        name: BoundedString::truncating("Grace"),
        theme: Theme::Custom {
            accent: [1, 2, 3],
            name: BoundedString::truncating("ocean"),
        },
        cart: BoundedVec::try_from([
            CartLine {
                sku: 7,
                quantity: 1,
            },
            CartLine {
                sku: u32::MAX,
                quantity: u16::MAX,
            },
            CartLine {
                sku: 1000,
                quantity: 3,
            },
        ])
        .expect("3 of 10 lines"),
        locale: BoundedString::truncating("en-GB"),
        last_seen: -1_700_000_000,
        flags: (true, false),
    }
}

/// A hand-written session impl that understates its size (the derive never
/// would): 8 bytes claimed for an unbounded `String`. The runtime must refuse
/// to emit its oversized cookies.
#[derive(Serialize, Deserialize, Default, Debug)]
pub struct Liar {
    /// Any length at all.
    pub text: String,
}

impl MaxEncodedLen for Liar {
    const MAX_ENCODED_LEN: usize = 8;
    const SCHEMA_HASH: u64 = 1;
}

impl CookieSession for Liar {
    const NAME: &'static str = "liar";
    const VERSION: u16 = 1;
    const SCHEMA_FINGERPRINT: u64 = 1;
    const BUDGET: usize = 4096;
    const MAX_PAYLOAD_LEN: usize = 8;
    const MAX_COOKIE_LEN: usize = wire::max_cookie_len(4, 8, wire::SIGNED_OVERHEAD);
    type Envelope = wire::HmacSha256;
}
