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
use session_runtime::{
    CookieSession, LoadStatus, ManualClock, SessionConfig, DEFAULT_ABSOLUTE_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT,
};
use session_tests::reference::{
    b64, changed_byte_reason, reference_base64, Forger, Header, Mode, ALPHABET, HEADER_LEN,
    KEY_ID_LEN, NONCE_LEN,
};
use session_tests::{issue, key, secret, T0_MS};

use crate::ctx::Ctx;
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
        .unseal(mode, T::NAME, &raw)
        .expect("the reference opens the genuine cookie");

    // Sanity: the runtime and the reference accept the genuine cookie, and the
    // independent forger reproduces the runtime's bytes exactly (in encrypted
    // mode, given the runtime's random nonce).
    assert_eq!(*ctx.config.decode(value.as_bytes()).unwrap(), data);
    assert_eq!(ctx.reference(value.as_bytes()), Ok(()));
    let nonce: [u8; NONCE_LEN] = raw[HEADER_LEN..HEADER_LEN + NONCE_LEN].try_into().unwrap();
    let exact = ctx.keys[0].clone().with_nonce(nonce);
    assert_eq!(exact.forge(mode, T::NAME, &ctx.header(), &payload), value);
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
            s.case(cat, b64(&m).as_bytes(), Some(changed_byte_reason(i)));
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
            s.case(cat, b64(&m).as_bytes(), Some(changed_byte_reason(i)));
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
        let forged = s.forge(
            Header {
                version,
                ..s.header()
            },
            &payload,
        );
        s.case(cat, forged.as_bytes(), Some("wrong_version"));
    }

    let cat = "downgrade: format byte (validly sealed)";
    for format in (0..=255u8).filter(|&f| f != s.ctx.mode().format()) {
        let forged = s.forge(
            Header {
                format,
                ..s.header()
            },
            &payload,
        );
        s.case(cat, forged.as_bytes(), Some("unknown_format"));
    }

    let cat = "downgrade: key id";
    let mode = s.ctx.mode();
    // A server that still verifies key 2 (rotated out of sealing).
    let rotating = s.ctx.sibling(1, &[2]);
    let old_id = rotating.keys[1].key_id;
    let ids = 1..1 + KEY_ID_LEN;
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
    let old_cookie = rotating.keys[1].forge(mode, T::NAME, &old_header, &payload);
    let session = rotating.config.decode(old_cookie.as_bytes()).unwrap();
    assert_eq!(session.status(), &LoadStatus::ValidPreviousKey);
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

