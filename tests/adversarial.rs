//! Adversarial suite (issue #4): for several session shapes, every mutation of
//! a valid cookie an attacker can make is rejected, and with the RIGHT reason.
//!
//! Each case is checked three ways:
//! 1. `SessionConfig::decode` must refuse it;
//! 2. an independent reference decoder written from `docs/wire-format.md` (its
//!    own strict base64url decoder, its own HKDF/HMAC tag computation, the
//!    documented check order) must name the same `Rejection::kind()`;
//! 3. where the category fixes the reason (a flipped format byte is
//!    `unknown_format`, ...), that reason is asserted too.
//!
//! Through `load_from_cookie_headers`, the same value (when it survives the
//! `Cookie` header syntax) must give a fresh default session carrying the same
//! rejection.
//!
//! Every test prints a table `category | cases | rejected | reasons` to stderr
//! (visible with `cargo test --test adversarial -- --nocapture`) and writes it
//! to `$CARGO_TARGET_TMPDIR/adversarial/<shape>.md`. `docs/adversarial.md`
//! records the figures.

use std::collections::BTreeMap;
use std::fmt::{Debug, Write as _};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use session_runtime::wire::{HEADER_LEN, TAG_LEN};
use session_runtime::{
    BoundedString, BoundedVec, Clock, CookieSession, LoadStatus, ManualClock, SessionConfig,
    DEFAULT_ABSOLUTE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CLOCK_SKEW, MAX_CANDIDATE_COOKIES,
    MAX_VERIFIED_CANDIDATES,
};
use session_tests::reference::{
    b64, check_times, decode_payload, open, reference_base64, varint, varint_too_long, Forger,
    Header, TimeLimits, ALPHABET, FORMAT_HMAC_SHA256, MIN_RAW_LEN,
};
use session_tests::{
    issue, key, secret, shop_sample, AppSession, AtBudget, ShopSession, Tiny, T0_MS,
};

/// An older version a session type migrates from (`migrate_from`): its
/// cookies are still accepted, decoded with the older type.
#[derive(Clone, Copy)]
struct Older {
    version: u16,
    fingerprint: u64,
    max_cookie_len: usize,
    /// Whether an authentic payload decodes as the older type.
    decodes: fn(&[u8]) -> bool,
}

fn decodes_as<T: CookieSession>(payload: &[u8]) -> bool {
    decode_payload::<T>(payload).is_some()
}

/// A `SessionConfig` with everything the reference decoder needs to know
/// about it. Its revocation check counts its calls and revokes sessions
/// created before `revoke_before` (0: none).
struct Ctx<T: CookieSession> {
    label: &'static str,
    config: SessionConfig<T>,
    clock: ManualClock,
    /// Verifying keys in configuration order; `keys[0]` signs.
    keys: Vec<Forger>,
    older: Vec<Older>,
    skew_ms: u64,
    revoke_before: Arc<AtomicU64>,
    hook_calls: Arc<AtomicUsize>,
}

impl<T: CookieSession + Clone + PartialEq + Debug> Ctx<T> {
    /// Signs with `key(current)`, verifies with `previous` too, clock at `T0_MS`.
    fn new(label: &'static str, current: u8, previous: &[u8]) -> Ctx<T> {
        Self::with_older(label, current, previous, Vec::new())
    }

    fn with_older(label: &'static str, current: u8, previous: &[u8], older: Vec<Older>) -> Ctx<T> {
        let clock = ManualClock::new(T0_MS);
        let revoke_before = Arc::new(AtomicU64::new(0));
        let hook_calls = Arc::new(AtomicUsize::new(0));
        let (cutoff, calls) = (Arc::clone(&revoke_before), Arc::clone(&hook_calls));
        let mut builder = SessionConfig::<T>::builder(key(current))
            .clock(clock.clone())
            .revocation_check(move |_session, cookie| {
                calls.fetch_add(1, Ordering::SeqCst);
                let cutoff = UNIX_EPOCH + Duration::from_millis(cutoff.load(Ordering::SeqCst));
                cookie.created_at >= cutoff
            });
        for &p in previous {
            builder = builder.previous_key(key(p));
        }
        let config = builder.build().unwrap();
        let keys = std::iter::once(current)
            .chain(previous.iter().copied())
            .map(|k| Forger::new(&secret(k)))
            .collect();
        Ctx {
            label,
            config,
            clock,
            keys,
            older,
            skew_ms: DEFAULT_MAX_CLOCK_SKEW.as_millis() as u64,
            revoke_before,
            hook_calls,
        }
    }

    /// Same type, same older versions, other keys.
    fn sibling(&self, current: u8, previous: &[u8]) -> Ctx<T> {
        Self::with_older(self.label, current, previous, self.older.clone())
    }

    fn now(&self) -> u64 {
        self.clock.now_unix_ms()
    }

    /// The length cap: the longest cookie of this type or of any version it
    /// migrates from, within the browser limit, minus the name.
    fn max_value_len(&self) -> usize {
        let own = T::MAX_COOKIE_LEN.min(T::BUDGET);
        let older = self.older.iter().map(|o| o.max_cookie_len);
        older.fold(own, usize::max).min(4096) - T::NAME.len()
    }

    /// A header for `T` signed by the current key, issued now.
    fn header(&self) -> Header {
        Header::new::<T>(self.keys[0].key_id, self.now())
    }

    /// A validly signed cookie value with this header and payload.
    fn forge(&self, header: Header, payload: &[u8]) -> String {
        self.keys[0].forge(T::NAME, &header, payload)
    }

    /// The documented decode order, step by step (docs/wire-format.md), and
    /// the kind of the first check that fails.
    fn reference(&self, value: &[u8]) -> Result<(), &'static str> {
        let (header, payload) = open(value, self.max_value_len(), T::NAME, &self.keys)?;
        let older = self.older.iter().find(|o| o.version == header.version);
        let fingerprint = match older {
            _ if header.version == T::VERSION => T::SCHEMA_FINGERPRINT,
            Some(older) => older.fingerprint,
            None => return Err("wrong_version"),
        };
        if header.fingerprint != fingerprint {
            return Err("schema_mismatch");
        }
        check_times(
            &header,
            &TimeLimits {
                now_ms: self.now(),
                max_skew_ms: self.skew_ms,
                absolute_ms: self.config.absolute_timeout().as_millis() as u64,
                idle_ms: self.config.idle_timeout().as_millis() as u64,
            },
        )?;
        let decodes = match older {
            _ if header.version == T::VERSION => decodes_as::<T>(&payload),
            Some(older) => (older.decodes)(&payload),
            None => unreachable!(),
        };
        if !decodes {
            return Err("payload");
        }
        if header.created_ms < self.revoke_before.load(Ordering::SeqCst) {
            return Err("revoked");
        }
        Ok(())
    }
}

/// Counts for one category.
#[derive(Default)]
struct Row {
    cases: usize,
    rejected: usize,
    through_header: usize,
    kinds: BTreeMap<&'static str, usize>,
    note: String,
}

/// One shape's table, plus every mismatch found (reported all at once).
struct Report {
    shape: String,
    /// Replay one case in this many through a Cookie header (1 = all).
    header_stride: usize,
    seen: usize,
    rows: Vec<(String, Row)>,
    failures: Vec<String>,
}

impl Report {
    fn new(shape: &str) -> Report {
        Report {
            shape: shape.to_owned(),
            header_stride: 1,
            seen: 0,
            rows: Vec::new(),
            failures: Vec::new(),
        }
    }

