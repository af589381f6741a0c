//! The wire format against an independent implementation in another language:
//! `tests/interop/interop.py`, written in Python from `docs/wire-format.md`
//! alone, reads cookies this library wrote and forges cookies it must accept,
//! for signed and encrypted sessions, nested types and every lifetime; and
//! `tests/interop/vectors.json`, whose outputs the Python recomputes, is
//! checked here against the library.
//!
//! One Python process serves every test (one batch request). Without
//! `python3` (override with `INTEROP_PYTHON`) or its `cryptography` package
//! the Python tests print SKIP, unless `REQUIRE_INTEROP=1`, which makes that
//! a failure (CI sets it).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io::{Read as _, Write as _};
use std::marker::PhantomData;
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use session_runtime::defaults::{ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, MAX_CLOCK_SKEW};
use session_runtime::{
    BoundedString, BoundedVec, CookieSession, CsrfToken, Flash, Key, Lifetime, ManualClock,
    MaxEncodedLen, Rejection, SessionConfig,
};

// --- the sessions of vectors.json ("sessions" and "types") --------------------

/// The worked example of docs/wire-format.md.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
#[session(name = "__Host-demo", version = 1)]
struct Demo {
    user_id: Option<u32>,
    admin: bool,
}

#[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
struct Line {
    sku: u32,
    quantity: u16,
}

#[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
enum Theme {
    #[default]
    Light,
    Dark,
    Custom {
        accent: [u8; 3],
        name: BoundedString<12>,
    },
    Pair(u8, i16),
    Id(u64),
    #[serde(other)]
    Unknown,
}

#[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
struct Point(i32, i32);

#[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
struct Cents(u64);

#[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
struct Marker;

#[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
struct WithSkip {
    kept: u8,
    #[serde(skip)]
    cache: u32,
}

#[derive(MaxEncodedLen, Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Never {}

/// Signed, nested types; its 28-byte name makes the MAC prefix exactly 64
/// bytes, so `pad64` adds nothing.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
#[session(name = "__Host-interop-exact-block64", version = 7)]
struct Shop {
    user_id: Option<u64>,
    #[serde(rename = "who")]
    name: BoundedString<24>,
    theme: Theme,
    cart: BoundedVec<Line, 4>,
    last_seen: i64,
    flags: (bool, char),
    scores: [u16; 3],
    r#type: u8,
    #[serde(skip)]
    cache: u32,
    best: Option<Box<Line>>,
}

/// Signed, one field of every kind the descriptors name; a name longer than
/// 28 bytes (the MAC prefix takes two blocks).
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
#[session(
    name = "interop-kinds-a-cookie-name-longer-than-28-bytes",
    version = 65535
)]
struct Kinds {
    a_u8: u8,
    a_i8: i8,
    a_u16: u16,
    a_i16: i16,
    a_u32: u32,
    a_i32: i32,
    a_u64: u64,
    a_i64: i64,
    a_u128: u128,
    a_i128: i128,
    a_usize: usize,
    a_isize: isize,
    a_f32: f32,
    a_f64: f64,
    a_char: char,
    a_unit: (),
    a_nonzero: Option<NonZeroU16>,
    a_duration: Duration,
    a_result: Option<Result<u8, BoundedString<4>>>,
    a_box: Box<u16>,
    a_phantom: PhantomData<u64>,
    point: Point,
    cents: Cents,
    marker: Marker,
    flash: Flash<BoundedString<16>>,
    // The same bytes and schema hash as a `CsrfToken` field, which has no
    // `==` for this struct's derived `PartialEq`.
    #[session(csrf)]
    csrf: [u8; 32],
    nested: BoundedVec<Option<[i8; 2]>, 3>,
    long_text: BoundedString<200>,
}

/// Encrypted, nested types.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
#[session(name = "__Host-vault", version = 3, encrypted)]
struct Vault {
    user_id: Option<u64>,
    email: BoundedString<40>,
    roles: BoundedVec<u16, 4>,
    theme: Theme,
    lines: BoundedVec<Line, 2>,
}

/// Encrypted, the smallest: a one-byte name and payload.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
#[session(name = "e", version = 1, encrypted)]
struct Tiny {
    n: u8,
}

/// A session type of the test, with sample values.
trait Shape:
    CookieSession + Serialize + DeserializeOwned + Clone + PartialEq + Debug + Send + Sync
{
    /// Its name in vectors.json.
    const LABEL: &'static str;

    /// Values to write: the default and full ones.
    fn samples() -> Vec<Self>;

    /// What a cookie of `self` decodes to (skipped fields come back default).
    fn stored(&self) -> Self {
        self.clone()
    }
}

fn bs<const N: usize>(text: &str) -> BoundedString<N> {
    BoundedString::try_from(text).expect("fits")
}

impl Shape for Demo {
    const LABEL: &'static str = "Demo";
    fn samples() -> Vec<Self> {
        vec![
            Demo::default(),
            Demo {
                user_id: Some(u32::MAX),
                admin: true,
            },
        ]
    }
}

impl Shape for Shop {
    const LABEL: &'static str = "Shop";
    fn samples() -> Vec<Self> {
        vec![
            Shop::default(),
            Shop {
                user_id: Some(1 << 40),
                name: bs("Ada Lovelace, Countess"),
                theme: Theme::Custom {
                    accent: [0, 128, 255],
                    name: bs("sea"),
                },
                cart: BoundedVec::try_from([
                    Line {
                        sku: 1,
                        quantity: 2,
                    },
                    Line {
                        sku: u32::MAX,
                        quantity: u16::MAX,
                    },
                ])
                .expect("fits"),
                last_seen: i64::MIN,
                flags: (true, '€'),
                scores: [0, 127, 128],
                r#type: 200,
                cache: 99,
                best: Some(Box::new(Line {
                    sku: 300,
                    quantity: 1,
                })),
            },
            Shop {
                theme: Theme::Pair(255, -32768),
                ..Shop::default()
            },
            Shop {
                theme: Theme::Id(u64::MAX),
                ..Shop::default()
            },
            Shop {
                theme: Theme::Unknown,
                ..Shop::default()
            },
        ]
    }
    fn stored(&self) -> Self {
        Shop {
            cache: 0,
            ..self.clone()
        }
    }
}

