//! An independent reference implementation of the cookie format in
//! `docs/wire-format.md` (signed and encrypted), shared by the adversarial
//! tests, the allocation tests and the fuzz targets.
//!
//! It never calls the runtime's codec: its own layout constants, HKDF-SHA256
//! subkeys, HMAC-SHA256 tag and AES-256-GCM-SIV sealing, its own strict
//! base64url decoder and the documented check order, step by step. The tests
//! use it to forge validly sealed hostile cookies (other versions,
//! fingerprints, timestamps, payloads) and to name the `Rejection::kind()` the
//! runtime must report for any value.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use session_runtime::defaults::{ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, MAX_CLOCK_SKEW};
use session_runtime::CookieSession;

/// HKDF-SHA256 salt of every subkey.
pub const HKDF_SALT: &[u8] = b"session-runtime/v2/hkdf-salt";
/// HKDF info of the HMAC-SHA256 cookie key.
pub const INFO_MAC: &[u8] = b"session-runtime/v2/cookie-mac/hmac-sha256";
/// HKDF info of the AES-256-GCM-SIV cookie key.
pub const INFO_AEAD: &[u8] = b"session-runtime/v2/cookie-aead/aes-256-gcm-siv";
/// HKDF info of the key id (4 bytes expanded, the first 2 used).
pub const INFO_KEY_ID: &[u8] = b"session-runtime/v2/key-id";
/// Domain separator at the start of the MAC prefix.
pub const MAC_DOMAIN: &[u8] = b"session-runtime/v2/cookie\0";
/// Domain separator at the start of the associated data of encrypted cookies.
pub const AEAD_DOMAIN: &[u8] = b"session-runtime/v2/cookie-aead\0";
/// The format byte of signed (HMAC-SHA-256-128) cookies.
pub const FORMAT_SIGNED: u8 = 0x03;
/// The format byte of encrypted (AES-256-GCM-SIV) cookies.
pub const FORMAT_ENCRYPTED: u8 = 0x04;
/// Bytes of header.
pub const HEADER_LEN: usize = 16;
/// Bytes of key id in the header.
pub const KEY_ID_LEN: usize = 2;
/// Header offsets of the fields after the format byte.
pub const KEY_ID_AT: usize = 1;
/// Offset of the version.
pub const VERSION_AT: usize = 3;
/// Offset of the fingerprint hint.
pub const HINT_AT: usize = 5;
/// Offset of the creation time.
pub const CREATED_AT: usize = 7;
/// Offset of the issue time.
pub const ISSUED_AT: usize = 11;
/// Offset of the lifetime byte.
pub const LIFETIME_AT: usize = 15;
/// Bytes of HMAC tag in a signed cookie (HMAC-SHA256 truncated to 128 bits).
pub const TAG_LEN: usize = 16;
/// Bytes of nonce in an encrypted cookie.
pub const NONCE_LEN: usize = 12;
/// Bytes of AEAD tag in an encrypted cookie.
pub const AEAD_TAG_LEN: usize = 16;
/// Shortest signed envelope: header and tag, empty payload.
pub const MIN_RAW_LEN: usize = HEADER_LEN + TAG_LEN;
/// The wire epoch, 2025-01-01T00:00:00Z, in Unix milliseconds.
pub const EPOCH_UNIX_MS: u64 = 1_735_689_600_000;
/// Lifetime bytes: standard, browser session, remember me.
pub const LIFETIME_STANDARD: u8 = 0;
/// Browser session (no `Max-Age`).
pub const LIFETIME_BROWSER_SESSION: u8 = 1;
/// Remember me (declared with `SessionConfigBuilder::remember_me`).
pub const LIFETIME_REMEMBER_ME: u8 = 2;
/// The RFC 4648 §5 base64url alphabet, in sextet order.
pub const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A key id as written in headers.
pub type KeyId = [u8; KEY_ID_LEN];

/// Unix milliseconds → wire seconds since [`EPOCH_UNIX_MS`] (rounded down).
///
/// # Panics
/// Outside the 32-bit range (tests only forge times they mean to).
pub fn secs(unix_ms: u64) -> u32 {
    u32::try_from((unix_ms - EPOCH_UNIX_MS) / 1000).expect("a time between 2025 and 2161")
}