    fn row(&mut self, category: &str) -> &mut Row {
        if self.rows.last().is_none_or(|(name, _)| name != category) {
            self.rows.push((category.to_owned(), Row::default()));
        }
        &mut self.rows.last_mut().unwrap().1
    }

    fn note(&mut self, category: &str, note: impl Into<String>) {
        self.row(category).note = note.into();
    }

    /// One adversarial case: `value` must be rejected, for the reason the
    /// reference decoder gives and, if set, for `expected`.
    fn case<T: CookieSession + Clone + PartialEq + Debug>(
        &mut self,
        ctx: &Ctx<T>,
        category: &str,
        value: &[u8],
        expected: Option<&str>,
    ) {
        self.seen += 1;
        let replay = self.seen.is_multiple_of(self.header_stride);
        let outcome = check(ctx, value, expected, replay);
        self.record(ctx.label, category, value, outcome);
    }

    /// Counts one case's outcome: its rejection kind and whether it was also
    /// replayed through a Cookie header, or what went wrong.
    fn record(
        &mut self,
        label: &str,
        category: &str,
        value: &[u8],
        outcome: Result<(&'static str, bool), String>,
    ) {
        let row = self.row(category);
        row.cases += 1;
        match outcome {
            Ok((kind, through_header)) => {
                row.rejected += 1;
                row.through_header += usize::from(through_header);
                *row.kinds.entry(kind).or_default() += 1;
            }
            Err(problem) => {
                let text: String = String::from_utf8_lossy(value).chars().collect();
                let shown = if text.chars().count() > 60 {
                    let head: String = text.chars().take(30).collect();
                    let tail: String = text.chars().skip(text.chars().count() - 20).collect();
                    format!("{head:?}…{tail:?} ({} bytes)", value.len())
                } else {
                    format!("{text:?}")
                };
                self.failures
                    .push(format!("[{label}] {category}: {problem}: {shown}"));
            }
        }
    }

    fn render(&self) -> String {
        let mut out = format!(
            "### {}\n\n| category | rejected | via Cookie header | reasons | note |\n|---|---|---|---|---|\n",
            self.shape
        );
        let (mut cases, mut rejected) = (0, 0);
        for (name, row) in &self.rows {
            let kinds: Vec<String> = row.kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = writeln!(
                out,
                "| {name} | rejected {} of {} | {} | {} | {} |",
                row.rejected,
                row.cases,
                row.through_header,
                kinds.join(", "),
                row.note
            );
            cases += row.cases;
            rejected += row.rejected;
        }
        let _ = writeln!(
            out,
            "| **total** | **rejected {rejected} of {cases}** | | | |"
        );
        out
    }

    /// Prints the table, saves it, and fails with every mismatch if any.
    fn finish(self) {
        let table = self.render();
        eprintln!("\n{table}");
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("adversarial");
        let _ = std::fs::create_dir_all(&dir);
        let file = self
            .shape
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>();
        let _ = std::fs::write(dir.join(format!("{file}.md")), &table);
        let total_cases: usize = self.rows.iter().map(|(_, r)| r.cases).sum();
        assert!(
            self.failures.is_empty(),
            "{} of {total_cases} adversarial cases were not rejected with the right reason:\n{}",
            self.failures.len(),
            self.failures
                .iter()
                .take(40)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
        for (name, row) in &self.rows {
            assert_eq!(row.rejected, row.cases, "{name}");
        }
    }
}

/// Runs one case; on success returns the rejection kind and whether it was
/// also replayed through a `Cookie` header.
fn check<T: CookieSession + Clone + PartialEq + Debug>(
    ctx: &Ctx<T>,
    value: &[u8],
    expected: Option<&str>,
    replay: bool,
) -> Result<(&'static str, bool), String> {
    let hook_calls = ctx.hook_calls.load(Ordering::SeqCst);
    let got = match ctx.config.decode(value) {
        Ok(_) => return Err("ACCEPTED".to_owned()),
        Err(reason) => reason,
    };
    // The application's revocation check only ever sees authentic, unexpired,
    // decoded sessions: nothing rejected earlier reaches it.
    let hook_ran = ctx.hook_calls.load(Ordering::SeqCst) != hook_calls;
    if hook_ran != (got.kind() == "revoked") {
        return Err(format!("revocation check ran: {hook_ran}, for {got:?}"));
    }
    let reference = match ctx.reference(value) {
        Ok(_) => "accept",
        Err(kind) => kind,
    };
    if got.kind() != reference || expected.is_some_and(|e| e != got.kind()) {
        return Err(format!(
            "got {got:?}, reference decoder says {reference}, category expects {expected:?}"
        ));
    }
    // The same value through the Cookie header: a pair is split on `;` and
    // trimmed of SP/HTAB, so only values that survive that syntax verbatim are
    // replayed.
    let survives = replay
        && !value.contains(&b';')
        && !value.first().is_some_and(|b| matches!(b, b' ' | b'\t'))
        && !value.last().is_some_and(|b| matches!(b, b' ' | b'\t'));
    if survives {
        let mut header = format!("{}=", T::NAME).into_bytes();
        header.extend_from_slice(value);
        let session = ctx.config.load_from_cookie_headers([&header[..]]);
        if session.status() != &LoadStatus::Rejected(got.clone())
            || !session.is_new()
            || *session != T::default()
        {
            return Err(format!(
                "through the Cookie header: {:?} instead of {got:?}",
                session.status()
            ));
        }
    }
    Ok((got.kind(), survives))
}

/// The expected reason for a change to decoded byte `index` (not re-signed):
/// the format byte is checked first, then the key id, then the MAC.
fn by_position(index: usize) -> &'static str {
    match index {
        0 => "unknown_format",
        1..=4 => "unknown_key",
        _ => "bad_signature",
    }
}

/// The whole battery against one shape. `hostile` are payloads (validly
/// signed) that must fail to decode as `T`.
fn run_suite<T: CookieSession + Clone + PartialEq + Debug>(
    ctx: Ctx<T>,
    data: T,
    hostile: Vec<(&'static str, Vec<u8>)>,
    older_hostile: Vec<(u16, &'static str, Vec<u8>)>,
) {
    let label = ctx.label;
    let mut report = Report::new(&format!(
        "{label} (`{}`, max cookie {} bytes)",
        T::NAME,
        T::MAX_COOKIE_LEN
    ));
    let value = issue(&ctx.config, data.clone());
    let raw = URL_SAFE_NO_PAD.decode(&value).unwrap();
    let payload = raw[HEADER_LEN..raw.len() - TAG_LEN].to_vec();

    // Sanity: the runtime and the reference accept the genuine cookie, and the
    // independent forger reproduces the runtime's bytes exactly.
    assert_eq!(*ctx.config.decode(value.as_bytes()).unwrap(), data);
    assert_eq!(ctx.reference(value.as_bytes()), Ok(()));
    assert_eq!(ctx.forge(ctx.header(), &payload), value);
    assert_eq!(reference_base64(value.as_bytes()).unwrap(), raw);
    let big = value.len() > 300;
    if T::NAME == AtBudget::NAME {
        assert_eq!(
            T::NAME.len() + value.len(),
            4096,
            "at-budget cookie is at the limit"
        );
    }

    // Cookies over 300 characters (at-budget, scratch-tier shapes) are sampled where a
    // case costs a MAC over 3 KB (debug builds hash at ~10 MB/s): every
    // position within 64 of either end plus every 61st (97th for substitution
    // by every byte value), and one in 8 cases is replayed through a Cookie
    // header. Small cookies are exhaustive.
    let sample = |len: usize, stride: usize| -> Vec<usize> {
        (0..len)
            .filter(|&i| !big || i < 64 || i >= len - 64 || i % stride == 0)
            .collect()
    };
    if big {
        report.header_stride = 8;
    }
    let sampled = |n: usize, of: usize| {
        if n == of {
            "exhaustive".to_owned()
        } else {
            format!("sampled: {n} of {of} positions")
        }
    };

    // 1. Every single-bit flip of the decoded bytes, re-encoded canonically.
    let cat = "bit flip, decoded bytes (re-encoded)";
    let at = sample(raw.len(), 61);
    for &i in &at {
        for bit in 0..8 {
            let mut m = raw.clone();
            m[i] ^= 1 << bit;
            report.case(&ctx, cat, b64(&m).as_bytes(), Some(by_position(i)));
        }
    }
    report.note(cat, sampled(at.len(), raw.len()));

    // 2. Every single-bit flip of the cookie text.
    let cat = "bit flip, text";
    let at = sample(value.len(), 61);
    for &i in &at {
        for bit in 0..8 {
            let mut m = value.clone().into_bytes();
            m[i] ^= 1 << bit;
            report.case(&ctx, cat, &m, None);
        }
    }
    report.note(cat, sampled(at.len(), value.len()));

    // 3. Byte substitution in the decoded bytes: every other value at every
    // position (sampled positions of a large cookie: every value in the
    // format byte and key id, 4 values (x^01, x^80, x^ff, x^5a) elsewhere).
    let cat = "byte substitution, decoded bytes";
    let at = sample(raw.len(), 61);
    for &i in &at {
        let subs: Vec<u8> = if !big || i < 5 {
            (0..=255u8).filter(|&b| b != raw[i]).collect()
        } else {
            [0x01, 0x80, 0xff, 0x5a]
                .iter()
                .map(|x| raw[i] ^ x)
                .collect()
        };
        for b in subs {
            let mut m = raw.clone();
            m[i] = b;
            report.case(&ctx, cat, b64(&m).as_bytes(), Some(by_position(i)));
        }
    }
    report.note(
        cat,
        if big {
            format!(
                "{}; all 255 values in bytes 0..5, 4 values elsewhere",
                sampled(at.len(), raw.len())
            )
        } else {
            "exhaustive: 255 values × every position".to_owned()
        },
    );

    // 4. Byte substitution in the text: every other byte value at every
    // (sampled) position.
    let cat = "byte substitution, text";
    let at: Vec<usize> = if big {
        (0..value.len())
            .filter(|&i| i < 8 || i >= value.len() - 8 || i % 127 == 0)
            .collect()
    } else {
        (0..value.len()).collect()
    };
    for &i in &at {
        for b in (0..=255u8).filter(|&b| b != value.as_bytes()[i]) {
            let mut m = value.clone().into_bytes();
            m[i] = b;
            report.case(&ctx, cat, &m, None);
        }
    }
    report.note(
        cat,
        format!("{}; 255 values each", sampled(at.len(), value.len())),
    );

    // 5. Truncations: every prefix and every suffix of the text, every prefix
    // of the decoded bytes (re-encoded).
    let cat = "truncation, text (every prefix and suffix)";
    let at = sample(value.len(), 31);
    for &len in &at {
        report.case(&ctx, cat, &value.as_bytes()[..len], None);
        report.case(&ctx, cat, &value.as_bytes()[value.len() - len..], None);
    }
    report.note(
        cat,
        sampled(at.len(), value.len()).replace("positions", "lengths"),
    );
    let cat = "truncation, decoded bytes (re-encoded)";
    let at = sample(raw.len(), 31);
    for &len in &at {
        let expected = if len < MIN_RAW_LEN {
            "truncated"
        } else {
            "bad_signature"
        };
        report.case(&ctx, cat, b64(&raw[..len]).as_bytes(), Some(expected));
    }
    report.note(
        cat,
        sampled(at.len(), raw.len()).replace("positions", "lengths"),
    );

    // 6. Extensions: every byte value appended; every pair of alphabet
    // characters appended; longer alphabet tails; every byte appended to
    // the decoded bytes (re-encoded).
    let cat = "extension, text";
    for b in 0..=255u8 {
        let mut m = value.clone().into_bytes();
        m.push(b);
        report.case(&ctx, cat, &m, None);
    }
    for &a in ALPHABET {
        for &b in ALPHABET {
            report.case(
                &ctx,
                cat,
                format!("{value}{}{}", a as char, b as char).as_bytes(),
                None,
            );
        }
    }
    for tail in ["AAA", "AAAA", "____", "AAAAAAAA", &"A".repeat(4096)] {
        report.case(&ctx, cat, format!("{value}{tail}").as_bytes(), None);
    }
    let cat = "extension, decoded bytes (re-encoded)";
    for b in 0..=255u8 {
        let mut m = raw.clone();
        m.push(b);
        report.case(&ctx, cat, b64(&m).as_bytes(), None);
    }
    let mut doubled = raw.clone();
    doubled.extend_from_slice(&raw);
    report.case(&ctx, cat, b64(&doubled).as_bytes(), None);

    // 7. Padding, other alphabets and non-canonical trailing bits.
    let cat = "padding / non-canonical base64";
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
        report.case(&ctx, cat, v.as_bytes(), None);
    }
    report.note(
        cat,
        format!(
            "{spare_bits} spare bits in the last character: {} trailing-bit variants",
            (1 << spare_bits) - 1
        ),
    );

    // 8. Whitespace, quotes and other wrapping.
    let cat = "whitespace / quote wrapping";
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
        let mut m = pre.to_vec();
        m.extend_from_slice(value.as_bytes());
        m.extend_from_slice(post);
        report.case(&ctx, cat, &m, None);
    }
    // Whitespace and quotes inside the value.
    for at in [1, value.len() / 2, value.len() - 1] {
        for ins in [&b" "[..], b"\t", b"\"", b"\r\n", b"."] {
            let mut m = value.as_bytes()[..at].to_vec();
            m.extend_from_slice(ins);
            m.extend_from_slice(&value.as_bytes()[at..]);
            report.case(&ctx, cat, &m, None);
        }
    }

    // 9. Downgrades: another version, key id or format byte.
    let cat = "downgrade: version (validly signed)";
    for version in [
        0,
        T::VERSION.wrapping_sub(1),
        T::VERSION.wrapping_add(1),
        u16::MAX,
        0x0100,
    ] {
        if version == T::VERSION || ctx.older.iter().any(|o| o.version == version) {
            continue;
        }
        let header = Header {
            version,
            ..ctx.header()
        };
        report.case(
            &ctx,
            cat,
            ctx.forge(header, &payload).as_bytes(),
            Some("wrong_version"),
        );
    }
    let cat = "downgrade: format byte (validly signed)";
    for format in (0..=255u8).filter(|&f| f != FORMAT_HMAC_SHA256) {
        let header = Header {
            format,
            ..ctx.header()
        };
        report.case(
            &ctx,
            cat,
            ctx.forge(header, &payload).as_bytes(),
            Some("unknown_format"),
        );
    }
    let cat = "downgrade: key id";
    {
        // A server that still verifies key 2 (rotated out of signing).
        let rotating = ctx.sibling(1, &[2]);
        let old_id = rotating.keys[1].key_id;
        // Current-key cookie relabelled as signed by the previous key.
        let mut m = raw.clone();
        m[1..5].copy_from_slice(&old_id);
        report.case(&rotating, cat, b64(&m).as_bytes(), Some("bad_signature"));
        // Previous-key cookie relabelled as signed by the current key.
        let old_header = Header {
            key_id: old_id,
            ..rotating.header()
        };
        let old_cookie = b64(&rotating.keys[1].seal(T::NAME, &old_header, &payload));
        let session = rotating.config.decode(old_cookie.as_bytes()).unwrap();
        assert_eq!(session.status(), &LoadStatus::ValidPreviousKey);
        let mut m = URL_SAFE_NO_PAD.decode(&old_cookie).unwrap();
        m[1..5].copy_from_slice(&rotating.keys[0].key_id);
        report.case(&rotating, cat, b64(&m).as_bytes(), Some("bad_signature"));
        // Ids of no configured key, with a tag that would verify under key 1.
        for id in [[0; 4], [0xff; 4], Forger::new(&secret(9)).key_id] {
            let header = Header {
                key_id: id,
                ..ctx.header()
            };
            report.case(
                &rotating,
                cat,
                ctx.forge(header, &payload).as_bytes(),
                Some("unknown_key"),
            );
        }
    }

    // 10. Replay after the idle and the absolute timeout (injected clock).
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
        report.case(&ctx, cat, value.as_bytes(), Some("idle_expired"));
    }
    ctx.clock.set(T0_MS);
    let cat = "replay after absolute timeout";
    {
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
        report.case(&ctx, cat, current.as_bytes(), Some("absolute_expired"));
        ctx.clock.set(T0_MS);
        // Forged: started long ago, issued just now.
        let now = ctx.now();
        for age in [
            absolute.as_millis() as u64 + 1,
            absolute.as_millis() as u64 + 86_400_000,
            now,
        ] {
            let header = Header {
                created_ms: now - age,
                ..ctx.header()
            };
            report.case(
                &ctx,
                cat,
                ctx.forge(header, &payload).as_bytes(),
                Some("absolute_expired"),
            );
        }
    }
    let cat = "issued in the future beyond skew";
    {
        let now = ctx.now();
        let limit = now + ctx.skew_ms;
        let at_limit = Header {
            issued_ms: limit,
            ..ctx.header()
        };
        assert!(ctx
            .config
            .decode(ctx.forge(at_limit, &payload).as_bytes())
            .is_ok());
        for issued in [limit + 1, limit + 1000, limit + 86_400_000, (1 << 48) - 1] {
            for created in [now, issued] {
                let header = Header {
                    created_ms: created,
                    issued_ms: issued,
                    ..ctx.header()
                };
                report.case(
                    &ctx,
                    cat,
                    ctx.forge(header, &payload).as_bytes(),
                    Some("issued_in_future"),
                );
            }
        }
        // A genuine cookie from a server whose clock runs 61 s ahead.
        let ahead_clock = ManualClock::new(now + ctx.skew_ms + 1000);
        let ahead = SessionConfig::<T>::builder(key(1))
            .clock(ahead_clock)
            .build()
            .unwrap();
        report.case(
            &ctx,
            cat,
            issue(&ahead, data.clone()).as_bytes(),
            Some("issued_in_future"),
        );
    }
    let cat = "inconsistent timestamps";
    {
        let now = ctx.now();
        for (created, issued) in [
            (now + 1, now),
            (now + ctx.skew_ms, now),
            ((1 << 48) - 1, now),
            (now, 0),
        ] {
            let header = Header {
                created_ms: created,
                issued_ms: issued,
                ..ctx.header()
            };
            report.case(
                &ctx,
                cat,
                ctx.forge(header, &payload).as_bytes(),
                Some("inconsistent_timestamps"),
            );
        }
    }