impl Shape for Kinds {
    const LABEL: &'static str = "Kinds";
    fn samples() -> Vec<Self> {
        let mut csrf = [0u8; 32];
        for (i, byte) in csrf.iter_mut().enumerate() {
            *byte = (i * 8) as u8;
        }
        vec![
            Kinds::default(),
            Kinds {
                a_u8: u8::MAX,
                a_i8: i8::MIN,
                a_u16: u16::MAX,
                a_i16: i16::MIN,
                a_u32: u32::MAX,
                a_i32: i32::MIN,
                a_u64: u64::MAX,
                a_i64: i64::MIN,
                a_u128: u128::MAX,
                a_i128: i128::MIN,
                a_usize: usize::MAX,
                a_isize: isize::MIN,
                a_f32: 1.1,
                a_f64: -2.5e-300,
                a_char: '😀',
                a_unit: (),
                a_nonzero: NonZeroU16::new(513),
                a_duration: Duration::new(u64::MAX, 999_999_999),
                a_result: Some(Err(bs("abcd"))),
                a_box: Box::new(300),
                a_phantom: PhantomData,
                point: Point(i32::MAX, -1),
                cents: Cents(128),
                marker: Marker,
                flash: {
                    let mut flash = Flash::default();
                    flash.set(bs("saved!"));
                    flash
                },
                csrf,
                nested: BoundedVec::try_from([Some([-1, 1]), None, Some([i8::MAX, i8::MIN])])
                    .expect("fits"),
                long_text: bs(&"é".repeat(100)),
            },
            Kinds {
                a_u128: 1 << 100,
                a_i128: -(1 << 90),
                a_result: Some(Ok(7)),
                a_f32: f32::MIN_POSITIVE,
                a_f64: f64::MAX,
                ..Kinds::default()
            },
        ]
    }
}

impl Shape for Vault {
    const LABEL: &'static str = "Vault";
    fn samples() -> Vec<Self> {
        vec![
            Vault::default(),
            Vault {
                user_id: Some(42),
                email: bs("ada@example.com"),
                roles: BoundedVec::try_from([1, 2, 300, 65535]).expect("fits"),
                theme: Theme::Dark,
                lines: BoundedVec::try_from([Line {
                    sku: 7,
                    quantity: 3,
                }])
                .expect("fits"),
            },
        ]
    }
}

impl Shape for Tiny {
    const LABEL: &'static str = "Tiny";
    fn samples() -> Vec<Self> {
        vec![Tiny { n: 0 }, Tiny { n: 255 }]
    }
}

// --- configuration -------------------------------------------------------------

/// The library's signing secret in every test here (32 bytes).
const SECRET: &[u8] = b"interop secret for tests/interop";
/// A secret the configurations do not know (32 bytes).
const OTHER: &[u8] = b"another secret, not configured!!";
/// 2026-11-26T12:00:00.456Z: whole seconds on the wire round it down.
const T0_MS: u64 = 1_795_694_400_456;
/// The remember-me timeouts the configurations declare.
const REMEMBER_IDLE: Duration = Duration::from_secs(30 * 24 * 60 * 60);
const REMEMBER_ABSOLUTE: Duration = Duration::from_secs(90 * 24 * 60 * 60);
const LIFETIMES: [Lifetime; 3] = [
    Lifetime::Standard,
    Lifetime::BrowserSession,
    Lifetime::RememberMe,
];

fn config<T: CookieSession>(clock: &ManualClock) -> SessionConfig<T> {
    SessionConfig::<T>::builder(Key::from_secret(SECRET).expect("32 bytes"))
        .clock(clock.clone())
        .remember_me(REMEMBER_IDLE, REMEMBER_ABSOLUTE)
        .build()
        .expect("valid configuration")
}

fn lifetime_byte(lifetime: Lifetime) -> u8 {
    LIFETIMES
        .iter()
        .position(|&l| l == lifetime)
        .expect("a known lifetime") as u8
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).expect("fits")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Floor to whole seconds, as the wire carries times.
fn floor_secs(unix_ms: u64) -> u64 {
    unix_ms / 1000 * 1000
}

fn wire_secs(unix_ms: u64) -> u64 {
    (unix_ms - 1_735_689_600_000) / 1000
}

fn system_time_ms(time: SystemTime) -> u64 {
    millis(time.duration_since(UNIX_EPOCH).expect("after 1970"))
}

fn raw_json<T: Serialize>(value: &T) -> Box<RawValue> {
    RawValue::from_string(serde_json::to_string(value).expect("serializes")).expect("JSON")
}

/// The value of `name=value; attributes`.
fn value_of(set_cookie: &str) -> String {
    let (_, rest) = set_cookie.split_once('=').expect("name=value");
    rest.split(';').next().expect("value").to_owned()
}

/// Flips bit 0 of decoded byte `index` of a cookie value.
fn flip(value: &str, index: usize) -> String {
    let mut raw = URL_SAFE_NO_PAD.decode(value).expect("canonical base64url");
    raw[index] ^= 1;
    URL_SAFE_NO_PAD.encode(raw)
}

// --- the Python side -------------------------------------------------------------

#[derive(Serialize)]
struct Request {
    selftest: bool,
    fingerprints: bool,
    read: Vec<ReadItem>,
    write: Vec<WriteItem>,
}

/// Python reads `cookie` as `session` with the configuration's keys, clock,
/// skew and lifetimes.
#[derive(Serialize)]
struct ReadItem {
    id: String,
    session: &'static str,
    cookie: String,
    secrets: Vec<String>,
    now_ms: u64,
    skew_ms: u64,
    lifetimes: BTreeMap<String, [u64; 2]>,
}

/// Python forges a cookie of `value` for `session`, sealed with `secret`.
#[derive(Serialize, Clone)]
struct WriteItem {
    id: String,
    session: &'static str,
    secret: String,
    created_ms: u64,
    issued_ms: u64,
    lifetime: u8,
    value: Box<RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    forgery: BTreeMap<&'static str, String>,
}

#[derive(Deserialize)]
struct Response {
    selftest: SelfTest,
    fingerprints: BTreeMap<String, Sizes>,
    read: Vec<ReadResult>,
    write: Vec<WriteResult>,
}