/// Wire seconds → Unix milliseconds.
pub fn unix_ms(secs: u32) -> u64 {
    EPOCH_UNIX_MS + u64::from(secs) * 1000
}

/// The fingerprint hint of a full schema fingerprint: its top 16 bits.
pub fn hint(fingerprint: u64) -> u16 {
    u16::try_from(fingerprint >> 48).expect("16 bits")
}

/// The protection of a session type: signed or encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `header ‖ payload ‖ HMAC tag`.
    Signed,
    /// `header ‖ nonce ‖ ciphertext ‖ AEAD tag`.
    Encrypted,
}

impl Mode {
    /// The mode of session type `T`.
    pub fn of<T: CookieSession>() -> Mode {
        if T::ENCRYPTED {
            Mode::Encrypted
        } else {
            Mode::Signed
        }
    }

    /// Its format byte.
    pub fn format(self) -> u8 {
        match self {
            Mode::Signed => FORMAT_SIGNED,
            Mode::Encrypted => FORMAT_ENCRYPTED,
        }
    }

    /// Its fixed overhead: the shortest envelope (empty payload).
    pub fn overhead(self) -> usize {
        match self {
            Mode::Signed => HEADER_LEN + TAG_LEN,
            Mode::Encrypted => HEADER_LEN + NONCE_LEN + AEAD_TAG_LEN,
        }
    }

    /// Bytes before (nonce) and after (tag) the payload or ciphertext.
    fn around_payload(self) -> (usize, usize) {
        match self {
            Mode::Signed => (0, TAG_LEN),
            Mode::Encrypted => (NONCE_LEN, AEAD_TAG_LEN),
        }
    }
}

/// The body of an envelope: the payload (signed) or the ciphertext
/// (encrypted), i.e. what lies between the header (and nonce) and the tag.
pub fn body(mode: Mode, raw: &[u8]) -> &[u8] {
    let (before, after) = mode.around_payload();
    &raw[HEADER_LEN + before..raw.len() - after]
}

/// What both sides know and bind under the tag without sending it: the
/// mode, the cookie name and the full schema fingerprint of the version.
#[derive(Clone, Copy, Debug)]
pub struct Binding<'a> {
    /// Signed or encrypted.
    pub mode: Mode,
    /// The cookie name.
    pub name: &'a str,
    /// The full 64-bit schema fingerprint of the cookie's version.
    pub fingerprint: u64,
}

impl Binding<'static> {
    /// The binding of session type `T`'s own version.
    pub fn of<T: CookieSession>() -> Binding<'static> {
        Binding {
            mode: Mode::of::<T>(),
            name: T::NAME,
            fingerprint: T::SCHEMA_FINGERPRINT,
        }
    }
}

impl<'a> Binding<'a> {
    /// The same, for another schema fingerprint (an older version, or a
    /// forger's choice).
    pub fn with_fingerprint(self, fingerprint: u64) -> Binding<'a> {
        Binding {
            fingerprint,
            ..self
        }
    }

    /// `pad64(domain ‖ u16be(len(name)) ‖ name ‖ u64be(fingerprint))`, the
    /// constant prefix of the MAC input.
    pub fn mac_prefix(&self) -> Vec<u8> {
        let mut prefix = [
            MAC_DOMAIN,
            &name_len(self.name),
            self.name.as_bytes(),
            &self.fingerprint.to_be_bytes(),
        ]
        .concat();
        prefix.resize(prefix.len().next_multiple_of(64), 0);
        prefix
    }

    /// `domain ‖ u16be(len(name)) ‖ name ‖ u64be(fingerprint) ‖ header`, the
    /// associated data of an encrypted cookie.
    pub fn aad(&self, header: &[u8]) -> Vec<u8> {
        [
            AEAD_DOMAIN,
            &name_len(self.name),
            self.name.as_bytes(),
            &self.fingerprint.to_be_bytes(),
            header,
        ]
        .concat()
    }
}

/// The subkeys derived from one secret: the key id (public, in every header),
/// the HMAC key and the AEAD key.
#[derive(Clone)]
pub struct Forger {
    /// The key id written into headers sealed by this key.
    pub key_id: KeyId,
    mac_key: [u8; 32],
    aead_key: [u8; 32],
    /// The nonce of the encrypted cookies this forger seals (the runtime
    /// draws one at random per cookie; a fixed one makes forgeries repeatable).
    pub nonce: [u8; NONCE_LEN],
}