    // 11. A removed key: signed by keys this server no longer has.
    let cat = "removed key";
    for k in 2..=9u8 {
        let old = SessionConfig::<T>::builder(key(k))
            .clock(ctx.clock.clone())
            .build()
            .unwrap();
        report.case(
            &ctx,
            cat,
            issue(&old, data.clone()).as_bytes(),
            Some("unknown_key"),
        );
    }
    {
        // After two rotations: key 3 signs, key 2 verifies, key 1 is gone.
        let rotated = ctx.sibling(3, &[2]);
        report.case(&rotated, cat, value.as_bytes(), Some("unknown_key"));
    }

    // 12. Signed for another schema fingerprint (validly signed).
    let cat = "other schema fingerprint (validly signed)";
    for bit in 0..64 {
        let header = Header {
            fingerprint: T::SCHEMA_FINGERPRINT ^ (1 << bit),
            ..ctx.header()
        };
        report.case(
            &ctx,
            cat,
            ctx.forge(header, &payload).as_bytes(),
            Some("schema_mismatch"),
        );
    }
    for fingerprint in [0, u64::MAX, !T::SCHEMA_FINGERPRINT] {
        let header = Header {
            fingerprint,
            ..ctx.header()
        };
        report.case(
            &ctx,
            cat,
            ctx.forge(header, &payload).as_bytes(),
            Some("schema_mismatch"),
        );
    }