#[derive(Deserialize)]
struct SelfTest {
    passed: usize,
    failures: Vec<String>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Sizes {
    fingerprint: String,
    max_payload_len: usize,
    max_cookie_len: usize,
}

#[derive(Deserialize)]
struct ReadResult {
    id: String,
    ok: bool,
    #[serde(default)]
    rejection: Option<String>,
    #[serde(default)]
    header: Option<WireHeader>,
    #[serde(default)]
    value: Option<Box<RawValue>>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct WireHeader {
    format: u8,
    key_id: String,
    version: u16,
    hint: String,
    created: u64,
    issued: u64,
    lifetime: u8,
}

#[derive(Deserialize)]
struct WriteResult {
    id: String,
    cookie: String,
}

fn interop_required() -> bool {
    std::env::var_os("REQUIRE_INTEROP").is_some_and(|v| v == "1")
}

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop")
}

fn python_binary() -> String {
    std::env::var("INTEROP_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Why the Python side cannot run here, if it cannot.
fn python_missing() -> Option<String> {
    let probe = "import sys; assert sys.version_info >= (3, 11), sys.version; \
                 from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV; AESGCMSIV(bytes(32))";
    match Command::new(python_binary()).args(["-c", probe]).output() {
        Err(err) => Some(format!("{} cannot run: {err}", python_binary())),
        Ok(out) if !out.status.success() => Some(format!(
            "{} lacks Python 3.11 or `cryptography` with AES-GCM-SIV \
             (pip install -r tests/interop/requirements.txt): {}",
            python_binary(),
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        )),
        Ok(_) => None,
    }
}

/// Runs `interop.py batch` on `request`, killed after a minute.
fn run_python(request: &Request) -> Response {
    let mut child = Command::new(python_binary())
        .arg(interop_dir().join("interop.py"))
        .arg("batch")
        // No __pycache__ in the source tree.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    let input = serde_json::to_vec(request).expect("request serializes");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).map(|_| out)
    });
    let err_reader = std::thread::spawn(move || {
        let mut out = String::new();
        stderr.read_to_string(&mut out).map(|_| out)
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().expect("kill");
            child.wait().expect("reaped");
            panic!("interop.py batch ran over a minute");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    writer.join().expect("writer").expect("request written");
    let out = reader.join().expect("reader").expect("stdout read");
    let err = err_reader.join().expect("reader").expect("stderr read");
    assert!(status.success(), "interop.py batch failed: {status}\n{err}");
    serde_json::from_slice(&out).expect("response is JSON")
}

// --- what the library writes, for Python to read ----------------------------------

/// A cookie the library wrote, and what it must read as.
struct Written {
    id: String,
    session: &'static str,
    cookie: String,
    now_ms: u64,
    header: WireHeader,
    expected: Box<dyn Fn(&str) + Send + Sync>,
}

fn key_id() -> String {
    Key::from_secret(SECRET).expect("32 bytes").id().to_string()
}

fn hint_of<T: CookieSession>() -> String {
    format!("{:04x}", T::SCHEMA_FINGERPRINT >> 48)
}

fn format_of<T: CookieSession>() -> u8 {
    if T::ENCRYPTED {
        0x04
    } else {
        0x03
    }
}

/// A check that Python's JSON reads as exactly `expected`.
fn expect_value<T: Shape>(expected: T) -> Box<dyn Fn(&str) + Send + Sync> {
    Box::new(move |json: &str| {
        let got: T = serde_json::from_str(json)
            .unwrap_or_else(|err| panic!("{} JSON {json}: {err}", T::LABEL));
        assert_eq!(got, expected, "{} value as Python read it", T::LABEL);
    })
}

/// Cookies of every sample of `T`: `encode` at T0 (standard lifetime,
/// created = issued), then, re-written an hour later through
/// `set_cookie_string`, once per lifetime (created kept, issued later).
fn written<T: Shape>(out: &mut Vec<Written>) {
    for (i, data) in T::samples().into_iter().enumerate() {
        let clock = ManualClock::new(T0_MS);
        let config = config::<T>(&clock);
        let first = config.encode(&data).expect("encodes");
        let created = wire_secs(T0_MS);
        out.push(Written {
            id: format!("{}-{i}-encode", T::LABEL),
            session: T::LABEL,
            cookie: first.clone(),
            now_ms: T0_MS,
            header: header_of::<T>(created, created, 0),
            expected: expect_value(data.stored()),
        });
        for lifetime in LIFETIMES {
            let at = T0_MS + 3_600_789;
            clock.set(at);
            let mut session = config.decode(first.as_bytes()).expect("own cookie");
            session.set_lifetime(lifetime).expect("declared");
            session.set(data.clone());
            let set_cookie = config
                .set_cookie(&session)
                .expect("stores")
                .expect("a lifetime change is sent");
            out.push(Written {
                id: format!("{}-{i}-{lifetime:?}", T::LABEL),
                session: T::LABEL,
                cookie: value_of(&set_cookie),
                now_ms: at,
                header: header_of::<T>(created, wire_secs(at), lifetime_byte(lifetime)),
                expected: expect_value(data.stored()),
            });
        }
    }
}

fn header_of<T: CookieSession>(created: u64, issued: u64, lifetime: u8) -> WireHeader {
    WireHeader {
        format: format_of::<T>(),
        key_id: key_id(),
        version: T::VERSION,
        hint: hint_of::<T>(),
        created,
        issued,
        lifetime,
    }
}

fn library_cookies() -> &'static [Written] {
    static COOKIES: OnceLock<Vec<Written>> = OnceLock::new();
    COOKIES.get_or_init(|| {
        let mut out = Vec::new();
        written::<Demo>(&mut out);
        written::<Shop>(&mut out);
        written::<Kinds>(&mut out);
        written::<Vault>(&mut out);
        written::<Tiny>(&mut out);
        out
    })
}

fn policy_lifetimes() -> BTreeMap<String, [u64; 2]> {
    let standard = [millis(IDLE_TIMEOUT), millis(ABSOLUTE_TIMEOUT)];
    BTreeMap::from([
        ("0".to_owned(), standard),
        ("1".to_owned(), standard),
        (
            "2".to_owned(),
            [millis(REMEMBER_IDLE), millis(REMEMBER_ABSOLUTE)],
        ),
    ])
}

fn read_item(id: String, session: &'static str, cookie: String, now_ms: u64) -> ReadItem {
    ReadItem {
        id,
        session,
        cookie,
        secrets: vec![hex(SECRET)],
        now_ms,
        skew_ms: millis(MAX_CLOCK_SKEW),
        lifetimes: policy_lifetimes(),
    }
}

/// A library cookie changed so that the library refuses it, or read at a
/// time when it does.
struct Tampered {
    id: String,
    session: &'static str,
    cookie: String,
    now_ms: u64,
    /// The library's reason.
    library: &'static str,
}

/// Library cookies changed so that the library refuses them: Python must
/// refuse each for the same reason.
fn tampered() -> &'static [Tampered] {
    static TAMPERED: OnceLock<Vec<Tampered>> = OnceLock::new();
    TAMPERED.get_or_init(|| {
        let mut out = Vec::new();
        for w in library_cookies()
            .iter()
            .filter(|w| w.id.ends_with("-1-encode"))
        {
            let mut push = |what: String, cookie: String, now_ms: u64| {
                out.push(Tampered {
                    id: format!("{}-{what}", w.id),
                    session: w.session,
                    library: library_rejection(w.session, &cookie, now_ms),
                    cookie,
                    now_ms,
                });
            };
            let len = URL_SAFE_NO_PAD.decode(&w.cookie).expect("base64url").len();
            for index in 0..len {
                push(format!("flip-{index}"), flip(&w.cookie, index), w.now_ms);
            }
            push("cut".to_owned(), w.cookie[..30].to_owned(), w.now_ms);
            push("pad".to_owned(), format!("{}=", w.cookie), w.now_ms);
            // Read long after the cookie, and before it was issued.
            push(
                "late".to_owned(),
                w.cookie.clone(),
                w.now_ms + 8 * 86_400_000,
            );
            push("early".to_owned(), w.cookie.clone(), w.now_ms - 61_000);
        }
        out
    })
}

/// The library's reason for refusing `cookie` of `session` at `now_ms`.
fn library_rejection(session: &str, cookie: &str, now_ms: u64) -> &'static str {
    fn kind<T: Shape>(cookie: &str, now_ms: u64) -> &'static str {
        let clock = ManualClock::new(now_ms);
        match config::<T>(&clock).decode(cookie.as_bytes()) {
            Ok(_) => "accepted",
            Err(rejection) => rejection.kind(),
        }
    }
    match session {
        "Demo" => kind::<Demo>(cookie, now_ms),
        "Shop" => kind::<Shop>(cookie, now_ms),
        "Kinds" => kind::<Kinds>(cookie, now_ms),
        "Vault" => kind::<Vault>(cookie, now_ms),
        "Tiny" => kind::<Tiny>(cookie, now_ms),
        other => panic!("unknown session {other}"),
    }
}

