//! Shared code of the fuzz targets (docs/adversarial.md).
//!
//! Every target is differential: an independent reference decoder, written
//! from `docs/wire-format.md` (its own strict base64url, its own HKDF
//! subkeys, HMAC-SHA-256-128 tag and AES-256-GCM-SIV opening, the documented
//! check order), must name the same `Rejection::kind()` as
//! `session-runtime` for every input, or accept exactly when it accepts, with
//! the same data. Nothing may panic (the fuzz profile keeps debug assertions
//! and overflow checks on).
//!
//! The signed shapes are `AppSession` and `ShopSession` from
//! `tests/support/lib.rs` (crate `session_tests`), so cookies written by the
//! tests are valid seeds here; [`EncSession`] is an encrypted shape. The
//! reference decoder and forger are `session_tests::reference`.

use std::fmt::Debug;
use std::sync::OnceLock;

use arbitrary::{Result, Unstructured};
use session_runtime::limits::{MAX_CANDIDATE_COOKIES, MAX_VERIFIED_CANDIDATES};
use session_runtime::{
    BoundedString, BoundedVec, CookieSession, LoadStatus, ManualClock, SessionConfig,
};
pub use session_tests::reference::{
    check_times, decode_payload, open, reference_base64, secs, Binding, Forger, Header, Lifetimes,
    Mode, TimeLimits, Timeouts,
};
pub use session_tests::{AppSession, CartLine, ShopSession, Theme, T0_MS};

/// An encrypted (AES-256-GCM-SIV) session shape.
#[derive(
    session_runtime::CookieSession,
    serde::Serialize,
    serde::Deserialize,
    Default,
    Debug,
    Clone,
    PartialEq,
)]
#[session(name = "__Host-enc", version = 3, encrypted)]
pub struct EncSession {
    /// An optional id.
    pub user_id: Option<u64>,
    /// A bounded string.
    pub email: BoundedString<40>,
    /// A bounded list.
    pub roles: BoundedVec<u16, 4>,
}

/// The signing secret (`key(1)` in the tests).
pub const SECRET: [u8; 32] = [1; 32];
/// A secret the configurations do not know.
pub const OTHER_SECRET: [u8; 32] = [2; 32];

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

