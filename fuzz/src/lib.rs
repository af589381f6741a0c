//! Shared code of the fuzz targets (issue #4).
//!
//! Every target is differential: an independent reference decoder, written
//! from `docs/wire-format.md` (its own strict base64url, its own HKDF/HMAC tag,
//! the documented check order), must name the same `Rejection::kind()` as
//! `session-runtime` for every input, or accept exactly when it accepts, with
//! the same data. Nothing may panic (the fuzz profile keeps debug assertions
//! and overflow checks on).
//!
//! The two shapes are copies of `AppSession` and `ShopSession` from
//! `tests/support/lib.rs` (same names, versions and fields, hence the same
//! fingerprints), so cookies written by the tests are valid seeds here.

use std::fmt::Debug;
use std::sync::OnceLock;

use arbitrary::{Result, Unstructured};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use session_runtime::{
    BoundedString, BoundedVec, CookieSession, LoadStatus, ManualClock, MaxEncodedLen,
    SessionConfig, DEFAULT_ABSOLUTE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CLOCK_SKEW,
    HEADER_LEN, MAX_CANDIDATE_COOKIES, TAG_LEN,
};

/// The fuzz clock: 2026-11-26T00:00:00Z, like the tests.
pub const T0_MS: u64 = 1_795_651_200_000;
/// The signing secret (`key(1)` in the tests).
pub const SECRET: [u8; 32] = [1; 32];
/// A secret the configurations do not know.
pub const OTHER_SECRET: [u8; 32] = [2; 32];
/// Shortest envelope: header and tag.
pub const MIN_RAW_LEN: usize = HEADER_LEN + TAG_LEN;

// --- the two session shapes ---------------------------------------------------

/// The design document's example session.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-app", version = 2)]
pub struct AppSession {
    pub user_id: Option<u64>,
    pub display_name: BoundedString<32>,
    pub roles: BoundedVec<u16, 8>,
    pub csrf: [u8; 32],
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

fn bounded_string<const N: usize>(u: &mut Unstructured) -> Result<BoundedString<N>> {
    Ok(BoundedString::truncating(u.arbitrary::<&str>()?))
}

fn bounded_vec<T, const N: usize>(
    u: &mut Unstructured,
    mut item: impl FnMut(&mut Unstructured) -> Result<T>,
) -> Result<BoundedVec<T, N>> {
    let mut out = BoundedVec::new();
    for _ in 0..u.int_in_range(0..=N)? {
        if out.try_push(item(u)?).is_err() {
            break;
        }
    }
    Ok(out)
}

/// A session type under fuzz: its configuration and arbitrary valid data.
pub trait Shape: CookieSession + Clone + PartialEq + Debug {
    /// Signs with [`SECRET`], clock fixed at [`T0_MS`], default timeouts.
    fn config() -> &'static SessionConfig<Self>;
    /// Arbitrary data within the type's bounds.
    fn arbitrary_data(u: &mut Unstructured) -> Result<Self>;
}

fn build<T: CookieSession>() -> SessionConfig<T> {
    SessionConfig::<T>::builder(session_runtime::Key::from_secret(&SECRET).unwrap())
        .clock(ManualClock::new(T0_MS))
        .build()
        .unwrap()
}

impl Shape for AppSession {
    fn config() -> &'static SessionConfig<Self> {
        static CONFIG: OnceLock<SessionConfig<AppSession>> = OnceLock::new();
        CONFIG.get_or_init(build)
    }

    fn arbitrary_data(u: &mut Unstructured) -> Result<Self> {
        Ok(AppSession {
            user_id: u.arbitrary()?,
            display_name: bounded_string(u)?,
            roles: bounded_vec(u, |u| u.arbitrary())?,
            csrf: u.arbitrary()?,
        })
    }
}

impl Shape for ShopSession {
    fn config() -> &'static SessionConfig<Self> {
        static CONFIG: OnceLock<SessionConfig<ShopSession>> = OnceLock::new();
        CONFIG.get_or_init(build)
    }

    fn arbitrary_data(u: &mut Unstructured) -> Result<Self> {
        let theme = match u.int_in_range(0..=2u8)? {
            0 => Theme::Light,
            1 => Theme::Dark,
            _ => Theme::Custom {
                accent: u.arbitrary()?,
                name: bounded_string(u)?,
            },
        };
        Ok(ShopSession {
            user_id: u.arbitrary()?,
            name: bounded_string(u)?,
            theme,
            cart: bounded_vec(u, |u| {
                Ok(CartLine {
                    sku: u.arbitrary()?,
                    quantity: u.arbitrary()?,
                })
            })?,
            locale: bounded_string(u)?,
            last_seen: u.arbitrary()?,
            flags: u.arbitrary()?,
        })
    }
}

