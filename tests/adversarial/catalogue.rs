//! The mutation catalogue: every category of hostile cookie derived from one
//! genuine cookie, run unchanged on signed and encrypted shapes. Where the
//! envelopes differ (tag vs nonce and AEAD tag) the reference's [`Mode`]
//! says how; forged cases are sealed by the reference forger in the shape's
//! own mode.

use std::fmt::Debug;
use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
use base64::Engine as _;
use session_runtime::defaults::{ABSOLUTE_TIMEOUT, IDLE_TIMEOUT};
use session_runtime::{CookieSession, LoadStatus, ManualClock, SessionConfig};
use session_tests::reference::{
    b64, changed_byte_reason, hint, reference_base64, secs, v1, Binding, Forger, Header, Mode,
    ALPHABET, HEADER_LEN, HINT_AT, KEY_ID_AT, KEY_ID_LEN, LIFETIME_AT, LIFETIME_BROWSER_SESSION,
    LIFETIME_REMEMBER_ME, NONCE_LEN, VERSION_AT,
};
use session_tests::{config_on, issue, key, secret, T0_MS};

use crate::ctx::{Ctx, REMEMBER_ABSOLUTE, REMEMBER_IDLE};
use crate::report::Report;

/// Hostile payloads of the current version: (what, postcard bytes).
pub type Hostile = Vec<(&'static str, Vec<u8>)>;
/// Hostile payloads of an older version: (version, what, postcard bytes).
pub type OlderHostile = Vec<(u16, &'static str, Vec<u8>)>;

/// One genuine cookie of a shape and everything derived from it.
struct Suite<'a, T: CookieSession> {
    ctx: &'a Ctx<T>,
    report: &'a mut Report,
    data: T,
    /// The genuine cookie value.
    value: String,
    /// Its decoded bytes.
    raw: Vec<u8>,
    /// Its payload (decrypted, in encrypted mode).
    payload: Vec<u8>,
    /// Over 300 characters: positions are sampled.
    big: bool,
}

impl<T: CookieSession + Clone + PartialEq + Debug> Suite<'_, T> {
    fn case(&mut self, category: &str, value: &[u8], expected: Option<&str>) {
        self.report.case(self.ctx, category, value, expected);
    }

    /// A validly sealed cookie for this shape with `header` and `payload`.
    fn forge(&self, header: Header, payload: &[u8]) -> String {
        self.ctx.forge(header, payload)
    }

    /// A case: the shape's payload validly sealed under the current header
    /// changed by `edit`, refused with `expected`.
    fn sealed_case(&mut self, category: &str, edit: impl FnOnce(&mut Header), expected: &str) {
        let mut header = self.header();
        edit(&mut header);
        let forged = self.forge(header, &self.payload);
        self.case(category, forged.as_bytes(), Some(expected));
    }

    /// A case refused as `too_long` when `value` is over the type's length
    /// cap (checked first), else with `otherwise`; says whether it was over.
    fn capped_case(&mut self, category: &str, value: &str, otherwise: &str) -> bool {
        let too_long = value.len() > self.ctx.max_value_len();
        let expected = if too_long { "too_long" } else { otherwise };
        self.case(category, value.as_bytes(), Some(expected));
        too_long
    }

    /// A header issued now by the current key.
    fn header(&self) -> Header {
        self.ctx.header()
    }

    /// Positions of a `len`-byte string to mutate: all of them for a small
    /// cookie; for a big one, every position within 64 of either end plus
    /// every `stride`-th (a case costs a MAC over up to 3 KB, and debug
    /// builds hash at ~10 MB/s).
    fn sample(&self, len: usize, stride: usize) -> Vec<usize> {
        (0..len)
            .filter(|&i| !self.big || i < 64 || i >= len - 64 || i % stride == 0)
            .collect()
    }
}

/// The reason for the genuine envelope changed at byte `i` into `m` (not
/// re-sealed): [`changed_byte_reason`], except that a version byte turned
/// into another version this configuration reads reaches the MAC.
fn changed_reason<T: CookieSession + Clone + PartialEq + Debug>(
    ctx: &Ctx<T>,
    i: usize,
    m: &[u8],
) -> &'static str {
    let header = Header::parse(m);
    if (VERSION_AT..HINT_AT).contains(&i) {
        if let Some(reason) = ctx.mac_reason(header.version, header.hint, T::SCHEMA_FINGERPRINT) {
            return reason;
        }
    }
    changed_byte_reason(i)
}