// --- what Python forges, for the library to read ----------------------------------

/// A cookie for Python to forge, and how the library must take it.
struct Forge {
    item: WriteItem,
    check: Box<dyn Fn(&str) + Send + Sync>,
}

/// When forged cookies start (a sub-second time: the wire floors it) and when
/// the library reads them.
const FORGED_CREATED_MS: u64 = T0_MS - 3_599_500;
const READ_AT_MS: u64 = T0_MS + 250;

fn forge_item<T: Shape>(id: String, data: &T, created_ms: u64, lifetime: u8) -> WriteItem {
    WriteItem {
        id,
        session: T::LABEL,
        secret: hex(SECRET),
        created_ms,
        issued_ms: T0_MS,
        lifetime,
        value: raw_json(data),
        nonce: T::ENCRYPTED.then(|| "a0a1a2a3a4a5a6a7a8a9aaab".to_owned()),
        forgery: BTreeMap::new(),
    }
}

/// The library accepts the forged cookie with exactly this data, start,
/// issue time and lifetime.
fn accepted<T: Shape>(
    data: T,
    created_ms: u64,
    lifetime: Lifetime,
    same_as_encode: bool,
) -> Box<dyn Fn(&str) + Send + Sync> {
    Box::new(move |cookie: &str| {
        let clock = ManualClock::new(READ_AT_MS);
        let config = config::<T>(&clock);
        let session = config
            .decode(cookie.as_bytes())
            .unwrap_or_else(|reason| panic!("{} forged cookie refused: {reason}", T::LABEL));
        assert_eq!(*session, data.stored(), "{} data", T::LABEL);
        let created = session.created_at().map(system_time_ms);
        assert_eq!(
            created,
            Some(floor_secs(created_ms)),
            "{} created",
            T::LABEL
        );
        let issued = session.issued_at().map(system_time_ms);
        assert_eq!(issued, Some(floor_secs(T0_MS)), "{} issued", T::LABEL);
        assert_eq!(session.lifetime(), lifetime, "{} lifetime", T::LABEL);
        if same_as_encode {
            // Signed cookies are deterministic: the library writes the very
            // same value at that time.
            clock.set(T0_MS);
            assert_eq!(config.encode(&data).expect("encodes"), cookie);
        }
    })
}

/// The library refuses the forged cookie for `reason`.
fn refused<T: Shape>(reason: &'static str) -> Box<dyn Fn(&str) + Send + Sync> {
    Box::new(move |cookie: &str| {
        let clock = ManualClock::new(READ_AT_MS);
        let got = config::<T>(&clock).decode(cookie.as_bytes()).map(|_| ());
        assert_eq!(
            got.map_err(|r: Rejection| r.kind()),
            Err(reason),
            "{} forgery {cookie}",
            T::LABEL
        );
    })
}

fn forgeries<T: Shape>(out: &mut Vec<Forge>) {
    for (i, data) in T::samples().into_iter().enumerate() {
        for lifetime in LIFETIMES {
            let byte = lifetime_byte(lifetime);
            out.push(Forge {
                item: forge_item(
                    format!("{}-{i}-{lifetime:?}", T::LABEL),
                    &data,
                    FORGED_CREATED_MS,
                    byte,
                ),
                check: accepted(data.clone(), FORGED_CREATED_MS, lifetime, false),
            });
        }
        // Created = issued, standard lifetime: what `encode` writes.
        out.push(Forge {
            item: forge_item(format!("{}-{i}-as-encode", T::LABEL), &data, T0_MS, 0),
            check: accepted(data.clone(), T0_MS, Lifetime::Standard, !T::ENCRYPTED),
        });
    }
    let data = T::samples().pop().expect("samples");
    let genuine = forge_item::<T>(format!("{}-bad", T::LABEL), &data, T0_MS, 0);
    let with = |suffix: &str, secret: &[u8], forgery: &[(&'static str, String)]| WriteItem {
        id: format!("{}-{suffix}", genuine.id),
        secret: hex(secret),
        forgery: forgery.iter().cloned().collect(),
        ..genuine.clone()
    };
    let own_id = key_id();
    let fingerprint = format!("{:016x}", T::SCHEMA_FINGERPRINT);
    // Another schema's fingerprint under this one's hint.
    let same_hint = format!("{:016x}", T::SCHEMA_FINGERPRINT ^ 1);
    // Another schema, with its own hint: what a struct changed without a
    // version bump writes.
    let other_schema = T::SCHEMA_FINGERPRINT ^ (1 << 63);
    let other_hint = format!("{:04x}", other_schema >> 48);
    let other_schema = format!("{other_schema:016x}");
    for (item, reason) in [
        (with("other-key", OTHER, &[]), "unknown_key"),
        (
            with("other-key-own-id", OTHER, &[("key_id", own_id)]),
            "bad_signature",
        ),
        (
            with("other-name", SECRET, &[("name", "__Host-other".to_owned())]),
            "bad_signature",
        ),
        (
            with("other-fingerprint", SECRET, &[("fingerprint", same_hint)]),
            "bad_signature",
        ),
        (
            with(
                "other-schema",
                SECRET,
                &[("fingerprint", other_schema), ("hint", other_hint.clone())],
            ),
            "schema_mismatch",
        ),
        // Only the fingerprint under the MAC counts: a hint that the key's
        // holder wrote wrong is not checked once the MAC verifies.
        (
            with("hint-only", SECRET, &[("hint", other_hint)]),
            "accepted",
        ),
        (
            with("control", SECRET, &[("fingerprint", fingerprint)]),
            "accepted",
        ),
    ] {
        let check = if reason == "accepted" {
            accepted(data.clone(), T0_MS, Lifetime::Standard, false)
        } else {
            refused::<T>(reason)
        };
        out.push(Forge { item, check });
    }
}

fn python_forgeries() -> &'static [Forge] {
    static FORGES: OnceLock<Vec<Forge>> = OnceLock::new();
    FORGES.get_or_init(|| {
        let mut out = Vec::new();
        forgeries::<Demo>(&mut out);
        forgeries::<Shop>(&mut out);
        forgeries::<Kinds>(&mut out);
        forgeries::<Vault>(&mut out);
        forgeries::<Tiny>(&mut out);
        out
    })
}