impl Forger {
    /// Derives the subkeys of `secret`.
    pub fn new(secret: &[u8]) -> Forger {
        use hkdf::Hkdf;
        use sha2::Sha256;
        let hkdf = Hkdf::<Sha256>::new(Some(HKDF_SALT), secret);
        let mut mac_key = [0; 32];
        let mut aead_key = [0; 32];
        let mut id = [0; 4];
        hkdf.expand(INFO_MAC, &mut mac_key)
            .expect("32 bytes is a valid HKDF-SHA256 length");
        hkdf.expand(INFO_AEAD, &mut aead_key)
            .expect("32 bytes is a valid HKDF-SHA256 length");
        hkdf.expand(INFO_KEY_ID, &mut id)
            .expect("4 bytes is a valid HKDF-SHA256 length");
        Forger {
            key_id: [id[0], id[1]],
            mac_key,
            aead_key,
            nonce: [0x5a; NONCE_LEN],
        }
    }

    /// The same keys, sealing encrypted cookies under `nonce`.
    pub fn with_nonce(mut self, nonce: [u8; NONCE_LEN]) -> Forger {
        self.nonce = nonce;
        self
    }

    /// The HMAC-SHA-256-128 tag of `PREFIX ‖ header ‖ payload`.
    pub fn tag(&self, binding: &Binding, header: &[u8], payload: &[u8]) -> [u8; TAG_LEN] {
        use hmac::{Hmac, KeyInit, Mac};
        use sha2::Sha256;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.mac_key)
            .expect("HMAC takes keys of any length");
        mac.update(&binding.mac_prefix());
        mac.update(header);
        mac.update(payload);
        let full: [u8; 32] = mac.finalize().into_bytes().into();
        full[..TAG_LEN].try_into().expect("tag length")
    }

    fn cipher(&self) -> aes_gcm_siv::Aes256GcmSiv {
        use aes_gcm_siv::aead::KeyInit;
        aes_gcm_siv::Aes256GcmSiv::new_from_slice(&self.aead_key).expect("32-byte key")
    }

    /// `header ‖ payload ‖ tag` (signed) or `header ‖ nonce ‖ ciphertext ‖
    /// tag` (encrypted), sealed over exactly these bytes.
    pub fn seal(&self, binding: &Binding, header: &Header, payload: &[u8]) -> Vec<u8> {
        let header = header.to_bytes();
        let mut raw = header.to_vec();
        match binding.mode {
            Mode::Signed => {
                raw.extend_from_slice(payload);
                raw.extend_from_slice(&self.tag(binding, &header, payload));
            }
            Mode::Encrypted => {
                use aes_gcm_siv::aead::AeadInOut;
                let mut data = payload.to_vec();
                let tag = self
                    .cipher()
                    .encrypt_inout_detached(
                        &self.nonce.into(),
                        &binding.aad(&header),
                        data.as_mut_slice().into(),
                    )
                    .expect("cookie payloads are far below the AEAD limit");
                raw.extend_from_slice(&self.nonce);
                raw.extend_from_slice(&data);
                raw.extend_from_slice(&tag);
            }
        }
        raw
    }

    /// A validly sealed cookie value (base64url of [`Forger::seal`]).
    pub fn forge(&self, binding: &Binding, header: &Header, payload: &[u8]) -> String {
        b64(&self.seal(binding, header, payload))
    }

    /// Verifies (signed) or decrypts (encrypted) an envelope at least
    /// `binding.mode.overhead()` long: its payload, or `None` if the tag is
    /// wrong.
    pub fn unseal(&self, binding: &Binding, raw: &[u8]) -> Option<Vec<u8>> {
        let header = &raw[..HEADER_LEN];
        match binding.mode {
            Mode::Signed => {
                let (payload, tag) = raw[HEADER_LEN..].split_at(raw.len() - MIN_RAW_LEN);
                (self.tag(binding, header, payload) == tag).then(|| payload.to_vec())
            }
            Mode::Encrypted => {
                use aes_gcm_siv::aead::AeadInOut;
                let nonce: [u8; NONCE_LEN] = raw[HEADER_LEN..HEADER_LEN + NONCE_LEN]
                    .try_into()
                    .expect("nonce length");
                let tag: [u8; AEAD_TAG_LEN] = raw[raw.len() - AEAD_TAG_LEN..]
                    .try_into()
                    .expect("tag length");
                let mut data = body(Mode::Encrypted, raw).to_vec();
                self.cipher()
                    .decrypt_inout_detached(
                        &nonce.into(),
                        &binding.aad(header),
                        data.as_mut_slice().into(),
                        &tag.into(),
                    )
                    .ok()
                    .map(|()| data)
            }
        }
    }

    /// Re-seals an envelope in place over its header and body as they are now
    /// (signed: recomputes the tag; encrypted: takes the body as plaintext and
    /// encrypts it under the envelope's nonce). Envelopes shorter than the
    /// mode's overhead are left alone.
    pub fn resign(&self, binding: &Binding, raw: &mut Vec<u8>) {
        if raw.len() < binding.mode.overhead() {
            return;
        }
        let header = Header::parse(raw);
        let nonce = match binding.mode {
            Mode::Signed => self.nonce,
            Mode::Encrypted => raw[HEADER_LEN..HEADER_LEN + NONCE_LEN]
                .try_into()
                .expect("nonce length"),
        };
        // Header::parse keeps every header byte, so the header is unchanged.
        let forger = self.clone().with_nonce(nonce);
        *raw = forger.seal(binding, &header, body(binding.mode, raw));
    }
}