    // 13. Hostile payloads behind a valid MAC: the payload decoder is reached.
    let cat = "hostile payload (validly signed)";
    let mut hostile = hostile;
    hostile.push(("empty payload", Vec::new()));
    let mut trailing = payload.clone();
    trailing.push(0);
    hostile.push(("one trailing byte", trailing));
    for len in 0..payload.len() {
        hostile.push(("payload prefix", payload[..len].to_vec()));
    }
    let mut over = 0;
    for (what, bytes) in &hostile {
        let forged = ctx.forge(ctx.header(), bytes);
        // A payload longer than MAX_PAYLOAD_LEN makes the cookie too long:
        // refused by the length cap before the MAC is even computed.
        let expected = if forged.len() > ctx.max_value_len() {
            over += 1;
            "too_long"
        } else {
            "payload"
        };
        let _ = what;
        report.case(&ctx, cat, forged.as_bytes(), Some(expected));
    }
    report.note(
        cat,
        format!(
            "{} hand-made + every strict prefix of the real payload; {over} longer than the type's maximum (too_long)",
            hostile.len() - payload.len()
        ),
    );

    // 14. Revoked by the application's check (after everything else passed).
    let cat = "revoked by the application's check";
    ctx.revoke_before.store(ctx.now() + 1, Ordering::SeqCst);
    report.case(&ctx, cat, value.as_bytes(), Some("revoked"));
    for age in [1, 3_600_000, 86_400_000] {
        let header = Header {
            created_ms: ctx.now() - age,
            ..ctx.header()
        };
        report.case(
            &ctx,
            cat,
            ctx.forge(header, &payload).as_bytes(),
            Some("revoked"),
        );
    }
    ctx.revoke_before.store(0, Ordering::SeqCst);

    // 15. Older versions the type migrates from: their own fingerprint is
    // required, and their payload decoder is as strict as the current one.
    for older in ctx.older.clone() {
        let cat = "older version (migrate_from): wrong fingerprint";
        for (version, fingerprint) in [
            (older.version, T::SCHEMA_FINGERPRINT),
            (T::VERSION, older.fingerprint),
            (older.version, older.fingerprint ^ 1),
        ] {
            let header = Header {
                version,
                fingerprint,
                ..ctx.header()
            };
            report.case(
                &ctx,
                cat,
                ctx.forge(header, &payload).as_bytes(),
                Some("schema_mismatch"),
            );
        }
        let cat = "older version (migrate_from): hostile payload";
        for (version, what, bytes) in older_hostile.iter().filter(|o| o.0 == older.version) {
            let header = Header {
                version: *version,
                fingerprint: older.fingerprint,
                ..ctx.header()
            };
            let forged = ctx.forge(header, bytes);
            let expected = if forged.len() > ctx.max_value_len() {
                "too_long"
            } else {
                "payload"
            };
            let _ = what;
            report.case(&ctx, cat, forged.as_bytes(), Some(expected));
        }
    }