fn sampled(n: usize, of: usize) -> String {
    if n == of {
        "exhaustive".to_owned()
    } else {
        format!("sampled: {n} of {of} positions")
    }
}

/// Runs the whole catalogue against one shape and returns its table (the
/// caller may add mode-specific categories before `finish`). `hostile` are
/// payloads (validly sealed) that must fail to decode as `T`; `older_hostile`
/// the same for the versions `ctx` migrates from.
pub fn run_catalogue<T: CookieSession + Clone + PartialEq + Debug>(
    ctx: &Ctx<T>,
    data: T,
    hostile: Hostile,
    older_hostile: OlderHostile,
) -> Report {
    let mode = ctx.mode();
    let mut report = Report::new(&format!(
        "{} (`{}`, {}, max cookie {} bytes)",
        ctx.label,
        T::NAME,
        match mode {
            Mode::Signed => "signed",
            Mode::Encrypted => "encrypted",
        },
        T::MAX_COOKIE_LEN
    ));
    let value = issue(&ctx.config, data.clone());
    let raw = reference_base64(value.as_bytes()).expect("canonical base64url");
    let payload = ctx.keys[0]
        .unseal(&Binding::of::<T>(), &raw)
        .expect("the reference opens the genuine cookie");

    // Sanity: the runtime and the reference accept the genuine cookie, and the
    // independent forger reproduces the runtime's bytes exactly (in encrypted
    // mode, given the runtime's random nonce).
    assert_eq!(*ctx.config.decode(value.as_bytes()).unwrap(), data);
    assert_eq!(ctx.reference(value.as_bytes()), Ok(()));
    let mut exact = ctx.keys[0].clone();
    if mode == Mode::Encrypted {
        exact.nonce = raw[HEADER_LEN..HEADER_LEN + NONCE_LEN].try_into().unwrap();
    }
    assert_eq!(
        exact.forge(&Binding::of::<T>(), &ctx.header(), &payload),
        value
    );
    assert_eq!(postcard::to_allocvec(&data).unwrap(), payload);
    if T::MAX_COOKIE_LEN == 4096 {
        assert_eq!(
            T::NAME.len() + value.len(),
            4096,
            "at-budget cookie is at the limit"
        );
    }
    let big = value.len() > 300;
    if big {
        // One in 8 cases is replayed through a Cookie header.
        report.header_stride = 8;
    }
    let mut suite = Suite {
        ctx,
        report: &mut report,
        data,
        value,
        raw,
        payload,
        big,
    };
    bit_flips(&mut suite);
    substitutions(&mut suite);
    truncations(&mut suite);
    extensions(&mut suite);
    non_canonical(&mut suite);
    wrapping(&mut suite);
    downgrades(&mut suite);
    version_1(&mut suite);
    lifetimes(&mut suite);
    timeouts(&mut suite);
    removed_keys(&mut suite);
    fingerprints(&mut suite);
    hostile_payloads(&mut suite, hostile);
    revoked(&mut suite);
    older_versions(&mut suite, &older_hostile);
    report
}

/// Every single-bit flip of the decoded bytes (re-encoded canonically) and
/// of the cookie text.
fn bit_flips<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let cat = "bit flip, decoded bytes (re-encoded)";
    let at = s.sample(s.raw.len(), 61);
    for &i in &at {
        for bit in 0..8 {
            let mut m = s.raw.clone();
            m[i] ^= 1 << bit;
            let expected = changed_reason(s.ctx, i, &m);
            s.case(cat, b64(&m).as_bytes(), Some(expected));
        }
    }
    s.report.note(cat, sampled(at.len(), s.raw.len()));

    let cat = "bit flip, text";
    let at = s.sample(s.value.len(), 61);
    for &i in &at {
        for bit in 0..8 {
            let mut m = s.value.clone().into_bytes();
            m[i] ^= 1 << bit;
            s.case(cat, &m, None);
        }
    }
    s.report.note(cat, sampled(at.len(), s.value.len()));
}