fn name_len(name: &str) -> [u8; 2] {
    u16::try_from(name.len())
        .expect("cookie names are short")
        .to_be_bytes()
}

/// The 16-byte header, field by field (integers big-endian on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Format byte ([`FORMAT_SIGNED`] or [`FORMAT_ENCRYPTED`]).
    pub format: u8,
    /// Id of the sealing key.
    pub key_id: KeyId,
    /// The session type's version.
    pub version: u16,
    /// The top 16 bits of that version's schema fingerprint.
    pub hint: u16,
    /// Session start, seconds since [`EPOCH_UNIX_MS`].
    pub created: u32,
    /// Issue time, seconds since [`EPOCH_UNIX_MS`].
    pub issued: u32,
    /// The lifetime: the low two bits of the last header byte.
    pub lifetime: u8,
    /// The start sequence: the high six bits of the last header byte.
    pub start_seq: u8,
}

impl Header {
    /// A genuine header for `T`: created and issued at `at_ms`, standard
    /// lifetime.
    pub fn new<T: CookieSession>(key_id: KeyId, at_ms: u64) -> Header {
        Header {
            format: Mode::of::<T>().format(),
            key_id,
            version: T::VERSION,
            hint: hint(T::SCHEMA_FINGERPRINT),
            created: secs(at_ms),
            issued: secs(at_ms),
            lifetime: LIFETIME_STANDARD,
            start_seq: 0,
        }
    }

    /// The wire bytes.
    pub fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut out = [0; HEADER_LEN];
        out[0] = self.format;
        out[KEY_ID_AT..VERSION_AT].copy_from_slice(&self.key_id);
        out[VERSION_AT..HINT_AT].copy_from_slice(&self.version.to_be_bytes());
        out[HINT_AT..CREATED_AT].copy_from_slice(&self.hint.to_be_bytes());
        out[CREATED_AT..ISSUED_AT].copy_from_slice(&self.created.to_be_bytes());
        out[ISSUED_AT..LIFETIME_AT].copy_from_slice(&self.issued.to_be_bytes());
        out[LIFETIME_AT] = self.start_seq << 2 | self.lifetime;
        out
    }

    /// Reads the first [`HEADER_LEN`] bytes of `bytes`.
    ///
    /// # Panics
    /// If `bytes` is shorter than [`HEADER_LEN`].
    pub fn parse(bytes: &[u8]) -> Header {
        let u16_at = |at: usize| u16::from_be_bytes([bytes[at], bytes[at + 1]]);
        let u32_at = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4"));
        Header {
            format: bytes[0],
            key_id: [bytes[KEY_ID_AT], bytes[KEY_ID_AT + 1]],
            version: u16_at(VERSION_AT),
            hint: u16_at(HINT_AT),
            created: u32_at(CREATED_AT),
            issued: u32_at(ISSUED_AT),
            lifetime: bytes[LIFETIME_AT] & 0x03,
            start_seq: bytes[LIFETIME_AT] >> 2,
        }
    }

    /// Session start in Unix milliseconds.
    pub fn created_ms(&self) -> u64 {
        unix_ms(self.created)
    }

    /// Issue time in Unix milliseconds.
    pub fn issued_ms(&self) -> u64 {
        unix_ms(self.issued)
    }

    /// The rank that chooses among several authentic cookies
    /// (docs/lifecycle.md, "Load"): later start (`created`, then
    /// `start_seq`), then later issue.
    pub fn rank(&self) -> (u32, u8, u32) {
        (self.created, self.start_seq, self.issued)
    }
}