    report.finish();
}

// --- postcard building blocks for hostile payloads -------------------------

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Huge and off-by-one length prefixes, each followed by `tail`.
fn hostile_lengths(name: &'static str, bound: u64, tail: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let _ = name;
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
        Ctx::new("Tiny", 1, &[]),
        Tiny { n: 200 },
        hostile,
        Vec::new(),
    );
}

fn app_sample() -> AppSession {
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
        Ctx::new("AppSession", 1, &[]),
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
        Ctx::new("ShopSession", 1, &[]),
        shop_sample(),
        hostile,
        Vec::new(),
    );
}

fn at_budget_sample() -> AtBudget {
    let blob: String = (0..3000).map(|i| (b'a' + (i % 26) as u8) as char).collect();
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
            cat(&[&varint(3000), &[b'a'; 2999], &[0xff], &[0, 0, 0]]),
        ),
        ("pad: missing", cat(&[&varint(3), b"abc"])),
    ];
    // Claims up to u64::MAX, behind the largest body the cookie can carry.
    hostile.extend(hostile_lengths("blob: hostile length", 3000, &[b'a'; 2990]));
    run_suite(
        Ctx::new("AtBudget", 1, &[]),
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
    text: BoundedString<194>,
}

/// Largest envelope 768 bytes (value 1024 characters): the 1024-byte tier.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-t1k", version = 1)]
struct Tier1024 {
    text: BoundedString<707>,
}

/// Largest envelope 769 bytes: one byte past the 1024-character value.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-t1k1", version = 1)]
struct Tier1025 {
    text: BoundedString<708>,
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
    run_suite(ctx, data, Vec::new(), Vec::new());
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
    let v1 = SessionConfig::<MigV1>::builder(key(1))
        .clock(ctx.clock.clone())
        .build()
        .unwrap();
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
    run_suite(ctx, data, hostile, older_hostile);
}

// --- encrypted mode (AES-256-GCM-SIV): the same mutations, structurally -----

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

    /// Format byte, nonce and AEAD tag of docs/wire-format.md.
    pub const FORMAT_AEAD: u8 = 0x02;
    pub const MIN_RAW_LEN: usize = HEADER_LEN + 12 + 16;
}

/// The expected rejection of `value` by an encrypted configuration that
/// issued `genuine` (raw envelopes): every check before the AEAD is computed
/// independently; past it, any envelope other than a genuine one must fail
/// to open (`bad_signature`).
fn encrypted_expectation(
    value: &[u8],
    max_value_len: usize,
    key_id: [u8; 4],
    genuine: &[Vec<u8>],
) -> Option<&'static str> {
    if value.len() > max_value_len {
        return Some("too_long");
    }
    let Some(raw) = reference_base64(value) else {
        return Some("not_base64");
    };
    if raw.len() < enc::MIN_RAW_LEN {
        return Some("truncated");
    }
    if raw[0] != enc::FORMAT_AEAD {
        return Some("unknown_format");
    }
    if raw[1..5] != key_id {
        return Some("unknown_key");
    }
    if genuine.contains(&raw) {
        return None;
    }
    Some("bad_signature")
}