/// The one Python run all tests share, or `None` (after SKIP) without Python.
fn python(test: &str) -> Option<&'static Response> {
    static RUN: OnceLock<Result<Response, String>> = OnceLock::new();
    let run = RUN.get_or_init(|| {
        if let Some(reason) = python_missing() {
            return Err(reason);
        }
        let mut read: Vec<ReadItem> = library_cookies()
            .iter()
            .map(|w| read_item(w.id.clone(), w.session, w.cookie.clone(), w.now_ms))
            .collect();
        read.extend(
            tampered()
                .iter()
                .map(|t| read_item(t.id.clone(), t.session, t.cookie.clone(), t.now_ms)),
        );
        let started = Instant::now();
        let response = run_python(&Request {
            selftest: true,
            fingerprints: true,
            read,
            write: python_forgeries().iter().map(|f| f.item.clone()).collect(),
        });
        println!("interop.py batch: {:?}", started.elapsed());
        Ok(response)
    });
    match run {
        Ok(response) => Some(response),
        Err(reason) if interop_required() => panic!("{test}: REQUIRE_INTEROP=1 but {reason}"),
        Err(reason) => {
            eprintln!("SKIP {test}: {reason} (set REQUIRE_INTEROP=1 to make this a failure)");
            None
        }
    }
}

// --- the tests ------------------------------------------------------------------------

#[test]
fn python_passes_the_vectors() {
    let Some(response) = python("python_passes_the_vectors") else {
        return;
    };
    assert!(
        response.selftest.failures.is_empty(),
        "interop.py disagrees with vectors.json:\n{}",
        response.selftest.failures.join("\n")
    );
    assert!(
        response.selftest.passed > 600,
        "{} checks",
        response.selftest.passed
    );
}

#[test]
fn python_computes_the_library_fingerprints_and_bounds() {
    let Some(response) = python("python_computes_the_library_fingerprints_and_bounds") else {
        return;
    };
    fn sizes<T: CookieSession>() -> Sizes {
        Sizes {
            fingerprint: format!("{:016x}", T::SCHEMA_FINGERPRINT),
            max_payload_len: T::MAX_PAYLOAD_LEN,
            max_cookie_len: T::MAX_COOKIE_LEN,
        }
    }
    let expected = BTreeMap::from([
        ("Demo".to_owned(), sizes::<Demo>()),
        ("Shop".to_owned(), sizes::<Shop>()),
        ("Kinds".to_owned(), sizes::<Kinds>()),
        ("Vault".to_owned(), sizes::<Vault>()),
        ("Tiny".to_owned(), sizes::<Tiny>()),
    ]);
    assert_eq!(response.fingerprints, expected);
}

#[test]
fn python_reads_library_cookies() {
    let Some(response) = python("python_reads_library_cookies") else {
        return;
    };
    let results: BTreeMap<&str, &ReadResult> =
        response.read.iter().map(|r| (r.id.as_str(), r)).collect();
    for written in library_cookies() {
        let result = results[written.id.as_str()];
        assert!(
            result.ok,
            "{}: Python refused {}: {:?}",
            written.id, written.cookie, result.rejection
        );
        assert_eq!(
            result.header.as_ref(),
            Some(&written.header),
            "{}",
            written.id
        );
        (written.expected)(result.value.as_ref().expect("a value").get());
    }
    println!("Python read {} library cookies", library_cookies().len());
}

#[test]
fn python_refuses_tampered_library_cookies_for_the_same_reason() {
    let Some(response) = python("python_refuses_tampered_library_cookies_for_the_same_reason")
    else {
        return;
    };
    let results: BTreeMap<&str, &ReadResult> =
        response.read.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut kinds = BTreeMap::<&str, usize>::new();
    for t in tampered() {
        let result = results[t.id.as_str()];
        let python = if result.ok {
            "accepted"
        } else {
            result.rejection.as_deref().expect("a reason")
        };
        assert_eq!(python, t.library, "{}: {}", t.id, t.cookie);
        assert_ne!(
            t.library, "accepted",
            "{}: the library took a tampered cookie",
            t.id
        );
        *kinds.entry(t.library).or_default() += 1;
    }
    println!("tampered library cookies, by reason: {kinds:?}");
}

#[test]
fn library_accepts_python_cookies_and_refuses_python_forgeries() {
    let Some(response) = python("library_accepts_python_cookies_and_refuses_python_forgeries")
    else {
        return;
    };
    let results: BTreeMap<&str, &str> = response
        .write
        .iter()
        .map(|w| (w.id.as_str(), w.cookie.as_str()))
        .collect();
    for forge in python_forgeries() {
        (forge.check)(results[forge.item.id.as_str()]);
    }
    println!(
        "library checked {} Python cookies",
        python_forgeries().len()
    );
}

#[test]
fn library_refuses_python_cookies_with_a_flipped_byte() {
    let Some(response) = python("library_refuses_python_cookies_with_a_flipped_byte") else {
        return;
    };
    let mut checked = 0;
    for written in response
        .write
        .iter()
        .filter(|w| w.id.ends_with("-as-encode"))
    {
        let session = written.id.split('-').next().expect("label");
        let genuine = library_rejection(session, &written.cookie, READ_AT_MS);
        assert_eq!(genuine, "accepted", "{}", written.id);
        let len = URL_SAFE_NO_PAD
            .decode(&written.cookie)
            .expect("base64url")
            .len();
        for index in 0..len {
            let kind = library_rejection(session, &flip(&written.cookie, index), READ_AT_MS);
            assert_ne!(kind, "accepted", "{} with byte {index} flipped", written.id);
            checked += 1;
        }
    }
    println!("library refused {checked} Python cookies with one bit flipped");
}

// --- vectors.json against the library (no Python needed) -------------------------

#[derive(Deserialize)]
struct Vectors {
    keys: Vec<KeyVector>,
    times: Vec<TimeVector>,
    base64url: Vec<Base64Vector>,
    mac_prefix: Vec<PrefixVector>,
    aad: Vec<AadVector>,
    schema_hashes: Vec<HashVector>,
    fingerprints: Vec<FingerprintVector>,
    fingerprint_steps: Steps,
    postcard: Vec<PostcardVector>,
    postcard_decode: Vec<DecodeVector>,
    cookies: Vec<CookieVector>,
    leaves: Vec<LeafVector>,
}