// --- an independent tag and header (docs/wire-format.md) ---------------------

/// The HKDF-derived subkeys of one secret.
pub struct Forger {
    pub key_id: [u8; 4],
    mac_key: [u8; 32],
}

impl Forger {
    pub fn new(secret: &[u8]) -> Forger {
        use hkdf::Hkdf;
        use sha2::Sha256;
        let hkdf = Hkdf::<Sha256>::new(Some(b"session-runtime/v1/hkdf-salt"), secret);
        let mut mac_key = [0; 32];
        let mut key_id = [0; 4];
        hkdf.expand(b"session-runtime/v1/cookie-mac/hmac-sha256", &mut mac_key)
            .unwrap();
        hkdf.expand(b"session-runtime/v1/key-id", &mut key_id)
            .unwrap();
        Forger { key_id, mac_key }
    }

    /// The forger for [`SECRET`].
    pub fn current() -> &'static Forger {
        static FORGER: OnceLock<Forger> = OnceLock::new();
        FORGER.get_or_init(|| Forger::new(&SECRET))
    }

    /// The forger for [`OTHER_SECRET`].
    pub fn other() -> &'static Forger {
        static FORGER: OnceLock<Forger> = OnceLock::new();
        FORGER.get_or_init(|| Forger::new(&OTHER_SECRET))
    }

    pub fn tag(&self, name: &str, header: &[u8], payload: &[u8]) -> [u8; 32] {
        use hmac::{Hmac, KeyInit, Mac};
        use sha2::Sha256;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.mac_key).unwrap();
        mac.update(b"session-runtime/v1/cookie\0");
        mac.update(&(name.len() as u16).to_be_bytes());
        mac.update(name.as_bytes());
        mac.update(header);
        mac.update(payload);
        mac.finalize().into_bytes().into()
    }

    /// `header ‖ payload ‖ tag`.
    pub fn seal(&self, name: &str, header: &Header, payload: &[u8]) -> Vec<u8> {
        let header = header.to_bytes();
        let mut raw = header.to_vec();
        raw.extend_from_slice(payload);
        raw.extend_from_slice(&self.tag(name, &header, payload));
        raw
    }

    /// Recomputes the tag of an envelope in place (header and payload as
    /// they are now); envelopes shorter than header + tag are left alone.
    pub fn resign(&self, name: &str, raw: &mut [u8]) {
        if raw.len() < MIN_RAW_LEN {
            return;
        }
        let end = raw.len() - TAG_LEN;
        let tag = self.tag(name, &raw[..HEADER_LEN], &raw[HEADER_LEN..end]);
        raw[end..].copy_from_slice(&tag);
    }
}

/// The 27-byte header, field by field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub format: u8,
    pub key_id: [u8; 4],
    pub version: u16,
    pub fingerprint: u64,
    pub created_ms: u64,
    pub issued_ms: u64,
}

impl Header {
    /// A genuine header for `T` at [`T0_MS`] with the current key.
    pub fn genuine<T: CookieSession>() -> Header {
        Header {
            format: 0x01,
            key_id: Forger::current().key_id,
            version: T::VERSION,
            fingerprint: T::SCHEMA_FINGERPRINT,
            created_ms: T0_MS,
            issued_ms: T0_MS,
        }
    }

    pub fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut out = [0; HEADER_LEN];
        out[0] = self.format;
        out[1..5].copy_from_slice(&self.key_id);
        out[5..7].copy_from_slice(&self.version.to_be_bytes());
        out[7..15].copy_from_slice(&self.fingerprint.to_be_bytes());
        out[15..21].copy_from_slice(&(self.created_ms & 0xffff_ffff_ffff).to_be_bytes()[2..]);
        out[21..27].copy_from_slice(&(self.issued_ms & 0xffff_ffff_ffff).to_be_bytes()[2..]);
        out
    }

    pub fn parse(bytes: &[u8]) -> Header {
        let u48 = |at: usize| {
            let mut wide = [0; 8];
            wide[2..].copy_from_slice(&bytes[at..at + 6]);
            u64::from_be_bytes(wide)
        };
        Header {
            format: bytes[0],
            key_id: bytes[1..5].try_into().unwrap(),
            version: u16::from_be_bytes([bytes[5], bytes[6]]),
            fingerprint: u64::from_be_bytes(bytes[7..15].try_into().unwrap()),
            created_ms: u48(15),
            issued_ms: u48(21),
        }
    }
}