#[test]
fn encrypted_session_rejects_every_adversarial_cookie() {
    use enc::{Enc, SignedTwin};
    let ctx = Ctx::<Enc>::new("Enc (encrypted)", 1, &[]);
    let config = &ctx.config;
    let max_value_len = Enc::MAX_COOKIE_LEN - Enc::NAME.len();
    let key_id = Forger::new(&secret(1)).key_id;
    let data = Enc {
        user_id: Some(42),
        email: BoundedString::truncating("ada@example.com"),
        roles: BoundedVec::try_from([1, 2]).unwrap(),
    };
    let value = issue(config, data.clone());
    let raw = URL_SAFE_NO_PAD.decode(&value).unwrap();
    assert_eq!(raw[0], enc::FORMAT_AEAD);
    assert_eq!(*config.decode(value.as_bytes()).unwrap(), data);
    let genuine = vec![raw.clone()];
    let mut report = Report::new(&format!(
        "Enc, encrypted (`{}`, max cookie {} bytes)",
        Enc::NAME,
        Enc::MAX_COOKIE_LEN
    ));
    let case = |report: &mut Report, category: &str, value: &[u8], expected: Option<&str>| {
        let structural = encrypted_expectation(value, max_value_len, key_id, &genuine);
        let outcome = match (config.decode(value), structural) {
            (Ok(_), _) => Err("ACCEPTED".to_owned()),
            (Err(got), Some(kind)) if got.kind() == kind && expected.is_none_or(|e| e == kind) => {
                let mut header = format!("{}=", Enc::NAME).into_bytes();
                header.extend_from_slice(value);
                let survives = !value.contains(&b';')
                    && !value.first().is_some_and(|b| matches!(b, b' ' | b'\t'))
                    && !value.last().is_some_and(|b| matches!(b, b' ' | b'\t'));
                let through = ctx.config.load_from_cookie_headers([&header[..]]);
                if survives && through.status() != &LoadStatus::Rejected(got.clone()) {
                    Err(format!("through the header: {:?}", through.status()))
                } else {
                    Ok((got.kind(), survives))
                }
            }
            (Err(got), structural) => Err(format!(
                "got {got:?}, structurally {structural:?}, category expects {expected:?}"
            )),
        };
        report.record(ctx.label, category, value, outcome);
    };

    let cat = "bit flip, decoded bytes (re-encoded)";
    for i in 0..raw.len() {
        for bit in 0..8 {
            let mut m = raw.clone();
            m[i] ^= 1 << bit;
            case(&mut report, cat, b64(&m).as_bytes(), Some(by_position(i)));
        }
    }
    let cat = "bit flip, text";
    for i in 0..value.len() {
        for bit in 0..8 {
            let mut m = value.clone().into_bytes();
            m[i] ^= 1 << bit;
            case(&mut report, cat, &m, None);
        }
    }
    let cat = "byte substitution, decoded bytes";
    for i in 0..raw.len() {
        for b in (0..=255u8).filter(|&b| b != raw[i]) {
            let mut m = raw.clone();
            m[i] = b;
            case(&mut report, cat, b64(&m).as_bytes(), Some(by_position(i)));
        }
    }
    report.note(cat, "exhaustive: 255 values × every position");
    let cat = "truncation and extension, decoded bytes";
    for len in 0..raw.len() {
        let expected = if len < enc::MIN_RAW_LEN {
            "truncated"
        } else {
            "bad_signature"
        };
        case(
            &mut report,
            cat,
            b64(&raw[..len]).as_bytes(),
            Some(expected),
        );
    }
    for b in 0..=255u8 {
        let mut m = raw.clone();
        m.push(b);
        case(&mut report, cat, b64(&m).as_bytes(), None);
    }
    let cat = "truncation and extension, text";
    for len in 0..value.len() {
        case(&mut report, cat, &value.as_bytes()[..len], None);
        case(
            &mut report,
            cat,
            &value.as_bytes()[value.len() - len..],
            None,
        );
    }
    for &a in ALPHABET {
        for tail in [vec![a], vec![a, a], vec![a, b'A', b'A']] {
            let mut m = value.clone().into_bytes();
            m.extend_from_slice(&tail);
            case(&mut report, cat, &m, None);
        }
    }
    let cat = "padding / wrapping";
    for v in [
        format!("{value}="),
        format!("{value}=="),
        format!("\"{value}\""),
        format!(" {value}"),
        format!("{value}\t"),
        URL_SAFE.encode(&raw),
        STANDARD.encode(&raw),
        value.replace('-', "+").replace('_', "/"),
    ] {
        if v != value {
            case(&mut report, cat, v.as_bytes(), None);
        }
    }
    let cat = "signed ↔ encrypted format swap";
    {
        // A signed cookie of the same name, fields and version (the format a
        // downgrade would try) is refused by its format byte...
        let twin = SessionConfig::<SignedTwin>::builder(key(1))
            .clock(ctx.clock.clone())
            .build()
            .unwrap();
        let signed = issue(
            &twin,
            SignedTwin {
                user_id: Some(42),
                ..SignedTwin::default()
            },
        );
        case(&mut report, cat, signed.as_bytes(), Some("unknown_format"));
        // ... and so is the encrypted cookie by the signed configuration.
        let got = twin.decode(value.as_bytes()).err().map(|r| r.kind());
        assert_eq!(got, Some("unknown_format"));
        // Relabelled as the other format without re-sealing.
        let mut m = raw.clone();
        m[0] = FORMAT_HMAC_SHA256;
        case(&mut report, cat, b64(&m).as_bytes(), Some("unknown_format"));
    }
    let cat = "removed key";
    for k in 2..=5u8 {
        let old = SessionConfig::<Enc>::builder(key(k))
            .clock(ctx.clock.clone())
            .build()
            .unwrap();
        case(
            &mut report,
            cat,
            issue(&old, data.clone()).as_bytes(),
            Some("unknown_key"),
        );
    }
    let cat = "replay after idle / absolute timeout, issued in the future";
    {
        ctx.clock
            .advance(DEFAULT_IDLE_TIMEOUT + Duration::from_millis(1));
        let got = config.decode(value.as_bytes()).err().map(|r| r.kind());
        report.record(
            ctx.label,
            cat,
            value.as_bytes(),
            match got {
                Some("idle_expired") => Ok(("idle_expired", false)),
                other => Err(format!("idle: {other:?}")),
            },
        );
        ctx.clock
            .set(T0_MS + DEFAULT_ABSOLUTE_TIMEOUT.as_millis() as u64 + 1);
        let got = config.decode(value.as_bytes()).err().map(|r| r.kind());
        report.record(
            ctx.label,
            cat,
            value.as_bytes(),
            match got {
                // Idle expiry is checked after absolute expiry.
                Some("absolute_expired") => Ok(("absolute_expired", false)),
                other => Err(format!("absolute: {other:?}")),
            },
        );
        ctx.clock.set(T0_MS);
        let ahead = SessionConfig::<Enc>::builder(key(1))
            .clock(ManualClock::new(T0_MS + 61_000))
            .build()
            .unwrap();
        let future = issue(&ahead, data.clone());
        let got = config.decode(future.as_bytes()).err().map(|r| r.kind());
        report.record(
            ctx.label,
            cat,
            future.as_bytes(),
            match got {
                Some("issued_in_future") => Ok(("issued_in_future", false)),
                other => Err(format!("future: {other:?}")),
            },
        );
    }
    let cat = "moved to another cookie name";
    {
        #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
        #[session(name = "__Host-enc2", version = 1, encrypted)]
        struct EncOtherName {
            user_id: Option<u64>,
            email: BoundedString<40>,
            roles: BoundedVec<u16, 4>,
        }
        let other = SessionConfig::<EncOtherName>::builder(key(1))
            .clock(ctx.clock.clone())
            .build()
            .unwrap();
        let got = other.decode(value.as_bytes()).err().map(|r| r.kind());
        report.record(
            ctx.label,
            cat,
            value.as_bytes(),
            match got {
                Some("bad_signature") => Ok(("bad_signature", false)),
                other => Err(format!("moved: {other:?}")),
            },
        );
    }
    report.finish();
}

// --- genuine cookies written by a changed struct ----------------------------

mod changed {
    use super::*;

    /// `Tiny` with its field widened.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "t", version = 1)]
    pub struct TinyWide {
        pub n: u16,
    }

    /// `Tiny` with its field renamed.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "t", version = 1)]
    pub struct TinyRenamed {
        pub m: u8,
    }

    /// `AppSession` with a larger bound.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "__Host-app", version = 2)]
    pub struct AppWider {
        pub user_id: Option<u64>,
        pub display_name: BoundedString<64>,
        pub roles: BoundedVec<u16, 8>,
        pub csrf: [u8; 32],
    }