#[derive(Deserialize)]
struct KeyVector {
    secret: String,
    key_id: String,
    mac_key: String,
    aead_key: String,
}

#[derive(Deserialize)]
struct TimeVector {
    unix_ms: u64,
    wire_secs: u32,
}

#[derive(Deserialize)]
struct Base64Vector {
    text: String,
    bytes: Option<String>,
}

#[derive(Deserialize)]
struct PrefixVector {
    name: String,
    fingerprint: String,
    prefix: String,
}

#[derive(Deserialize)]
struct AadVector {
    name: String,
    fingerprint: String,
    header: String,
    aad: String,
}

#[derive(Deserialize)]
struct HashVector {
    rust: String,
    hash: String,
    max_len: usize,
}

#[derive(Deserialize)]
struct FingerprintVector {
    session: String,
    schema_hash: String,
    fingerprint: String,
    hint: String,
    max_payload_len: usize,
    max_cookie_len: usize,
}

#[derive(Deserialize)]
struct Steps {
    session: String,
    steps: Vec<Step>,
}

#[derive(Deserialize)]
struct Step {
    op: String,
    value: String,
}

#[derive(Deserialize)]
struct PostcardVector {
    rust: String,
    value: Box<RawValue>,
    bytes: String,
}

#[derive(Deserialize)]
struct DecodeVector {
    rust: String,
    bytes: String,
    #[serde(default)]
    value: Option<Box<RawValue>>,
    #[serde(default)]
    refused: bool,
}

#[derive(Deserialize)]
struct CookieVector {
    session: String,
    secret: String,
    created_ms: u64,
    issued_ms: u64,
    lifetime: u8,
    value: Box<RawValue>,
    payload: String,
    cookie: String,
    header: String,
    body: String,
    tag: String,
}

#[derive(Deserialize)]
struct LeafVector {
    text: String,
    leaf: String,
}

fn vectors() -> Vectors {
    let text = std::fs::read_to_string(interop_dir().join("vectors.json")).expect("vectors.json");
    serde_json::from_str(&text).expect("vectors.json parses")
}

fn fingerprint_hex(text: &str) -> u64 {
    u64::from_str_radix(text, 16).expect("16 hex digits")
}

fn hash_and_bound<T: MaxEncodedLen>() -> (u64, usize) {
    (T::SCHEMA_HASH, T::MAX_ENCODED_LEN)
}

/// The library's schema hash and bound of the type vectors.json calls `rust`.
fn library_hash(rust: &str) -> (u64, usize) {
    match rust {
        "u8" => hash_and_bound::<u8>(),
        "u16" => hash_and_bound::<u16>(),
        "u32" => hash_and_bound::<u32>(),
        "u64" => hash_and_bound::<u64>(),
        "u128" => hash_and_bound::<u128>(),
        "usize" => hash_and_bound::<usize>(),
        "i8" => hash_and_bound::<i8>(),
        "i16" => hash_and_bound::<i16>(),
        "i32" => hash_and_bound::<i32>(),
        "i64" => hash_and_bound::<i64>(),
        "i128" => hash_and_bound::<i128>(),
        "isize" => hash_and_bound::<isize>(),
        "bool" => hash_and_bound::<bool>(),
        "char" => hash_and_bound::<char>(),
        "f32" => hash_and_bound::<f32>(),
        "f64" => hash_and_bound::<f64>(),
        "()" => hash_and_bound::<()>(),
        "Duration" => hash_and_bound::<Duration>(),
        "NonZeroU8" => hash_and_bound::<std::num::NonZeroU8>(),
        "NonZeroI64" => hash_and_bound::<std::num::NonZeroI64>(),
        "PhantomData<u8>" => hash_and_bound::<PhantomData<u8>>(),
        "CsrfToken" => hash_and_bound::<CsrfToken>(),
        "Option<u32>" => hash_and_bound::<Option<u32>>(),
        "Option<Option<u8>>" => hash_and_bound::<Option<Option<u8>>>(),
        "Result<u8, BoundedString<4>>" => hash_and_bound::<Result<u8, BoundedString<4>>>(),
        "Box<u16>" => hash_and_bound::<Box<u16>>(),
        "[u8; 3]" => hash_and_bound::<[u8; 3]>(),
        "[u8; 32]" => hash_and_bound::<[u8; 32]>(),
        "[u16; 0]" => hash_and_bound::<[u16; 0]>(),
        "(u8,)" => hash_and_bound::<(u8,)>(),
        "(bool, char)" => hash_and_bound::<(bool, char)>(),
        "BoundedString<12>" => hash_and_bound::<BoundedString<12>>(),
        "BoundedString<200>" => hash_and_bound::<BoundedString<200>>(),
        "BoundedVec<u16, 8>" => hash_and_bound::<BoundedVec<u16, 8>>(),
        "BoundedVec<Line, 4>" => hash_and_bound::<BoundedVec<Line, 4>>(),
        "Flash<BoundedString<16>>" => hash_and_bound::<Flash<BoundedString<16>>>(),
        "Line" => hash_and_bound::<Line>(),
        "Theme" => hash_and_bound::<Theme>(),
        "Point" => hash_and_bound::<Point>(),
        "Cents" => hash_and_bound::<Cents>(),
        "Marker" => hash_and_bound::<Marker>(),
        "WithSkip" => hash_and_bound::<WithSkip>(),
        "Never" => hash_and_bound::<Never>(),
        other => panic!("vectors.json names a type this test does not map: {other}"),
    }
}

/// `value` (serde_json text) encodes to exactly `bytes` with postcard, and
/// `bytes` decode to it.
fn postcard_round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(
    value: &str,
    bytes: &[u8],
) {
    let typed: T = serde_json::from_str(value).expect("the value reads as its type");
    assert_eq!(
        postcard::to_allocvec(&typed).expect("encodes"),
        bytes,
        "{value}"
    );
    let back: T = postcard::from_bytes(bytes).expect("decodes");
    assert_eq!(back, typed, "{value}");
}