/// The reason a configuration with one key and one version (no
/// `migrate_from`) gives for a genuine envelope changed at decoded byte
/// `index` and not re-sealed, in the documented decode order: format byte
/// (`unknown_format`), key id (`unknown_key`), version (`wrong_version`,
/// before the MAC), then the failed MAC, reported as `schema_mismatch` when
/// the fingerprint hint no longer matches and `bad_signature` otherwise.
pub fn changed_byte_reason(index: usize) -> &'static str {
    match index {
        0 => "unknown_format",
        KEY_ID_AT..VERSION_AT => "unknown_key",
        VERSION_AT..HINT_AT => "wrong_version",
        HINT_AT..CREATED_AT => "schema_mismatch",
        _ => "bad_signature",
    }
}

/// Every single-bit flip of `raw`: (byte index, flipped copy).
pub fn single_bit_flips(raw: &[u8]) -> impl Iterator<Item = (usize, Vec<u8>)> + '_ {
    (0..raw.len()).flat_map(move |i| {
        (0..8).map(move |bit| {
            let mut m = raw.to_vec();
            m[i] ^= 1 << bit;
            (i, m)
        })
    })
}

/// Whether `value` reaches the decoder verbatim when sent as
/// `Cookie: name=value`: a header is split into pairs on `;` and each pair
/// is trimmed of SP/HTAB (RFC 6265 §5.4), so only values without `;` and
/// without leading or trailing SP/HTAB do.
pub fn survives_cookie_header(value: &[u8]) -> bool {
    let blank = |b: &u8| matches!(b, b' ' | b'\t');
    !value.contains(&b';') && !value.first().is_some_and(blank) && !value.last().is_some_and(blank)
}

/// base64url without padding, through the `base64` crate (for encoding only:
/// decoding goes through [`reference_base64`]).
pub fn b64(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

/// Strict RFC 4648 §5 base64url without padding, independent of the `base64`
/// crate the runtime uses: alphabet only, no dangling 1-character group, zero
/// trailing bits.
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
            out.push(u8::try_from(acc >> bits).expect("8 bits"));
            acc &= (1 << bits) - 1;
        }
    }
    (acc == 0).then_some(out)
}

/// Steps 1–6 of the documented decode order: length cap, canonical
/// base64url, envelope length, format byte (`mode`'s), key id (among `keys`,
/// the verifying keys), version (`fingerprint_for` gives the full
/// fingerprint of each readable version), then the tag with every key of that
/// id (a failure is `schema_mismatch` when the header's fingerprint hint is
/// not the version's, else `bad_signature`). Returns the header and the
/// payload (decrypted, in encrypted mode), or the kind of the first check
/// that fails.
pub fn open(
    value: &[u8],
    max_value_len: usize,
    mode: Mode,
    name: &str,
    keys: &[Forger],
    fingerprint_for: impl Fn(u16) -> Option<u64>,
) -> Result<(Header, Vec<u8>), &'static str> {
    if value.len() > max_value_len {
        return Err("too_long");
    }
    let raw = reference_base64(value).ok_or("not_base64")?;
    if raw.len() < mode.overhead() {
        return Err("truncated");
    }
    let header = Header::parse(&raw[..HEADER_LEN]);
    if header.format != mode.format() {
        return Err("unknown_format");
    }
    let mut same_id = keys.iter().filter(|k| k.key_id == header.key_id).peekable();
    if same_id.peek().is_none() {
        return Err("unknown_key");
    }
    let fingerprint = fingerprint_for(header.version).ok_or("wrong_version")?;
    let binding = Binding {
        mode,
        name,
        fingerprint,
    };
    match same_id.find_map(|key| key.unseal(&binding, &raw)) {
        Some(payload) => Ok((header, payload)),
        None if header.hint != hint(fingerprint) => Err("schema_mismatch"),
        None => Err("bad_signature"),
    }
}