    /// `AppSession` with two fields swapped.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "__Host-app", version = 2)]
    pub struct AppReordered {
        pub display_name: BoundedString<32>,
        pub user_id: Option<u64>,
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
}

/// A genuine cookie (right key, right name) written by a struct of another
/// shape or version: refused after the MAC by the version or fingerprint.
fn changed_case<
    S: CookieSession + Clone + PartialEq + Debug,
    T: CookieSession + Clone + PartialEq + Debug,
>(
    report: &mut Report,
    ctx: &Ctx<T>,
    data: S,
) {
    let writer = SessionConfig::<S>::builder(key(1))
        .clock(ctx.clock.clone())
        .build()
        .unwrap();
    let value = issue(&writer, data);
    let expected = if S::VERSION != T::VERSION {
        "wrong_version"
    } else {
        "schema_mismatch"
    };
    report.case(
        ctx,
        "genuine cookie of a changed struct",
        value.as_bytes(),
        Some(expected),
    );
}

#[test]
fn a_genuine_cookie_of_a_changed_struct_is_rejected() {
    use changed::*;
    let mut report = Report::new("genuine cookies of changed structs (same name, same key)");
    let tiny = Ctx::<Tiny>::new("Tiny", 1, &[]);
    let app = Ctx::<AppSession>::new("AppSession", 1, &[]);
    changed_case(&mut report, &tiny, TinyWide { n: 3 });
    changed_case(&mut report, &tiny, TinyRenamed { m: 3 });
    changed_case(&mut report, &app, AppWider::default());
    changed_case(&mut report, &app, AppReordered::default());
    changed_case(&mut report, &app, AppNext::default());
    // And the other way round: the old struct's cookie after a deploy.
    changed_case(
        &mut report,
        &Ctx::<TinyWide>::new("TinyWide", 1, &[]),
        Tiny { n: 3 },
    );
    changed_case(
        &mut report,
        &Ctx::<TinyRenamed>::new("TinyRenamed", 1, &[]),
        Tiny { n: 3 },
    );
    changed_case(
        &mut report,
        &Ctx::<AppWider>::new("AppWider", 1, &[]),
        app_sample(),
    );
    changed_case(
        &mut report,
        &Ctx::<AppReordered>::new("AppReordered", 1, &[]),
        app_sample(),
    );
    changed_case(
        &mut report,
        &Ctx::<AppNext>::new("AppNext", 1, &[]),
        app_sample(),
    );
    report.note(
        "genuine cookie of a changed struct",
        "Tiny ↔ widened / renamed field; AppSession ↔ wider bound / reordered fields / version 3",
    );
    report.finish();
}

// --- the cookie moved to every other cookie name ----------------------------

macro_rules! app_alias {
    ($($ty:ident = $name:literal),* $(,)?) => {$(
        /// `AppSession`'s fields and version under another cookie name.
        #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
        #[session(name = $name, version = 2)]
        struct $ty {
            user_id: Option<u64>,
            display_name: BoundedString<32>,
            roles: BoundedVec<u16, 8>,
            csrf: [u8; 32],
        }
    )*};
}

app_alias!(
    AliasHost2 = "__Host-app2",
    AliasShort = "__Host-ap",
    AliasLowerPrefix = "__host-app",
    AliasUpperName = "__Host-App",
    AliasSecure = "__Secure-app",
    AliasPlain = "app",
    AliasNoPrefix = "Host-app",
);

/// Presents `value` (issued for `source`) to `ctx`: too long for it, or a MAC
/// that does not verify because the name is bound into it.
fn moved<T: CookieSession + Clone + PartialEq + Debug>(
    report: &mut Report,
    ctx: &Ctx<T>,
    source: &str,
    value: &str,
) {
    if source == T::NAME {
        return;
    }
    let expected = if value.len() > ctx.max_value_len() {
        "too_long"
    } else {
        "bad_signature"
    };
    report.case(
        ctx,
        "moved to another cookie name",
        value.as_bytes(),
        Some(expected),
    );
    // Sent under its own name, the cookie is not even a candidate here.
    let header = format!("{source}={value}");
    let session = ctx.config.load_from_cookie_headers([header.as_bytes()]);
    assert_eq!(
        session.status(),
        &LoadStatus::Missing,
        "{source} -> {}",
        T::NAME
    );
}

#[test]
fn a_cookie_moved_to_any_other_name_is_rejected() {
    let mut report = Report::new("every shape's cookie under every other name");
    let tiny = Ctx::<Tiny>::new("Tiny", 1, &[]);
    let app = Ctx::<AppSession>::new("AppSession", 1, &[]);
    let shop = Ctx::<ShopSession>::new("ShopSession", 1, &[]);
    let big = Ctx::<AtBudget>::new("AtBudget", 1, &[]);
    let aliases = (
        Ctx::<AliasHost2>::new("AliasHost2", 1, &[]),
        Ctx::<AliasShort>::new("AliasShort", 1, &[]),
        Ctx::<AliasLowerPrefix>::new("AliasLowerPrefix", 1, &[]),
        Ctx::<AliasUpperName>::new("AliasUpperName", 1, &[]),
        Ctx::<AliasSecure>::new("AliasSecure", 1, &[]),
        Ctx::<AliasPlain>::new("AliasPlain", 1, &[]),
        Ctx::<AliasNoPrefix>::new("AliasNoPrefix", 1, &[]),
    );
    // Same fields, same version: only the name in the MAC tells them apart.
    assert_eq!(
        AliasHost2::SCHEMA_FINGERPRINT,
        AppSession::SCHEMA_FINGERPRINT
    );
    let sources = [
        (Tiny::NAME, issue(&tiny.config, Tiny { n: 200 })),
        (AppSession::NAME, issue(&app.config, app_sample())),
        (ShopSession::NAME, issue(&shop.config, shop_sample())),
        (AtBudget::NAME, issue(&big.config, at_budget_sample())),
        (
            AliasHost2::NAME,
            issue(&aliases.0.config, AliasHost2::default()),
        ),
        (
            AliasUpperName::NAME,
            issue(&aliases.3.config, AliasUpperName::default()),
        ),
    ];
    for (source, value) in &sources {
        moved(&mut report, &tiny, source, value);
        moved(&mut report, &app, source, value);
        moved(&mut report, &shop, source, value);
        moved(&mut report, &big, source, value);
        moved(&mut report, &aliases.0, source, value);
        moved(&mut report, &aliases.1, source, value);
        moved(&mut report, &aliases.2, source, value);
        moved(&mut report, &aliases.3, source, value);
        moved(&mut report, &aliases.4, source, value);
        moved(&mut report, &aliases.5, source, value);
        moved(&mut report, &aliases.6, source, value);
    }
    report.note(
        "moved to another cookie name",
        "6 sources × 11 names (4 shapes + 7 AppSession-shaped aliases: __Host-app2, __Host-ap, __host-app, __Host-App, __Secure-app, app, Host-app)",
    );
    report.finish();
}

// --- planted candidates: junk and older sessions never hide the genuine one ---

/// The browser sends `planted` cookies of the session's name around the
/// genuine one (before it, as a longer `Path` would, or after it). Each planted
/// cookie counts as rejected when the genuine session is what loads.
fn planted_case<T: CookieSession + Clone + PartialEq + Debug>(
    report: &mut Report,
    ctx: &Ctx<T>,
    category: &str,
    planted: &[String],
    genuine: &str,
    expected: &T,
) {
    for before in [true, false] {
        let mut values: Vec<&str> = planted.iter().map(String::as_str).collect();
        if before {
            values.push(genuine);
        } else {
            values.insert(0, genuine);
        }
        let header = values
            .iter()
            .map(|value| format!("{}={value}", T::NAME))
            .collect::<Vec<_>>()
            .join("; ");
        let session = ctx.config.load_from_cookie_headers([header.as_bytes()]);
        for junk in planted {
            let outcome = if session.status() == &LoadStatus::Valid && &*session == expected {
                Ok(("planted_not_chosen", true))
            } else {
                Err(format!(
                    "{} planted ({}): loaded {:?}",
                    planted.len(),
                    if before { "first" } else { "last" },
                    session.status()
                ))
            };
            report.record(ctx.label, category, junk.as_bytes(), outcome);
        }
    }
}

#[test]
fn planted_candidates_never_hide_or_replace_the_genuine_session() {
    let mut report = Report::new("AppSession: planted same-name candidates");
    let ctx = Ctx::<AppSession>::new("AppSession", 1, &[2]);
    let forger = Forger::new(&secret(1));
    let genuine = issue(&ctx.config, app_sample());
    let raw = reference_base64(genuine.as_bytes()).unwrap();
    let header = Header::parse(&raw);
    let payload = &raw[HEADER_LEN..raw.len() - TAG_LEN];
    // Up to MAX_VERIFIED_CANDIDATES - 1 well-formed planted cookies can precede
    // the genuine one; 16 is the documented promise.
    let counts = [1, 4, 16, MAX_VERIFIED_CANDIDATES - 1];
    let category = "planted forgeries (well-formed, bad MAC)";
    for count in counts {
        let forgeries: Vec<String> = (0..count)
            .map(|i| {
                let mut raw = raw.clone();
                let at = HEADER_LEN + i % (raw.len() - HEADER_LEN);
                raw[at] ^= 0x5a;
                b64(&raw)
            })
            .collect();
        planted_case(
            &mut report,
            &ctx,
            category,
            &forgeries,
            &genuine,
            &app_sample(),
        );
    }
    report.note(
        category,
        "1, 4, 16, 19 forgeries of the genuine cookie, before and after it",
    );
    let category = "planted cookies of unknown keys";
    for count in counts {
        let unknown_keys: Vec<String> = (0..count)
            .map(|i| Forger::new(&secret(100 + i as u8)).forge(AppSession::NAME, &header, payload))
            .collect();
        planted_case(
            &mut report,
            &ctx,
            category,
            &unknown_keys,
            &genuine,
            &app_sample(),
        );
    }
    report.note(
        category,
        "1, 4, 16, 19 cookies signed with keys the server does not have",
    );
    // Authentic cookies of sessions that started earlier (an attacker's own
    // session planted before the victim's login): the newest session wins.
    let category = "planted authentic older sessions";
    let other_data = postcard::to_allocvec(&AppSession::default()).unwrap();
    for count in counts {
        let older: Vec<String> = (0..count)
            .map(|i| {
                let mut other = header;
                other.created_ms = header.created_ms - 1000 * (i as u64 + 1);
                forger.forge(AppSession::NAME, &other, &other_data)
            })
            .collect();
        planted_case(&mut report, &ctx, category, &older, &genuine, &app_sample());
    }
    report.note(
        category,
        "1, 4, 16, 19 genuine cookies (same key, other data) of sessions started 1 s … 19 s earlier",
    );
    let category = "planted malformed values (no MAC spent)";
    let junk: Vec<String> = (0..MAX_CANDIDATE_COOKIES - 1)
        .map(|i| ["%%", "AAAA", "", "QUJD"][i % 4].to_owned())
        .collect();
    planted_case(&mut report, &ctx, category, &junk, &genuine, &app_sample());
    report.note(
        category,
        "31 values failing the cheap checks (not base64, truncated), before and after the genuine cookie",
    );
    report.finish();
}

// --- huge headers: work bounded by MAX_CANDIDATE_COOKIES, not by input -------

/// Header values handed to the runtime one by one, counting how many it pulls.
fn counted<'a>(
    headers: &'a [Vec<u8>],
    pulled: &'a std::cell::Cell<usize>,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    headers.iter().map(move |h| {
        pulled.set(pulled.get() + 1);
        &h[..]
    })
}