fn library_postcard(rust: &str) -> fn(&str, &[u8]) {
    match rust {
        "u8" => postcard_round_trip::<u8>,
        "i8" => postcard_round_trip::<i8>,
        "u16" => postcard_round_trip::<u16>,
        "i16" => postcard_round_trip::<i16>,
        "u32" => postcard_round_trip::<u32>,
        "u64" => postcard_round_trip::<u64>,
        "u128" => postcard_round_trip::<u128>,
        "i128" => postcard_round_trip::<i128>,
        "usize" => postcard_round_trip::<usize>,
        "isize" => postcard_round_trip::<isize>,
        "f32" => postcard_round_trip::<f32>,
        "f64" => postcard_round_trip::<f64>,
        "char" => postcard_round_trip::<char>,
        "bool" => postcard_round_trip::<bool>,
        "()" => postcard_round_trip::<()>,
        "Duration" => postcard_round_trip::<Duration>,
        "NonZeroU8" => postcard_round_trip::<std::num::NonZeroU8>,
        "Option<u32>" => postcard_round_trip::<Option<u32>>,
        "Result<u8, BoundedString<4>>" => postcard_round_trip::<Result<u8, BoundedString<4>>>,
        "[u8; 3]" => postcard_round_trip::<[u8; 3]>,
        "(bool, char)" => postcard_round_trip::<(bool, char)>,
        "BoundedString<12>" => postcard_round_trip::<BoundedString<12>>,
        "BoundedString<200>" => postcard_round_trip::<BoundedString<200>>,
        "BoundedVec<u16, 8>" => postcard_round_trip::<BoundedVec<u16, 8>>,
        "Flash<BoundedString<16>>" => postcard_round_trip::<Flash<BoundedString<16>>>,
        "Theme" => postcard_round_trip::<Theme>,
        "Line" => postcard_round_trip::<Line>,
        "Point" => postcard_round_trip::<Point>,
        "Cents" => postcard_round_trip::<Cents>,
        "Marker" => postcard_round_trip::<Marker>,
        "WithSkip" => postcard_round_trip::<WithSkip>,
        other => panic!("vectors.json names a type this test does not map: {other}"),
    }
}

/// `bytes` decode, with nothing left over, to `value` (serde_json text), or
/// are refused when `value` is `None`: the payload rules of the library.
fn postcard_decode<T: DeserializeOwned + PartialEq + Debug>(bytes: &[u8], value: Option<&str>) {
    let got = match postcard::take_from_bytes::<T>(bytes) {
        Ok((decoded, [])) => Some(decoded),
        _ => None,
    };
    let expected =
        value.map(|v| serde_json::from_str::<T>(v).expect("the value reads as its type"));
    assert_eq!(got, expected, "{}", hex(bytes));
}

fn library_decode(rust: &str) -> fn(&[u8], Option<&str>) {
    match rust {
        "Theme" => postcard_decode::<Theme>,
        "u16" => postcard_decode::<u16>,
        "u32" => postcard_decode::<u32>,
        "u64" => postcard_decode::<u64>,
        "bool" => postcard_decode::<bool>,
        "Option<u32>" => postcard_decode::<Option<u32>>,
        "NonZeroU8" => postcard_decode::<std::num::NonZeroU8>,
        "char" => postcard_decode::<char>,
        "BoundedString<12>" => postcard_decode::<BoundedString<12>>,
        "BoundedVec<u16, 8>" => postcard_decode::<BoundedVec<u16, 8>>,
        "Duration" => postcard_decode::<Duration>,
        other => panic!("vectors.json names a type this test does not map: {other}"),
    }
}

fn fingerprint_row<T: CookieSession>() -> (u64, u64, usize, usize) {
    (
        <T as MaxEncodedLen>::SCHEMA_HASH,
        T::SCHEMA_FINGERPRINT,
        T::MAX_PAYLOAD_LEN,
        T::MAX_COOKIE_LEN,
    )
}

fn library_fingerprint(session: &str) -> (u64, u64, usize, usize) {
    match session {
        "Demo" => fingerprint_row::<Demo>(),
        "Shop" => fingerprint_row::<Shop>(),
        "Kinds" => fingerprint_row::<Kinds>(),
        "Vault" => fingerprint_row::<Vault>(),
        "Tiny" => fingerprint_row::<Tiny>(),
        other => panic!("unknown session {other}"),
    }
}

/// The library reads the vector's cookie, at its issue time, as its value;
/// a signed standard cookie with created = issued is what `encode` writes.
fn library_reads_vector<T: Shape>(v: &CookieVector) {
    let secret = unhex(&v.secret);
    let clock = ManualClock::new(v.issued_ms);
    let config = SessionConfig::<T>::builder(Key::from_secret(&secret).expect("32 bytes"))
        .clock(clock.clone())
        .remember_me(REMEMBER_IDLE, REMEMBER_ABSOLUTE)
        .build()
        .expect("valid configuration");
    let expected: T = serde_json::from_str(v.value.get()).expect("value");
    assert_eq!(
        hex(&postcard::to_allocvec(&expected).expect("encodes")),
        v.payload,
        "{} payload",
        v.cookie
    );
    let raw = URL_SAFE_NO_PAD.decode(&v.cookie).expect("base64url");
    let nonce = if T::ENCRYPTED { 12 } else { 0 };
    assert_eq!(hex(&raw[..16]), v.header);
    assert_eq!(hex(&raw[16 + nonce..raw.len() - 16]), v.body);
    assert_eq!(hex(&raw[raw.len() - 16..]), v.tag);
    let session = config
        .decode(v.cookie.as_bytes())
        .unwrap_or_else(|reason| panic!("{} refused: {reason}", v.cookie));
    assert_eq!(*session, expected);
    assert_eq!(
        session.created_at().map(system_time_ms),
        Some(floor_secs(v.created_ms))
    );
    assert_eq!(
        session.issued_at().map(system_time_ms),
        Some(floor_secs(v.issued_ms))
    );
    assert_eq!(lifetime_byte(session.lifetime()), v.lifetime);
    if !T::ENCRYPTED && v.lifetime == 0 && v.created_ms == v.issued_ms {
        assert_eq!(config.encode(&expected).expect("encodes"), v.cookie);
    }
}