/// Idle and absolute timeouts of one lifetime, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Longest time since the last issue.
    pub idle_ms: u64,
    /// Longest time since the session started.
    pub absolute_ms: u64,
}

impl Timeouts {
    /// Both timeouts from durations.
    pub fn new(idle: std::time::Duration, absolute: std::time::Duration) -> Timeouts {
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).expect("fits in u64");
        Timeouts {
            idle_ms: ms(idle),
            absolute_ms: ms(absolute),
        }
    }

    /// The runtime's default timeouts.
    pub fn defaults() -> Timeouts {
        Timeouts::new(IDLE_TIMEOUT, ABSOLUTE_TIMEOUT)
    }
}

/// The lifetimes a configuration declares, indexed by the lifetime byte:
/// standard and browser session always, remember me when configured.
#[derive(Clone, Copy, Debug)]
pub struct Lifetimes(pub [Option<Timeouts>; 3]);

impl Lifetimes {
    /// A configuration with default timeouts and no `remember_me`.
    pub fn defaults() -> Lifetimes {
        Lifetimes([Some(Timeouts::defaults()), Some(Timeouts::defaults()), None])
    }

    /// Step 7: the timeouts of the header's lifetime, or `unknown_lifetime`.
    pub fn check(&self, header: &Header) -> Result<Timeouts, &'static str> {
        self.0
            .get(usize::from(header.lifetime))
            .copied()
            .flatten()
            .ok_or("unknown_lifetime")
    }
}

/// The clock and the limits the timestamp checks compare against, in
/// milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct TimeLimits {
    /// The verifier's current time (Unix milliseconds).
    pub now_ms: u64,
    /// How far in the future an issue time may be.
    pub max_skew_ms: u64,
    /// Longest age since creation.
    pub absolute_ms: u64,
    /// Longest age since the last issue.
    pub idle_ms: u64,
}

impl TimeLimits {
    /// The runtime's default skew and the lifetime's timeouts, at `now_ms`.
    pub fn at(now_ms: u64, timeouts: Timeouts) -> TimeLimits {
        TimeLimits {
            now_ms,
            max_skew_ms: u64::try_from(MAX_CLOCK_SKEW.as_millis()).expect("small"),
            absolute_ms: timeouts.absolute_ms,
            idle_ms: timeouts.idle_ms,
        }
    }

    /// The runtime's default skew and timeouts, at `now_ms`.
    pub fn defaults(now_ms: u64) -> TimeLimits {
        TimeLimits::at(now_ms, Timeouts::defaults())
    }
}

/// Step 8, the timestamp checks (times are whole seconds on the wire,
/// compared with the clock in milliseconds): issued in the future,
/// inconsistent, absolute and idle expiry.
pub fn check_times(header: &Header, limits: &TimeLimits) -> Result<(), &'static str> {
    let now = limits.now_ms;
    let (created, issued) = (header.created_ms(), header.issued_ms());
    if issued > now + limits.max_skew_ms {
        return Err("issued_in_future");
    }
    if created > issued {
        return Err("inconsistent_timestamps");
    }
    if now.saturating_sub(created) > limits.absolute_ms {
        return Err("absolute_expired");
    }
    if now.saturating_sub(issued) > limits.idle_ms {
        return Err("idle_expired");
    }
    Ok(())
}

/// The payload check: `payload` is exactly one postcard value of type `T`.
pub fn decode_payload<T: DeserializeOwned>(payload: &[u8]) -> Option<T> {
    match postcard::take_from_bytes::<T>(payload) {
        Ok((data, [])) => Some(data),
        _ => None,
    }
}

// --- postcard building blocks for hostile payloads ---------------------------

/// The postcard (LEB128) varint of `n`.
pub fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = u8::try_from(n & 0x7f).expect("7 bits");
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// A varint of 11 bytes: longer than any u64 can take.
pub fn varint_too_long() -> Vec<u8> {
    let mut v = vec![0xff; 10];
    v.push(0x01);
    v
}