/// Byte substitution: every other value at every position of the decoded
/// bytes (sampled positions of a big cookie: every value in the header, 4
/// values (x^01, x^80, x^ff, x^5a) elsewhere) and of the text.
fn substitutions<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let cat = "byte substitution, decoded bytes";
    let at = s.sample(s.raw.len(), 61);
    for &i in &at {
        let subs: Vec<u8> = if !s.big || i < HEADER_LEN {
            (0..=255u8).filter(|&b| b != s.raw[i]).collect()
        } else {
            [0x01, 0x80, 0xff, 0x5a]
                .iter()
                .map(|x| s.raw[i] ^ x)
                .collect()
        };
        for b in subs {
            let mut m = s.raw.clone();
            m[i] = b;
            let expected = changed_reason(s.ctx, i, &m);
            s.case(cat, b64(&m).as_bytes(), Some(expected));
        }
    }
    let note = if s.big {
        format!(
            "{}; all 255 values in the header, 4 values elsewhere",
            sampled(at.len(), s.raw.len())
        )
    } else {
        "exhaustive: 255 values × every position".to_owned()
    };
    s.report.note(cat, note);

    let cat = "byte substitution, text";
    let len = s.value.len();
    let at: Vec<usize> = if s.big {
        (0..len)
            .filter(|&i| i < 8 || i >= len - 8 || i % 127 == 0)
            .collect()
    } else {
        (0..len).collect()
    };
    let value = s.value.clone();
    for &i in &at {
        for b in (0..=255u8).filter(|&b| b != value.as_bytes()[i]) {
            let mut m = value.clone().into_bytes();
            m[i] = b;
            s.case(cat, &m, None);
        }
    }
    s.report
        .note(cat, format!("{}; 255 values each", sampled(at.len(), len)));
}

/// Truncations: every prefix and every suffix of the text, every prefix
/// of the decoded bytes (re-encoded).
fn truncations<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let cat = "truncation, text (every prefix and suffix)";
    let value = s.value.clone();
    let at = s.sample(value.len(), 31);
    for &len in &at {
        s.case(cat, &value.as_bytes()[..len], None);
        s.case(cat, &value.as_bytes()[value.len() - len..], None);
    }
    s.report.note(
        cat,
        sampled(at.len(), value.len()).replace("positions", "lengths"),
    );

    let cat = "truncation, decoded bytes (re-encoded)";
    let raw = s.raw.clone();
    let at = s.sample(raw.len(), 31);
    for &len in &at {
        let expected = if len < s.ctx.mode().overhead() {
            "truncated"
        } else {
            "bad_signature"
        };
        s.case(cat, b64(&raw[..len]).as_bytes(), Some(expected));
    }
    s.report.note(
        cat,
        sampled(at.len(), raw.len()).replace("positions", "lengths"),
    );
}

/// Extensions: every byte value appended; every pair of alphabet
/// characters appended; longer alphabet tails; every byte appended to the
/// decoded bytes (re-encoded); the envelope twice.
fn extensions<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let cat = "extension, text";
    let value = s.value.clone();
    for b in 0..=255u8 {
        let mut m = value.clone().into_bytes();
        m.push(b);
        s.case(cat, &m, None);
    }
    for &a in ALPHABET {
        for &b in ALPHABET {
            s.case(
                cat,
                format!("{value}{}{}", a as char, b as char).as_bytes(),
                None,
            );
        }
    }
    for tail in ["AAA", "AAAA", "____", "AAAAAAAA", &"A".repeat(4096)] {
        s.case(cat, format!("{value}{tail}").as_bytes(), None);
    }
    let cat = "extension, decoded bytes (re-encoded)";
    let raw = s.raw.clone();
    for b in 0..=255u8 {
        let mut m = raw.clone();
        m.push(b);
        s.case(cat, b64(&m).as_bytes(), None);
    }
    s.case(cat, b64(&raw.repeat(2)).as_bytes(), None);
}