/// A validly signed cookie value for `T` with this header and payload.
pub fn forge<T: CookieSession>(header: &Header, payload: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Forger::current().seal(T::NAME, header, payload))
}

// --- the reference decoder ----------------------------------------------------

/// Strict RFC 4648 §5 base64url without padding, independent of the `base64`
/// crate: alphabet only, no dangling 1-character group, zero trailing bits.
pub fn reference_base64(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text {
        let sextet = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(sextet);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (acc == 0).then_some(out)
}

/// The documented decode order for `T` under [`Shape::config`] at [`T0_MS`]:
/// the decoded data, or the kind of the first check that fails.
pub fn reference<T: Shape>(value: &[u8]) -> std::result::Result<T, &'static str> {
    let max_value_len = T::MAX_COOKIE_LEN.min(T::BUDGET).min(4096) - T::NAME.len();
    if value.len() > max_value_len {
        return Err("too_long");
    }
    let raw = reference_base64(value).ok_or("not_base64")?;
    if raw.len() < MIN_RAW_LEN {
        return Err("truncated");
    }
    let header = Header::parse(&raw[..HEADER_LEN]);
    if header.format != 0x01 {
        return Err("unknown_format");
    }
    if header.key_id != Forger::current().key_id {
        return Err("unknown_key");
    }
    let (payload, tag) = raw[HEADER_LEN..].split_at(raw.len() - MIN_RAW_LEN);
    if Forger::current().tag(T::NAME, &raw[..HEADER_LEN], payload) != tag {
        return Err("bad_signature");
    }
    if header.version != T::VERSION {
        return Err("wrong_version");
    }
    if header.fingerprint != T::SCHEMA_FINGERPRINT {
        return Err("schema_mismatch");
    }
    let now = T0_MS;
    if header.issued_ms > now + DEFAULT_MAX_CLOCK_SKEW.as_millis() as u64 {
        return Err("issued_in_future");
    }
    if header.created_ms > header.issued_ms {
        return Err("inconsistent_timestamps");
    }
    if now.saturating_sub(header.created_ms) > DEFAULT_ABSOLUTE_TIMEOUT.as_millis() as u64 {
        return Err("absolute_expired");
    }
    if now.saturating_sub(header.issued_ms) > DEFAULT_IDLE_TIMEOUT.as_millis() as u64 {
        return Err("idle_expired");
    }
    match postcard::take_from_bytes::<T>(payload) {
        Ok((data, [])) => Ok(data),
        _ => Err("payload"),
    }
}

/// Decodes `value` with the runtime and the reference; they must agree. An
/// accepted cookie must re-encode within the type's bounds to the same data.
/// Returns whether it was accepted.
pub fn check_value<T: Shape>(value: &[u8]) -> bool {
    let config = T::config();
    let got = config.decode(value);
    let expected = reference::<T>(value);
    match (got, expected) {
        (Ok(session), Ok(data)) => {
            assert_eq!(*session, data, "decoded data differs");
            assert_eq!(session.status(), &LoadStatus::Valid);
            let again = config
                .encode(&data)
                .expect("accepted data re-encodes within its bounds");
            assert!(T::NAME.len() + again.len() <= T::MAX_COOKIE_LEN);
            assert_eq!(*config.decode(again.as_bytes()).unwrap(), data);
            true
        }
        (Err(reason), Err(kind)) => {
            assert_eq!(
                reason.kind(),
                kind,
                "runtime says {reason:?}, reference says {kind}"
            );
            false
        }
        (Ok(_), Err(kind)) => panic!("runtime accepted what the reference rejects as {kind}"),
        (Err(reason), Ok(_)) => panic!("runtime rejected as {reason:?} what the reference accepts"),
    }
}

/// RFC 6265 §5.4 pairs as documented: split on `;`, trim SP/HTAB around the
/// pair, name up to the first `=`, compared exactly; the value verbatim.
pub fn reference_candidates<'a>(headers: &[&'a [u8]], name: &str) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    for header in headers {
        for pair in header.split(|&b| b == b';') {
            let start = pair.iter().position(|&b| b != b' ' && b != b'\t');
            let end = pair.iter().rposition(|&b| b != b' ' && b != b'\t');
            let (Some(start), Some(end)) = (start, end) else {
                continue;
            };
            let pair = &pair[start..=end];
            if let Some(eq) = pair.iter().position(|&b| b == b'=') {
                if &pair[..eq] == name.as_bytes() {
                    out.push(&pair[eq + 1..]);
                }
            }
        }
    }
    out
}