impl Shape for EncSession {
    fn config() -> &'static SessionConfig<Self> {
        static CONFIG: OnceLock<SessionConfig<EncSession>> = OnceLock::new();
        CONFIG.get_or_init(build)
    }

    fn arbitrary_data(u: &mut Unstructured) -> Result<Self> {
        Ok(EncSession {
            user_id: u.arbitrary()?,
            email: bounded_string(u)?,
            roles: bounded_vec(u, |u| u.arbitrary())?,
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

// --- the reference forger and decoder (session_tests::reference) -----------

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

/// A genuine header for `T` at [`T0_MS`] with the current key.
pub fn genuine<T: CookieSession>() -> Header {
    Header::new::<T>(current().key_id, T0_MS)
}

/// A validly signed cookie value for `T` with this header and payload.
pub fn forge<T: CookieSession>(header: &Header, payload: &[u8]) -> String {
    current().forge(&Binding::of::<T>(), header, payload)
}

/// The documented decode order for `T` under [`Shape::config`] at [`T0_MS`]:
/// the decoded data, or the kind of the first check that fails.
pub fn reference<T: Shape>(value: &[u8]) -> std::result::Result<T, &'static str> {
    match reference_candidate::<T>(value) {
        Candidate::Forged(kind) => Err(kind),
        Candidate::Authentic { result, .. } => result,
    }
}

/// One cookie value as the load path sees it among several: forged (a
/// check before the MAC, or the MAC, failed; nothing of it is trusted), or
/// authentic, with its rank and the outcome of the checks after the MAC.
pub enum Candidate<T> {
    /// Refused before or at the MAC.
    Forged(&'static str),
    /// The MAC verified.
    Authentic {
        /// `(created, start_seq, issued)` (docs/lifecycle.md, "Load").
        rank: (u32, u8, u32),
        /// The session, or the reason a check after the MAC gave.
        result: std::result::Result<T, &'static str>,
    },
}

/// Judges one cookie value as a candidate (see [`Candidate`]).
pub fn reference_candidate<T: Shape>(value: &[u8]) -> Candidate<T> {
    let max_value_len = T::MAX_COOKIE_LEN.min(T::BUDGET).min(4096) - T::NAME.len();
    let (header, payload) = match open(
        value,
        max_value_len,
        Mode::of::<T>(),
        T::NAME,
        std::slice::from_ref(current()),
        |version| (version == T::VERSION).then_some(T::SCHEMA_FINGERPRINT),
    ) {
        Ok(opened) => opened,
        Err(kind) => return Candidate::Forged(kind),
    };
    let result = (|| {
        // Standard and browser session declared (default timeouts), no remember me.
        let timeouts = Lifetimes::defaults().check(&header)?;
        check_times(&header, &TimeLimits::at(T0_MS, timeouts))?;
        decode_payload::<T>(&payload).ok_or("payload")
    })();
    Candidate::Authentic {
        rank: header.rank(),
        result,
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

/// Loads from raw `Cookie` header values as docs/lifecycle.md ("Load")
/// describes: of at most `MAX_CANDIDATE_COOKIES` candidates, those failing a
/// cheap check (length, base64url, truncated, format, key id, version) cost
/// nothing, the others take one of `MAX_VERIFIED_CANDIDATES` MAC checks (the
/// rest are skipped unreported). The authentic candidate with the highest
/// `(created, start_seq, issued)` decides, the earlier on a tie: its session
/// if it passed every check, else a fresh session refused with its reason.
/// With no authentic candidate: the first forged candidate's rejection, else
/// `Missing`.
pub fn check_headers<T: Shape>(headers: &[&[u8]]) {
    const CHEAP: [&str; 6] = [
        "too_long",
        "not_base64",
        "truncated",
        "unknown_format",
        "unknown_key",
        "wrong_version",
    ];
    let session = T::config().load_cookies(headers.iter().copied());
    let candidates = reference_candidates(headers, T::NAME);
    let mut first_forged = None;
    let mut macs_left = MAX_VERIFIED_CANDIDATES;
    let mut deciding: Option<((u32, u8, u32), std::result::Result<T, &'static str>)> = None;
    for value in candidates.iter().take(MAX_CANDIDATE_COOKIES) {
        let candidate = reference_candidate::<T>(value);
        let cheap = matches!(&candidate, Candidate::Forged(kind) if CHEAP.contains(kind));
        if !cheap {
            if macs_left == 0 {
                continue;
            }
            macs_left -= 1;
        }
        match candidate {
            Candidate::Authentic { rank, result } => {
                if deciding.as_ref().is_none_or(|(seen, _)| rank > *seen) {
                    deciding = Some((rank, result));
                }
            }
            Candidate::Forged(kind) => {
                first_forged.get_or_insert(kind);
            }
        }
    }
    let refused = match deciding {
        Some((_, Ok(data))) => {
            assert_eq!(session.status(), &LoadStatus::Valid);
            assert_eq!(*session, data);
            return;
        }
        Some((_, Err(kind))) => Some(kind),
        None => first_forged,
    };
    match refused {
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
    let mut header = genuine::<T>();
    if u.ratio(1, 16)? {
        header.format = u.arbitrary()?;
    }
    if u.ratio(1, 16)? {
        header.key_id = if u.arbitrary()? {
            other().key_id
        } else {
            u.arbitrary()?
        };
    }
    if u.ratio(1, 16)? {
        header.version = u.arbitrary()?;
    }
    if u.ratio(1, 16)? {
        header.hint = u.arbitrary()?;
    }
    if u.ratio(1, 8)? {
        // Mostly the declared lifetimes (0, 1), then remember me (not
        // declared by these configurations) and junk.
        header.lifetime = u.int_in_range(0..=3)?;
        if header.lifetime == 3 {
            header.lifetime = u.arbitrary()?;
        }
    }
    // Timestamps: around now, the skew, the idle and the absolute deadlines
    // (seconds on the wire).
    let day = 86_400i64;
    let interesting = [
        0,
        1,
        -1,
        60,
        61,
        -day,
        -day - 1,
        -7 * day,
        -7 * day - 1,
        day,
    ];
    let now = i64::from(secs(T0_MS));
    for field in [&mut header.created, &mut header.issued] {
        let offset: i64 = match u.int_in_range(0..=3u8)? {
            0 => 0,
            1 => interesting[u.choose_index(interesting.len())?],
            2 => u.int_in_range(-8 * day..=2 * day)?,
            _ => {
                *field = u.arbitrary()?;
                continue;
            }
        };
        *field = u32::try_from(now + offset).expect("within 2025..2161");
    }
    Ok(header)
}