/// Padding, other alphabets and non-canonical trailing bits.
fn non_canonical<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let cat = "padding / non-canonical base64";
    let (value, raw) = (s.value.clone(), s.raw.clone());
    let mut variants = vec![
        format!("{value}="),
        format!("{value}=="),
        format!("{value}==="),
        format!("={value}"),
        format!("{value}%3D"),
        format!("{value}%3D%3D"),
        URL_SAFE.encode(&raw),
        STANDARD.encode(&raw),
        STANDARD_NO_PAD.encode(&raw),
        value.replace('-', "+").replace('_', "/"),
        value.replace('-', "%2D"),
    ];
    // The last character holds 2 (len % 4 == 2) or 4 (len % 4 == 3) data
    // bits; every other setting of its spare bits decodes to the same bytes
    // in a lenient decoder.
    let spare_bits = match value.len() % 4 {
        2 => 4,
        3 => 2,
        _ => 0,
    };
    let last = ALPHABET
        .iter()
        .position(|&c| c == *value.as_bytes().last().unwrap())
        .unwrap();
    for spare in 1..(1 << spare_bits) {
        let mut m = value.clone().into_bytes();
        *m.last_mut().unwrap() = ALPHABET[last | spare];
        variants.push(String::from_utf8(m).unwrap());
    }
    for v in variants.iter().filter(|v| **v != value) {
        s.case(cat, v.as_bytes(), None);
    }
    s.report.note(
        cat,
        format!(
            "{spare_bits} spare bits in the last character: {} trailing-bit variants",
            (1 << spare_bits) - 1
        ),
    );
}

/// Whitespace, quotes and other wrapping, around and inside the value.
fn wrapping<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let cat = "whitespace / quote wrapping";
    let value = s.value.clone();
    let wrappers: &[(&[u8], &[u8])] = &[
        (b"\"", b"\""),
        (b"'", b"'"),
        (b"\"", b""),
        (b"", b"\""),
        (b" ", b""),
        (b"", b" "),
        (b"\t", b""),
        (b"", b"\t"),
        (b" ", b" "),
        (b"\r\n", b""),
        (b"", b"\r\n"),
        (b"\n", b""),
        (b"", b"\0"),
        (b"\0", b""),
        (b"\xc2\xa0", b""),
        (b"", b"\xc2\xa0"),
        (b"\xef\xbb\xbf", b""),
        (b"%22", b"%22"),
        (b"", b";"),
        (b"", b","),
        (b",", b""),
        (b"\\\"", b"\\\""),
        (b"=", b""),
    ];
    for (pre, post) in wrappers {
        s.case(cat, &[*pre, value.as_bytes(), *post].concat(), None);
    }
    for at in [1, value.len() / 2, value.len() - 1] {
        for ins in [&b" "[..], b"\t", b"\"", b"\r\n", b"."] {
            let (head, tail) = value.as_bytes().split_at(at);
            s.case(cat, &[head, ins, tail].concat(), None);
        }
    }
}

/// Downgrades: another version, format byte or key id.
fn downgrades<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let payload = s.payload.clone();
    let cat = "downgrade: version (validly sealed)";
    for version in [
        0,
        T::VERSION.wrapping_sub(1),
        T::VERSION.wrapping_add(1),
        u16::MAX,
        0x0100,
    ] {
        if version == T::VERSION || s.ctx.older.iter().any(|o| o.version == version) {
            continue;
        }
        s.sealed_case(cat, |h| h.version = version, "wrong_version");
    }

    // Includes version 1's format bytes (0x01 signed, 0x02 encrypted).
    let cat = "downgrade: format byte (validly sealed)";
    for format in (0..=255u8).filter(|&f| f != s.ctx.mode().format()) {
        s.sealed_case(cat, |h| h.format = format, "unknown_format");
    }

    let cat = "downgrade: key id";
    // A server that still verifies key 2 (rotated out of sealing).
    let rotating = s.ctx.sibling(1, &[2]);
    let old_id = rotating.keys[1].key_id;
    let ids = KEY_ID_AT..KEY_ID_AT + KEY_ID_LEN;
    // Current-key cookie relabelled as sealed by the previous key.
    let mut m = s.raw.clone();
    m[ids.clone()].copy_from_slice(&old_id);
    s.report
        .case(&rotating, cat, b64(&m).as_bytes(), Some("bad_signature"));
    // Previous-key cookie relabelled as sealed by the current key.
    let old_header = Header {
        key_id: old_id,
        ..rotating.header()
    };
    let old_cookie = rotating.keys[1].forge(&Binding::of::<T>(), &old_header, &payload);
    let session = rotating.config.decode(old_cookie.as_bytes()).unwrap();
    assert_eq!(session.status(), &LoadStatus::ValidVerifyKey);
    let mut m = reference_base64(old_cookie.as_bytes()).unwrap();
    m[ids].copy_from_slice(&rotating.keys[0].key_id);
    s.report
        .case(&rotating, cat, b64(&m).as_bytes(), Some("bad_signature"));
    // Ids of no configured key, with a tag that would verify under key 1.
    for id in [
        [0; KEY_ID_LEN],
        [0xff; KEY_ID_LEN],
        Forger::new(&secret(9)).key_id,
    ] {
        let forged = s.forge(
            Header {
                key_id: id,
                ..s.header()
            },
            &payload,
        );
        s.report
            .case(&rotating, cat, forged.as_bytes(), Some("unknown_key"));
    }
}