#[test]
fn vectors_match_the_library() {
    use hkdf::Hkdf;
    use session_tests::reference::{Binding, Mode};
    use sha2::Sha256;

    let v = vectors();
    for k in &v.keys {
        let secret = unhex(&k.secret);
        let key = Key::from_secret(&secret).expect("32 bytes or more");
        assert_eq!(key.id().to_string(), k.key_id);
        // The subkeys by the document's formulas (the library keeps its own
        // private; the cookies below prove it derives the same).
        let hkdf = Hkdf::<Sha256>::new(Some(b"session-runtime/v2/hkdf-salt"), &secret);
        for (info, expected) in [
            (
                &b"session-runtime/v2/cookie-mac/hmac-sha256"[..],
                &k.mac_key,
            ),
            (
                b"session-runtime/v2/cookie-aead/aes-256-gcm-siv",
                &k.aead_key,
            ),
        ] {
            let mut okm = [0u8; 32];
            hkdf.expand(info, &mut okm).expect("32 bytes");
            assert_eq!(&hex(&okm), expected);
        }
    }
    for t in &v.times {
        // The header's start time of a cookie written at that clock time; a
        // clock before the wire epoch is refused when the configuration is
        // built, so those vectors only say how the time would round.
        let clock = ManualClock::new(t.unix_ms);
        if t.unix_ms < 1_735_689_600_000 {
            let refused =
                SessionConfig::<Demo>::builder(Key::from_secret(SECRET).expect("32 bytes"))
                    .clock(clock.clone())
                    .build()
                    .map(|_| ());
            assert_eq!(
                refused,
                Err(session_runtime::ConfigError::ClockBeforeEpoch {
                    now_unix_ms: t.unix_ms
                })
            );
            continue;
        }
        let value = config::<Demo>(&clock)
            .encode(&Demo::default())
            .expect("encodes");
        let raw = URL_SAFE_NO_PAD.decode(value).expect("base64url");
        assert_eq!(&raw[7..11], &t.wire_secs.to_be_bytes(), "{}", t.unix_ms);
    }
    for b in &v.base64url {
        let clock = ManualClock::new(T0_MS);
        let kind = config::<Demo>(&clock)
            .decode(b.text.as_bytes())
            .map(|_| ())
            .map_err(|r| r.kind());
        let expected = if b.bytes.is_some() {
            Err("truncated") // accepted spellings, all shorter than a header
        } else {
            Err("not_base64")
        };
        assert_eq!(kind, expected, "{:?}", b.text);
    }
    for p in &v.mac_prefix {
        let binding = Binding {
            mode: Mode::Signed,
            name: &p.name,
            fingerprint: fingerprint_hex(&p.fingerprint),
        };
        assert_eq!(hex(&binding.mac_prefix()), p.prefix);
    }
    for a in &v.aad {
        let binding = Binding {
            mode: Mode::Encrypted,
            name: &a.name,
            fingerprint: fingerprint_hex(&a.fingerprint),
        };
        assert_eq!(hex(&binding.aad(&unhex(&a.header))), a.aad);
    }
    for h in &v.schema_hashes {
        let (hash, max_len) = library_hash(&h.rust);
        assert_eq!(format!("{hash:016x}"), h.hash, "schema hash of {}", h.rust);
        assert_eq!(max_len, h.max_len, "bound of {}", h.rust);
    }
    for f in &v.fingerprints {
        let (schema_hash, fingerprint, payload, cookie) = library_fingerprint(&f.session);
        assert_eq!(
            format!("{schema_hash:016x}"),
            f.schema_hash,
            "{}",
            f.session
        );
        assert_eq!(
            format!("{fingerprint:016x}"),
            f.fingerprint,
            "{}",
            f.session
        );
        assert_eq!(
            format!("{:04x}", fingerprint >> 48),
            f.hint,
            "{}",
            f.session
        );
        assert_eq!(payload, f.max_payload_len, "{}", f.session);
        assert_eq!(cookie, f.max_cookie_len, "{}", f.session);
    }
    let (schema_hash, fingerprint, ..) = library_fingerprint(&v.fingerprint_steps.session);
    let steps = &v.fingerprint_steps.steps;
    let h = steps
        .iter()
        .rev()
        .find(|s| s.op.starts_with("h = "))
        .expect("h");
    assert_eq!(h.value, format!("{schema_hash:016x}"), "last step of h");
    assert_eq!(
        steps.last().map(|s| s.value.clone()),
        Some(format!("{fingerprint:016x}"))
    );
    for p in &v.postcard {
        library_postcard(&p.rust)(p.value.get(), &unhex(&p.bytes));
    }
    for d in &v.postcard_decode {
        assert_eq!(d.refused, d.value.is_none(), "{} {}", d.rust, d.bytes);
        library_decode(&d.rust)(&unhex(&d.bytes), d.value.as_ref().map(|v| v.get()));
    }
    // The leaves the library's hashes show directly.
    for l in &v.leaves {
        let shown = match l.text.as_str() {
            "enum" => Some(hash_and_bound::<Never>().0),
            "PhantomData" => Some(hash_and_bound::<PhantomData<u8>>().0),
            _ => None,
        };
        if let Some(hash) = shown {
            assert_eq!(format!("{hash:016x}"), l.leaf, "leaf({:?})", l.text);
        }
    }
    for c in &v.cookies {
        match c.session.as_str() {
            "Demo" => library_reads_vector::<Demo>(c),
            "Shop" => library_reads_vector::<Shop>(c),
            "Kinds" => library_reads_vector::<Kinds>(c),
            "Vault" => library_reads_vector::<Vault>(c),
            "Tiny" => library_reads_vector::<Tiny>(c),
            other => panic!("unknown session {other}"),
        }
    }
}

/// Every number docs/wire-format.md quotes comes from vectors.json (which the
/// test above checks against the library), so the page cannot go stale.
#[test]
fn the_document_quotes_the_vectors() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/wire-format.md"),
    )
    .expect("docs/wire-format.md");
    let text = std::fs::read_to_string(interop_dir().join("vectors.json")).expect("vectors.json");
    let v = vectors();
    // Every run of 16 or more lowercase hex digits (hashes, fingerprints,
    // tags, ciphertexts), except constants written as `0x…`.
    let bytes = doc.as_bytes();
    let mut quoted = 0;
    let mut at = 0;
    while at < bytes.len() {
        let hex_digit = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if !hex_digit(bytes[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && hex_digit(bytes[at]) {
            at += 1;
        }
        let run = &doc[start..at];
        let word = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let end = at == bytes.len() || !bytes[at].is_ascii_alphanumeric();
        if run.len() >= 16 && word && end {
            assert!(
                text.contains(run),
                "docs/wire-format.md quotes {run}, which vectors.json lacks"
            );
            quoted += 1;
        }
    }
    assert!(quoted >= 30, "only {quoted} numbers quoted");
    // The tables' rows carry the vectors' sizes.
    let row_of = |needle: &str| {
        doc.lines()
            .find(|line| line.starts_with('|') && line.contains(needle))
            .map(str::to_owned)
    };
    for f in &v.fingerprints {
        let row = row_of(&format!("`{}`", f.fingerprint))
            .unwrap_or_else(|| panic!("no table row for {}", f.session));
        assert!(row.starts_with(&format!("| `{}` (", f.session)), "{row}");
        assert!(
            row.ends_with(&format!("| {} | {} |", f.max_payload_len, f.max_cookie_len)),
            "{row}"
        );
    }
    let mut rows = 0;
    for h in &v.schema_hashes {
        if let Some(row) = row_of(&format!("`{}`", h.hash)) {
            assert!(row.contains(&h.rust), "{row} is not {}", h.rust);
            assert!(row.ends_with(&format!("| {} |", h.max_len)), "{row}");
            rows += 1;
        }
    }
    assert!(rows >= 10, "only {rows} schema hash rows");
    for c in &v.cookies {
        if c.session == "Demo" || c.session == "Vault" {
            assert!(
                doc.contains(&format!("VALUE        {}", c.cookie)),
                "{}",
                c.cookie
            );
        }
    }
    let demo = &v.cookies[0];
    assert_eq!(
        include_str!("../docs/wire-format-example.txt").trim(),
        demo.cookie,
        "the worked example"
    );
}