#[test]
fn huge_headers_and_many_cookies_are_bounded_by_the_candidate_limit() {
    let ctx = Ctx::<AppSession>::new("AppSession", 1, &[]);
    let name = AppSession::NAME;
    let valid = issue(&ctx.config, app_sample());
    let bogus = b64(&[0u8; MIN_RAW_LEN]); // decodes, format byte 0
    let mut lines = Vec::new();
    let mb = 1 << 20;

    // One 1 MB value: refused on its length before any decoding.
    let huge = format!("{name}={}", "A".repeat(mb));
    let s = ctx.config.load_from_cookie_headers([huge.as_bytes()]);
    assert_eq!(s.rejection().map(|r| r.kind()), Some("too_long"));
    lines.push("1 MB value under the session name: too_long".to_owned());

    // 1 MB of other cookies, the session cookie last: found and valid.
    let filler = "x=0123456789abcdef; ".repeat(mb / 20);
    let header = format!("{filler}{name}={valid}");
    assert!(header.len() > mb);
    let s = ctx.config.load_from_cookie_headers([header.as_bytes()]);
    assert_eq!(s.status(), &LoadStatus::Valid);
    assert_eq!(*s, app_sample());
    lines.push("1 MB of other cookies, then the session cookie: valid".to_owned());

    // 10,000 same-name cookies in one header, the valid one at position k:
    // only the first MAX_CANDIDATE_COOKIES are tried.
    for k in [
        1,
        2,
        MAX_CANDIDATE_COOKIES,
        MAX_CANDIDATE_COOKIES + 1,
        5000,
        10_000,
    ] {
        let mut pairs: Vec<String> = (0..10_000).map(|_| format!("{name}={bogus}")).collect();
        pairs[k - 1] = format!("{name}={valid}");
        let header = pairs.join("; ");
        let s = ctx.config.load_from_cookie_headers([header.as_bytes()]);
        if k <= MAX_CANDIDATE_COOKIES {
            assert_eq!(s.status(), &LoadStatus::Valid, "valid cookie at {k}");
        } else {
            // The first candidate's reason is reported; the valid one is never examined.
            assert_eq!(
                s.rejection().map(|r| r.kind()),
                Some("unknown_format"),
                "k = {k}"
            );
        }
    }
    lines.push(format!(
        "10,000 same-name cookies in one header: the valid one is found at positions 1..={MAX_CANDIDATE_COOKIES} and ignored at {} and beyond",
        MAX_CANDIDATE_COOKIES + 1
    ));

    // 10,000 Cookie headers of one same-name cookie each: count the header
    // values the runtime pulls (each holds exactly one candidate).
    let headers: Vec<Vec<u8>> = (0..10_000)
        .map(|_| format!("{name}={bogus}").into_bytes())
        .collect();
    let pulled = std::cell::Cell::new(0);
    let s = ctx
        .config
        .load_from_cookie_headers(counted(&headers, &pulled));
    assert_eq!(s.rejection().map(|r| r.kind()), Some("unknown_format"));
    assert_eq!(pulled.get(), MAX_CANDIDATE_COOKIES, "headers examined");
    lines.push(format!(
        "10,000 Cookie headers, one candidate each: {} of 10,000 examined",
        pulled.get()
    ));

    // The same through an http::HeaderMap.
    let mut map = http::HeaderMap::new();
    for h in &headers {
        map.append(
            http::header::COOKIE,
            http::HeaderValue::from_bytes(h).unwrap(),
        );
    }
    map.append(
        http::header::COOKIE,
        format!("{name}={valid}").parse().unwrap(),
    );
    assert_eq!(
        ctx.config.load(&map).rejection().map(|r| r.kind()),
        Some("unknown_format")
    );

    // Degenerate megabyte headers.
    for (what, header) in [
        ("1 MB of ';'", ";".repeat(mb)),
        ("1 MB of '='", "=".repeat(mb)),
        ("1 MB of spaces", " ".repeat(mb)),
        ("1 MB of 'x=;'", "x=;".repeat(mb / 3)),
    ] {
        let s = ctx.config.load_from_cookie_headers([header.as_bytes()]);
        assert_eq!(s.status(), &LoadStatus::Missing, "{what}");
        lines.push(format!("{what}: missing"));
    }
    let header = format!("{name}=").repeat(mb / (name.len() + 1));
    let s = ctx.config.load_from_cookie_headers([header.as_bytes()]);
    assert_eq!(s.rejection().map(|r| r.kind()), Some("too_long"));
    lines.push("1 MB of '__Host-app=' without ';': too_long".to_owned());
    // 10,000 empty same-name values.
    let header = format!("{name}=; ").repeat(10_000);
    let s = ctx.config.load_from_cookie_headers([header.as_bytes()]);
    assert_eq!(s.rejection().map(|r| r.kind()), Some("truncated"));
    lines.push("10,000 empty same-name cookies: truncated (first candidate)".to_owned());
    eprintln!(
        "\n### huge headers (AppSession)\n\n- {}",
        lines.join("\n- ")
    );
}

/// Sessions written by the runtime round-trip through the reference decoder,
/// so a difference between it and the runtime is the runtime's, not the
/// reference's (sanity for every other test in this file).
#[test]
fn reference_decoder_agrees_with_the_runtime_on_valid_cookies() {
    fn agree<T: CookieSession + Clone + PartialEq + Debug>(label: &'static str, data: T) {
        let ctx = Ctx::<T>::new(label, 1, &[]);
        let value = issue(&ctx.config, data.clone());
        assert_eq!(ctx.reference(value.as_bytes()), Ok(()));
        ctx.clock.advance(Duration::from_secs(3600));
        assert_eq!(ctx.reference(value.as_bytes()), Ok(()));
        assert_eq!(*ctx.config.decode(value.as_bytes()).unwrap(), data);
        assert!(ctx.config.decode(value.as_bytes()).is_ok());
    }
    agree("Tiny", Tiny { n: 0 });
    agree("AppSession", app_sample());
    agree("AppSession", AppSession::default());
    agree("ShopSession", shop_sample());
    agree("AtBudget", at_budget_sample());
}