/// Genuine version 1 cookies (same key, same name, same data, written now):
/// docs/wire-format.md refuses them by their format byte, or by the length
/// cap when the longer version 1 envelope exceeds this type's maximum.
fn version_1<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let cat = "version 1 cookie (refused)";
    let now = s.ctx.now();
    let mut too_long = 0;
    for mode in [Mode::Signed, Mode::Encrypted] {
        for payload in [s.payload.clone(), Vec::new()] {
            let value = v1::cookie(
                &secret(1),
                mode,
                T::NAME,
                T::VERSION,
                T::SCHEMA_FINGERPRINT,
                now,
                now,
                &payload,
            );
            too_long += usize::from(s.capped_case(cat, &value, "unknown_format"));
        }
    }
    s.report.note(
        cat,
        format!("signed (0x01) and encrypted (0x02), this data and empty; {too_long} over this type's v2 length cap (too_long)"),
    );
}

/// The lifetime byte: undeclared values validly sealed (`unknown_lifetime`,
/// after the MAC), a declared one changed without re-sealing (a browser
/// session cannot become "remember me": `bad_signature`), remember-me
/// cookies past their own timeouts, and remember-me cookies at a
/// configuration that no longer declares it.
fn lifetimes<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let payload = s.payload.clone();
    let cat = "lifetime byte (validly sealed)";
    // The low two bits are the lifetime (3 is undeclared); the high six are
    // the start sequence, any value of which is valid (docs/wire-format.md).
    for byte in (0..=255u8).filter(|byte| byte & 0x03 == 3) {
        s.sealed_case(
            cat,
            |h| {
                h.lifetime = byte & 0x03;
                h.start_seq = byte >> 2;
            },
            "unknown_lifetime",
        );
    }
    let remember = Header {
        lifetime: LIFETIME_REMEMBER_ME,
        ..s.header()
    };
    let forgotten = s.ctx.without_remember_me();
    let value = s.forge(remember, &payload);
    assert!(s.ctx.config.decode(value.as_bytes()).is_ok());
    s.report
        .case(&forgotten, cat, value.as_bytes(), Some("unknown_lifetime"));
    s.report.note(
        cat,
        "every byte whose lifetime bits are 3 (any start sequence); remember me (2) where remember_me(..) is not configured",
    );

    let cat = "lifetime byte changed (not re-sealed)";
    for lifetime in [LIFETIME_BROWSER_SESSION, LIFETIME_REMEMBER_ME, 3, 0xff] {
        let mut m = s.raw.clone();
        m[LIFETIME_AT] = lifetime;
        s.case(cat, b64(&m).as_bytes(), Some("bad_signature"));
    }
    let browser = s.forge(
        Header {
            lifetime: LIFETIME_BROWSER_SESSION,
            ..s.header()
        },
        &payload,
    );
    let mut m = reference_base64(browser.as_bytes()).unwrap();
    m[LIFETIME_AT] = LIFETIME_REMEMBER_ME;
    s.case(cat, b64(&m).as_bytes(), Some("bad_signature"));

    let cat = "remember me past its timeouts";
    let now = s.ctx.now();
    let day = 86_400_000;
    let idle = REMEMBER_IDLE.as_millis() as u64;
    let absolute = REMEMBER_ABSOLUTE.as_millis() as u64;
    // Idle for two days: valid as remember me, expired as standard.
    let two_days = Header {
        issued: secs(now - 2 * day),
        created: secs(now - 2 * day),
        ..remember
    };
    assert!(s
        .ctx
        .config
        .decode(s.forge(two_days, &payload).as_bytes())
        .is_ok());
    let standard = s.forge(
        Header {
            lifetime: 0,
            ..two_days
        },
        &payload,
    );
    s.case(cat, standard.as_bytes(), Some("idle_expired"));
    for (created, issued, expected) in [
        (now - idle - 1000, now - idle - 1000, "idle_expired"),
        (now - absolute - 1000, now - day, "absolute_expired"),
    ] {
        let forged = s.forge(
            Header {
                created: secs(created),
                issued: secs(issued),
                ..remember
            },
            &payload,
        );
        s.case(cat, forged.as_bytes(), Some(expected));
    }
    s.report.note(
        cat,
        "a standard cookie idle 2 days (valid as remember me); remember me idle 30 days + 1 s, started 60 days + 1 s ago",
    );
}