/// Loads from raw `Cookie` header values: the first of at most
/// `MAX_CANDIDATE_COOKIES` candidates that the reference accepts wins, else the
/// first candidate's rejection, else `Missing`.
pub fn check_headers<T: Shape>(headers: &[&[u8]]) {
    let session = T::config().load_from_cookie_headers(headers.iter().copied());
    let candidates = reference_candidates(headers, T::NAME);
    let mut first_kind = None;
    for value in candidates.iter().take(MAX_CANDIDATE_COOKIES) {
        match reference::<T>(value) {
            Ok(data) => {
                assert_eq!(session.status(), &LoadStatus::Valid);
                assert_eq!(*session, data);
                return;
            }
            Err(kind) => {
                first_kind.get_or_insert(kind);
            }
        }
    }
    match first_kind {
        None => assert_eq!(session.status(), &LoadStatus::Missing),
        Some(kind) => {
            assert_eq!(session.rejection().map(|r| r.kind()), Some(kind));
            assert!(session.is_new());
            assert_eq!(*session, T::default());
        }
    }
}

// --- structure-aware mutation of a valid cookie ---------------------------------

/// Edits applied to the decoded envelope or to the cookie text.
#[derive(arbitrary::Arbitrary, Debug)]
pub enum Edit {
    Flip { at: u16, bit: u8 },
    Set { at: u16, value: u8 },
    Insert { at: u16, bytes: Vec<u8> },
    Remove { at: u16, len: u8 },
    Truncate { len: u16 },
    Append { bytes: Vec<u8> },
    Swap { a: u16, b: u16 },
}

impl Edit {
    pub fn apply(&self, bytes: &mut Vec<u8>) {
        let len = bytes.len();
        let at = |i: u16| if len == 0 { 0 } else { usize::from(i) % len };
        match self {
            Edit::Flip { at: i, bit } if len > 0 => bytes[at(*i)] ^= 1 << (bit % 8),
            Edit::Set { at: i, value } if len > 0 => bytes[at(*i)] = *value,
            Edit::Insert { at: i, bytes: new } => {
                let i = if len == 0 {
                    0
                } else {
                    usize::from(*i) % (len + 1)
                };
                bytes.splice(i..i, new.iter().copied().take(64));
            }
            Edit::Remove { at: i, len: n } if len > 0 => {
                let i = at(*i);
                let end = (i + usize::from(*n)).min(len);
                bytes.drain(i..end);
            }
            Edit::Truncate { len: n } => bytes.truncate(usize::from(*n)),
            Edit::Append { bytes: new } => bytes.extend(new.iter().copied().take(64)),
            Edit::Swap { a, b } if len > 0 => bytes.swap(at(*a), at(*b)),
            _ => {}
        }
    }
}

/// A header derived from the genuine one: usually genuine, sometimes with a
/// field replaced, timestamps moved around the timeout boundaries.
pub fn arbitrary_header<T: CookieSession>(u: &mut Unstructured) -> Result<Header> {
    let mut header = Header::genuine::<T>();
    if u.ratio(1, 16)? {
        header.format = u.arbitrary()?;
    }
    if u.ratio(1, 16)? {
        header.key_id = if u.arbitrary()? {
            Forger::other().key_id
        } else {
            u.arbitrary()?
        };
    }
    if u.ratio(1, 16)? {
        header.version = u.arbitrary()?;
    }
    if u.ratio(1, 16)? {
        header.fingerprint = u.arbitrary()?;
    }
    // Timestamps: around now, the skew, the idle and the absolute deadlines.
    let day = 86_400_000i64;
    let interesting = [
        0,
        1,
        -1,
        60_000,
        60_001,
        -day,
        -day - 1,
        -7 * day,
        -7 * day - 1,
        day,
    ];
    for field in [&mut header.created_ms, &mut header.issued_ms] {
        let offset: i64 = match u.int_in_range(0..=3u8)? {
            0 => 0,
            1 => interesting[u.choose_index(interesting.len())?],
            2 => u.int_in_range(-8 * day..=2 * day)?,
            _ => {
                *field = u.int_in_range(0..=(1u64 << 48) - 1)?;
                continue;
            }
        };
        *field = T0_MS.wrapping_add_signed(offset);
    }
    Ok(header)
}