/// Version 1 cookies (the layout before version 2: format bytes `0x01`
/// signed / `0x02` encrypted, a 27-byte header with a 4-byte key id, the full
/// fingerprint and millisecond times, a 32-byte HMAC-SHA256 tag), which
/// docs/wire-format.md says are refused. Only to make genuine old cookies
/// as test data; nothing decodes them.
pub mod v1 {
    use super::{Mode, NONCE_LEN};

    /// HKDF-SHA256 salt of version 1 (version 2 renamed it with the format).
    const HKDF_SALT: &[u8] = b"session-runtime/v1/hkdf-salt";
    /// HKDF info of the version 1 HMAC-SHA256 cookie key.
    const INFO_MAC: &[u8] = b"session-runtime/v1/cookie-mac/hmac-sha256";
    /// HKDF info of the version 1 AES-256-GCM-SIV cookie key.
    const INFO_AEAD: &[u8] = b"session-runtime/v1/cookie-aead/aes-256-gcm-siv";
    /// HKDF info of the version 1 key id (4 bytes, all of them in the header).
    const INFO_KEY_ID: &[u8] = b"session-runtime/v1/key-id";

    /// Format byte of version 1 signed cookies.
    pub const FORMAT_SIGNED: u8 = 0x01;
    /// Format byte of version 1 encrypted cookies.
    pub const FORMAT_ENCRYPTED: u8 = 0x02;

    /// A version 1 cookie value sealed with `secret`, as a version 1 server
    /// wrote it for a session type named `name` at version `version`.
    #[allow(clippy::too_many_arguments)]
    pub fn cookie(
        secret: &[u8],
        mode: Mode,
        name: &str,
        version: u16,
        fingerprint: u64,
        created_ms: u64,
        issued_ms: u64,
        payload: &[u8],
    ) -> String {
        use hkdf::Hkdf;
        use sha2::Sha256;
        let hkdf = Hkdf::<Sha256>::new(Some(HKDF_SALT), secret);
        let mut key_id = [0; 4];
        hkdf.expand(INFO_KEY_ID, &mut key_id).expect("4 bytes");
        let mut header = vec![match mode {
            Mode::Signed => FORMAT_SIGNED,
            Mode::Encrypted => FORMAT_ENCRYPTED,
        }];
        header.extend_from_slice(&key_id);
        header.extend_from_slice(&version.to_be_bytes());
        header.extend_from_slice(&fingerprint.to_be_bytes());
        header.extend_from_slice(&created_ms.to_be_bytes()[2..]);
        header.extend_from_slice(&issued_ms.to_be_bytes()[2..]);
        let bound = [&super::name_len(name)[..], name.as_bytes(), &header].concat();
        let mut raw = header.clone();
        match mode {
            Mode::Signed => {
                use hmac::{Hmac, KeyInit, Mac};
                let mut mac_key = [0; 32];
                hkdf.expand(INFO_MAC, &mut mac_key).expect("32 bytes");
                let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&mac_key)
                    .expect("HMAC takes keys of any length");
                mac.update(b"session-runtime/v1/cookie\0");
                mac.update(&bound);
                mac.update(payload);
                raw.extend_from_slice(payload);
                raw.extend_from_slice(&mac.finalize().into_bytes());
            }
            Mode::Encrypted => {
                use aes_gcm_siv::aead::{AeadInOut, KeyInit};
                let mut aead_key = [0; 32];
                hkdf.expand(INFO_AEAD, &mut aead_key).expect("32 bytes");
                let cipher =
                    aes_gcm_siv::Aes256GcmSiv::new_from_slice(&aead_key).expect("32-byte key");
                let nonce = [0x5a; NONCE_LEN];
                let aad = [&b"session-runtime/v1/cookie-aead\0"[..], &bound].concat();
                let mut data = payload.to_vec();
                let tag = cipher
                    .encrypt_inout_detached(&nonce.into(), &aad, data.as_mut_slice().into())
                    .expect("short payload");
                raw.extend_from_slice(&nonce);
                raw.extend_from_slice(&data);
                raw.extend_from_slice(&tag);
            }
        }
        super::b64(&raw)
    }
}