/// Replay after the idle and the absolute timeout (injected clock), issue
/// times in the future, inconsistent timestamps.
fn timeouts<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let (ctx, value, payload) = (s.ctx, s.value.clone(), s.payload.clone());
    let idle = IDLE_TIMEOUT;
    let absolute = ABSOLUTE_TIMEOUT;
    let cat = "replay after idle timeout";
    for late in [
        Duration::from_millis(1),
        Duration::from_secs(1),
        Duration::from_secs(3600),
        absolute - idle,
    ] {
        ctx.clock.set(T0_MS);
        ctx.clock.advance(idle);
        assert!(
            ctx.config.decode(value.as_bytes()).is_ok(),
            "valid at the idle limit"
        );
        ctx.clock.advance(late);
        s.case(cat, value.as_bytes(), Some("idle_expired"));
    }
    ctx.clock.set(T0_MS);

    let cat = "replay after absolute timeout";
    // A session kept alive by refreshes until its absolute deadline.
    let mut current = value.clone();
    let step = Duration::from_secs(12 * 3600);
    let mut elapsed = Duration::ZERO;
    while elapsed + step <= absolute {
        ctx.clock.advance(step);
        elapsed += step;
        let session = ctx
            .config
            .load_cookies([format!("{}={current}", T::NAME).as_bytes()]);
        assert_eq!(session.status(), &LoadStatus::Valid);
        let set_cookie = ctx.config.set_cookie(&session).unwrap().expect("refreshed");
        current = session_tests::cookie_value(&set_cookie);
    }
    ctx.clock.set(T0_MS + absolute.as_millis() as u64 + 1);
    s.case(cat, current.as_bytes(), Some("absolute_expired"));
    ctx.clock.set(T0_MS);
    // Forged: started long ago, issued just now.
    let now = ctx.now();
    for created in [
        secs(now - absolute.as_millis() as u64) - 1,
        secs(now - absolute.as_millis() as u64 - 86_400_000),
        0,
    ] {
        s.sealed_case(cat, |h| h.created = created, "absolute_expired");
    }

    let cat = "issued in the future beyond skew";
    // Whole seconds on the wire: the latest issue time accepted is the skew
    // limit itself, one second more is refused.
    let limit = secs(now + ctx.skew_ms);
    let at_limit = Header {
        issued: limit,
        ..s.header()
    };
    assert!(ctx
        .config
        .decode(s.forge(at_limit, &payload).as_bytes())
        .is_ok());
    for issued in [limit + 1, limit + 60, limit + 86_400, u32::MAX] {
        for created in [secs(now), issued] {
            s.sealed_case(
                cat,
                |h| (h.created, h.issued) = (created, issued),
                "issued_in_future",
            );
        }
    }
    // A genuine cookie from a server whose clock runs 61 s ahead.
    let ahead = SessionConfig::<T>::builder(key(1))
        .clock(ManualClock::new(now + ctx.skew_ms + 1000))
        .build()
        .unwrap();
    let future = issue(&ahead, s.data.clone());
    s.case(cat, future.as_bytes(), Some("issued_in_future"));

    let cat = "inconsistent timestamps";
    let now_s = secs(now);
    for (created, issued) in [
        (now_s + 1, now_s),
        (secs(now + ctx.skew_ms), now_s),
        (u32::MAX, now_s),
        (now_s, 0),
    ] {
        s.sealed_case(
            cat,
            |h| (h.created, h.issued) = (created, issued),
            "inconsistent_timestamps",
        );
    }
}

/// A removed key: sealed by keys this server no longer has.
fn removed_keys<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let cat = "removed key";
    for k in 2..=9u8 {
        let old = config_on::<T>(k, &s.ctx.clock);
        let value = issue(&old, s.data.clone());
        s.case(cat, value.as_bytes(), Some("unknown_key"));
    }
    // After two rotations: key 3 seals, key 2 verifies, key 1 is gone.
    let rotated = s.ctx.sibling(3, &[2]);
    s.report
        .case(&rotated, cat, s.value.as_bytes(), Some("unknown_key"));
}