/// Replay after the idle and the absolute timeout (injected clock), issue
/// times in the future, inconsistent timestamps.
fn timeouts<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let (ctx, value, payload) = (s.ctx, s.value.clone(), s.payload.clone());
    let idle = DEFAULT_IDLE_TIMEOUT;
    let absolute = DEFAULT_ABSOLUTE_TIMEOUT;
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
            .load_from_cookie_headers([format!("{}={current}", T::NAME).as_bytes()]);
        assert_eq!(session.status(), &LoadStatus::Valid);
        let set_cookie = ctx.config.set_cookie(&session).unwrap().expect("refreshed");
        current = session_tests::cookie_value(&set_cookie);
    }
    ctx.clock.set(T0_MS + absolute.as_millis() as u64 + 1);
    s.case(cat, current.as_bytes(), Some("absolute_expired"));
    ctx.clock.set(T0_MS);
    // Forged: started long ago, issued just now.
    let now = ctx.now();
    for age in [
        absolute.as_millis() as u64 + 1,
        absolute.as_millis() as u64 + 86_400_000,
        now,
    ] {
        let forged = s.forge(
            Header {
                created_ms: now - age,
                ..s.header()
            },
            &payload,
        );
        s.case(cat, forged.as_bytes(), Some("absolute_expired"));
    }

    let cat = "issued in the future beyond skew";
    let limit = now + ctx.skew_ms;
    let at_limit = Header {
        issued_ms: limit,
        ..s.header()
    };
    assert!(ctx
        .config
        .decode(s.forge(at_limit, &payload).as_bytes())
        .is_ok());
    for issued in [limit + 1, limit + 1000, limit + 86_400_000, (1 << 48) - 1] {
        for created in [now, issued] {
            let forged = s.forge(
                Header {
                    created_ms: created,
                    issued_ms: issued,
                    ..s.header()
                },
                &payload,
            );
            s.case(cat, forged.as_bytes(), Some("issued_in_future"));
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
    for (created, issued) in [
        (now + 1, now),
        (now + ctx.skew_ms, now),
        ((1 << 48) - 1, now),
        (now, 0),
    ] {
        let forged = s.forge(
            Header {
                created_ms: created,
                issued_ms: issued,
                ..s.header()
            },
            &payload,
        );
        s.case(cat, forged.as_bytes(), Some("inconsistent_timestamps"));
    }
}

/// A removed key: sealed by keys this server no longer has.
fn removed_keys<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let cat = "removed key";
    for k in 2..=9u8 {
        let old = SessionConfig::<T>::builder(key(k))
            .clock(s.ctx.clock.clone())
            .build()
            .unwrap();
        let value = issue(&old, s.data.clone());
        s.case(cat, value.as_bytes(), Some("unknown_key"));
    }
    // After two rotations: key 3 seals, key 2 verifies, key 1 is gone.
    let rotated = s.ctx.sibling(3, &[2]);
    s.report
        .case(&rotated, cat, s.value.as_bytes(), Some("unknown_key"));
}

/// Sealed for another schema fingerprint (validly sealed).
fn fingerprints<T: CookieSession + Clone + PartialEq + Debug>(s: &mut Suite<T>) {
    let cat = "other schema fingerprint (validly sealed)";
    let payload = s.payload.clone();
    let flips = (0..64).map(|bit| T::SCHEMA_FINGERPRINT ^ (1 << bit));
    for fingerprint in flips.chain([0, u64::MAX, !T::SCHEMA_FINGERPRINT]) {
        let forged = s.forge(
            Header {
                fingerprint,
                ..s.header()
            },
            &payload,
        );
        s.case(cat, forged.as_bytes(), Some("schema_mismatch"));
    }
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
        let expected = if forged.len() > s.ctx.max_value_len() {
            over += 1;
            "too_long"
        } else {
            "payload"
        };
        s.case(cat, forged.as_bytes(), Some(expected));
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
    let payload = s.payload.clone();
    ctx.revoke_before.store(ctx.now() + 1, Ordering::SeqCst);
    s.case(cat, s.value.clone().as_bytes(), Some("revoked"));
    for age in [1, 3_600_000, 86_400_000] {
        let forged = s.forge(
            Header {
                created_ms: ctx.now() - age,
                ..s.header()
            },
            &payload,
        );
        s.case(cat, forged.as_bytes(), Some("revoked"));
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
        for (version, fingerprint) in [
            (older.version, T::SCHEMA_FINGERPRINT),
            (T::VERSION, older.fingerprint),
            (older.version, older.fingerprint ^ 1),
        ] {
            let forged = s.forge(
                Header {
                    version,
                    fingerprint,
                    ..s.header()
                },
                &payload,
            );
            s.case(cat, forged.as_bytes(), Some("schema_mismatch"));
        }
        let cat = "older version (migrate_from): hostile payload";
        for (version, _what, bytes) in older_hostile.iter().filter(|o| o.0 == older.version) {
            let header = Header {
                version: *version,
                fingerprint: older.fingerprint,
                ..s.header()
            };
            let forged = s.forge(header, bytes);
            let expected = if forged.len() > s.ctx.max_value_len() {
                "too_long"
            } else {
                "payload"
            };
            s.case(cat, forged.as_bytes(), Some(expected));
        }
    }
}
