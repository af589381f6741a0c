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
use session_runtime::{
    CookieSession, DEFAULT_ABSOLUTE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CLOCK_SKEW,
};

/// HKDF-SHA256 salt of every subkey.
pub const HKDF_SALT: &[u8] = b"session-runtime/v1/hkdf-salt";
/// HKDF info of the HMAC-SHA256 cookie key.
pub const INFO_MAC: &[u8] = b"session-runtime/v1/cookie-mac/hmac-sha256";
/// HKDF info of the AES-256-GCM-SIV cookie key.
pub const INFO_AEAD: &[u8] = b"session-runtime/v1/cookie-aead/aes-256-gcm-siv";
/// HKDF info of the key id.
pub const INFO_KEY_ID: &[u8] = b"session-runtime/v1/key-id";
/// Domain separator at the start of every MAC input.
pub const MAC_DOMAIN: &[u8] = b"session-runtime/v1/cookie\0";
/// Domain separator at the start of the associated data of encrypted cookies.
pub const AEAD_DOMAIN: &[u8] = b"session-runtime/v1/cookie-aead\0";
/// The format byte of signed (HMAC-SHA256) cookies.
pub const FORMAT_SIGNED: u8 = 0x01;
/// The format byte of encrypted (AES-256-GCM-SIV) cookies.
pub const FORMAT_ENCRYPTED: u8 = 0x02;
/// Bytes of header.
pub const HEADER_LEN: usize = 27;
/// Bytes of key id in the header.
pub const KEY_ID_LEN: usize = 4;
/// Bytes of HMAC tag in a signed cookie.
pub const TAG_LEN: usize = 32;
/// Bytes of nonce in an encrypted cookie.
pub const NONCE_LEN: usize = 12;
/// Bytes of AEAD tag in an encrypted cookie.
pub const AEAD_TAG_LEN: usize = 16;
/// Shortest signed envelope: header and tag, empty payload.
pub const MIN_RAW_LEN: usize = HEADER_LEN + TAG_LEN;
/// The RFC 4648 §5 base64url alphabet, in sextet order.
pub const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A key id as written in headers.
pub type KeyId = [u8; KEY_ID_LEN];

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

    /// Bytes after the payload (the tag), so `raw[HEADER_LEN + before..len - after]`
    /// is the payload (or ciphertext).
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
        let mut key_id = [0; KEY_ID_LEN];
        hkdf.expand(INFO_MAC, &mut mac_key)
            .expect("32 bytes is a valid HKDF-SHA256 length");
        hkdf.expand(INFO_AEAD, &mut aead_key)
            .expect("32 bytes is a valid HKDF-SHA256 length");
        hkdf.expand(INFO_KEY_ID, &mut key_id)
            .expect("short ids are valid HKDF-SHA256 lengths");
        Forger {
            key_id,
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

    /// The HMAC tag of `header ‖ payload` under the cookie name `name`.
    pub fn tag(&self, name: &str, header: &[u8], payload: &[u8]) -> [u8; TAG_LEN] {
        use hmac::{Hmac, KeyInit, Mac};
        use sha2::Sha256;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.mac_key)
            .expect("HMAC takes keys of any length");
        mac.update(MAC_DOMAIN);
        mac.update(&name_len(name));
        mac.update(name.as_bytes());
        mac.update(header);
        mac.update(payload);
        let full: [u8; 32] = mac.finalize().into_bytes().into();
        full[..TAG_LEN].try_into().expect("tag length")
    }

    fn cipher(&self) -> aes_gcm_siv::Aes256GcmSiv {
        use aes_gcm_siv::aead::KeyInit;
        aes_gcm_siv::Aes256GcmSiv::new_from_slice(&self.aead_key).expect("32-byte key")
    }

    /// The associated data of an encrypted cookie.
    fn aad(name: &str, header: &[u8]) -> Vec<u8> {
        [AEAD_DOMAIN, &name_len(name), name.as_bytes(), header].concat()
    }

    /// `header ‖ payload ‖ tag` (signed) or `header ‖ nonce ‖ ciphertext ‖
    /// tag` (encrypted), sealed over exactly these bytes.
    pub fn seal(&self, mode: Mode, name: &str, header: &Header, payload: &[u8]) -> Vec<u8> {
        let header = header.to_bytes();
        let mut raw = header.to_vec();
        match mode {
            Mode::Signed => {
                raw.extend_from_slice(payload);
                raw.extend_from_slice(&self.tag(name, &header, payload));
            }
            Mode::Encrypted => {
                use aes_gcm_siv::aead::AeadInOut;
                let mut data = payload.to_vec();
                let tag = self
                    .cipher()
                    .encrypt_inout_detached(
                        &self.nonce.into(),
                        &Self::aad(name, &header),
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
    pub fn forge(&self, mode: Mode, name: &str, header: &Header, payload: &[u8]) -> String {
        b64(&self.seal(mode, name, header, payload))
    }

    /// Verifies (signed) or decrypts (encrypted) an envelope at least
    /// `mode.overhead()` long: its payload, or `None` if the tag is wrong.
    pub fn unseal(&self, mode: Mode, name: &str, raw: &[u8]) -> Option<Vec<u8>> {
        let header = &raw[..HEADER_LEN];
        match mode {
            Mode::Signed => {
                let (payload, tag) = raw[HEADER_LEN..].split_at(raw.len() - MIN_RAW_LEN);
                (self.tag(name, header, payload) == tag).then(|| payload.to_vec())
            }
            Mode::Encrypted => {
                use aes_gcm_siv::aead::AeadInOut;
                let nonce: [u8; NONCE_LEN] = raw[HEADER_LEN..HEADER_LEN + NONCE_LEN]
                    .try_into()
                    .expect("nonce length");
                let tag: [u8; AEAD_TAG_LEN] = raw[raw.len() - AEAD_TAG_LEN..]
                    .try_into()
                    .expect("tag length");
                let mut data = body(mode, raw).to_vec();
                self.cipher()
                    .decrypt_inout_detached(
                        &nonce.into(),
                        &Self::aad(name, header),
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
    pub fn resign(&self, mode: Mode, name: &str, raw: &mut Vec<u8>) {
        if raw.len() < mode.overhead() {
            return;
        }
        let header = Header::parse(raw);
        let nonce = match mode {
            Mode::Signed => self.nonce,
            Mode::Encrypted => raw[HEADER_LEN..HEADER_LEN + NONCE_LEN]
                .try_into()
                .expect("nonce length"),
        };
        // The header bytes are kept verbatim (Header round-trips all of them).
        let resealed = self
            .clone()
            .with_nonce(nonce)
            .seal(mode, name, &header, body(mode, raw));
        *raw = resealed;
    }
}

fn name_len(name: &str) -> [u8; 2] {
    u16::try_from(name.len())
        .expect("cookie names are short")
        .to_be_bytes()
}

/// The header, field by field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Format byte ([`FORMAT_SIGNED`] or [`FORMAT_ENCRYPTED`]).
    pub format: u8,
    /// Id of the sealing key.
    pub key_id: KeyId,
    /// The session type's version.
    pub version: u16,
    /// The session type's schema fingerprint.
    pub fingerprint: u64,
    /// Creation time, Unix milliseconds (48 bits on the wire).
    pub created_ms: u64,
    /// Issue time, Unix milliseconds (48 bits on the wire).
    pub issued_ms: u64,
}

impl Header {
    /// A genuine header for `T`: created and issued at `at_ms`.
    pub fn new<T: CookieSession>(key_id: KeyId, at_ms: u64) -> Header {
        Header {
            format: Mode::of::<T>().format(),
            key_id,
            version: T::VERSION,
            fingerprint: T::SCHEMA_FINGERPRINT,
            created_ms: at_ms,
            issued_ms: at_ms,
        }
    }

    /// The wire bytes (timestamps keep their low 48 bits).
    pub fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut out = [0; HEADER_LEN];
        out[0] = self.format;
        out[1..5].copy_from_slice(&self.key_id);
        out[5..7].copy_from_slice(&self.version.to_be_bytes());
        out[7..15].copy_from_slice(&self.fingerprint.to_be_bytes());
        out[15..21].copy_from_slice(&self.created_ms.to_be_bytes()[2..]);
        out[21..27].copy_from_slice(&self.issued_ms.to_be_bytes()[2..]);
        out
    }

    /// Reads the first [`HEADER_LEN`] bytes of `bytes`.
    ///
    /// # Panics
    /// If `bytes` is shorter than [`HEADER_LEN`].
    pub fn parse(bytes: &[u8]) -> Header {
        let u48 = |at: usize| {
            let mut wide = [0; 8];
            wide[2..].copy_from_slice(&bytes[at..at + 6]);
            u64::from_be_bytes(wide)
        };
        Header {
            format: bytes[0],
            key_id: bytes[1..5].try_into().expect("4 bytes"),
            version: u16::from_be_bytes([bytes[5], bytes[6]]),
            fingerprint: u64::from_be_bytes(bytes[7..15].try_into().expect("8 bytes")),
            created_ms: u48(15),
            issued_ms: u48(21),
        }
    }

    /// Recency for choosing among several authentic cookies (later start,
    /// then later issue, wins).
    pub fn recency(&self) -> (u64, u64) {
        (self.created_ms, self.issued_ms)
    }
}

/// The reason a configuration with one key and no older versions gives for
/// an envelope changed at decoded byte `index` and not re-sealed (the
/// documented check order: format byte, key id, then the tag).
pub fn changed_byte_reason(index: usize) -> &'static str {
    match index {
        0 => "unknown_format",
        1..=KEY_ID_LEN => "unknown_key",
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

/// The first checks of the documented decode order, up to the tag: length,
/// base64url, envelope length, format byte (`mode`'s), key id (among `keys`,
/// the verifying keys) and tag. Returns the header and the payload
/// (decrypted, in encrypted mode), or the kind of the first check that fails.
pub fn open(
    value: &[u8],
    max_value_len: usize,
    mode: Mode,
    name: &str,
    keys: &[Forger],
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
    let key = keys
        .iter()
        .find(|k| k.key_id == header.key_id)
        .ok_or("unknown_key")?;
    let payload = key.unseal(mode, name, &raw).ok_or("bad_signature")?;
    Ok((header, payload))
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
    /// The runtime's default skew and timeouts, at `now_ms`.
    pub fn defaults(now_ms: u64) -> TimeLimits {
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).expect("fits in u64");
        TimeLimits {
            now_ms,
            max_skew_ms: ms(DEFAULT_MAX_CLOCK_SKEW),
            absolute_ms: ms(DEFAULT_ABSOLUTE_TIMEOUT),
            idle_ms: ms(DEFAULT_IDLE_TIMEOUT),
        }
    }
}

/// The timestamp checks of the documented decode order (after version and
/// fingerprint): issued in the future, inconsistent, absolute and idle expiry.
pub fn check_times(header: &Header, limits: &TimeLimits) -> Result<(), &'static str> {
    let now = limits.now_ms;
    if header.issued_ms > now + limits.max_skew_ms {
        return Err("issued_in_future");
    }
    if header.created_ms > header.issued_ms {
        return Err("inconsistent_timestamps");
    }
    if now.saturating_sub(header.created_ms) > limits.absolute_ms {
        return Err("absolute_expired");
    }
    if now.saturating_sub(header.issued_ms) > limits.idle_ms {
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