/// Sealed for another schema fingerprint (validly sealed, as a deploy of a
/// changed struct without a version bump would write it): the MAC binds the
/// full fingerprint, so it fails; the hint on the wire names the cause.
fn fingerprints<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let cat = "other schema fingerprint (validly sealed)";
    let payload = s.payload.clone();
    let ours = T::SCHEMA_FINGERPRINT;
    let flips = (0..64).map(|bit| ours ^ (1 << bit));
    let mut same_hint = 0;
    for fingerprint in flips.chain([0, u64::MAX, !ours]) {
        // What the other schema's server writes: its own hint.
        let header = Header {
            hint: hint(fingerprint),
            ..s.header()
        };
        let expected = s.ctx.mac_reason(T::VERSION, header.hint, fingerprint);
        same_hint += usize::from(expected == Some("bad_signature"));
        let forged = s.ctx.forge_for(fingerprint, header, &payload);
        s.case(cat, forged.as_bytes(), expected);
        // The same with our hint copied in: still no MAC.
        let forged = s.ctx.forge_for(fingerprint, s.header(), &payload);
        s.case(cat, forged.as_bytes(), Some("bad_signature"));
    }
    s.report.note(
        cat,
        format!("64 one-bit changes + 3 others, each with its own hint and with ours; {same_hint} keep the top 16 bits (bad_signature)"),
    );
}

/// Hostile payloads behind a valid tag: the payload decoder is reached.
fn hostile_payloads<T: CookieSession + Clone + PartialEq + Debug>(
    s: &mut Suite<T>,
    mut hostile: Hostile,
) {
    let cat = "hostile payload (validly sealed)";
    let payload = s.payload.clone();
    let hand_made = hostile.len() + 2;
    hostile.push(("empty payload", Vec::new()));
    hostile.push(("one trailing byte", [&payload[..], &[0]].concat()));
    for len in 0..payload.len() {
        hostile.push(("payload prefix", payload[..len].to_vec()));
    }
    let mut over = 0;
    for (_what, bytes) in &hostile {
        let forged = s.forge(s.header(), bytes);
        // A payload longer than MAX_PAYLOAD_LEN makes the cookie too long:
        // refused by the length cap before the tag is even computed.
        over += usize::from(s.capped_case(cat, &forged, "payload"));
    }
    s.report.note(
        cat,
        format!(
            "{hand_made} hand-made + every strict prefix of the real payload; {over} longer than the type's maximum (too_long)",
        ),
    );
}

/// Revoked by the application's check (after everything else passed).
fn revoked<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let cat = "revoked by the application's check";
    let ctx = s.ctx;
    ctx.revoke_before.store(ctx.now() + 1, Ordering::SeqCst);
    s.case(cat, s.value.clone().as_bytes(), Some("revoked"));
    for age in [1000, 3_600_000, 86_400_000] {
        s.sealed_case(cat, |h| h.created = secs(ctx.now() - age), "revoked");
    }
    ctx.revoke_before.store(0, Ordering::SeqCst);
}

/// Older versions the type migrates from: their own fingerprint is
/// required, and their payload decoder is as strict as the current one.
fn older_versions<T: CookieSession + Clone + PartialEq + Debug>(
    s: &mut Suite<T>,
    older_hostile: &OlderHostile,
) {
    let payload = s.payload.clone();
    for older in s.ctx.older.clone() {
        let cat = "older version (migrate_from): wrong fingerprint";
        let (theirs, ours) = (older.fingerprint, T::SCHEMA_FINGERPRINT);
        for (version, sealed_for) in [
            (older.version, ours),
            (T::VERSION, theirs),
            (older.version, theirs ^ 1),
        ] {
            let header = Header {
                version,
                hint: hint(sealed_for),
                ..s.header()
            };
            let expected = s.ctx.mac_reason(version, header.hint, sealed_for);
            assert!(expected.is_some());
            let forged = s.ctx.forge_for(sealed_for, header, &payload);
            s.case(cat, forged.as_bytes(), expected);
        }
        let cat = "older version (migrate_from): hostile payload";
        for (version, _what, bytes) in older_hostile.iter().filter(|o| o.0 == older.version) {
            let header = Header {
                version: *version,
                hint: hint(older.fingerprint),
                ..s.header()
            };
            let forged = s.ctx.forge_for(older.fingerprint, header, bytes);
            s.capped_case(cat, &forged, "payload");
        }
    }
}
