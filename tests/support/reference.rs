//! An independent reference implementation of the signed cookie format in
//! `docs/wire-format.md`, shared by the adversarial tests, the allocation tests
//! and the fuzz targets.
//!
//! It never calls the runtime's codec: its own HKDF-SHA256 subkeys and
//! HMAC-SHA256 tag, its own strict base64url decoder and the documented check
//! order, step by step. The tests use it to forge validly signed hostile
//! cookies (other versions, fingerprints, timestamps, payloads) and to name the
//! `Rejection::kind()` the runtime must report for any value.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::DeserializeOwned;
// v1 layout until the v2 reference lands (helper branch `proof`).
pub const HEADER_LEN: usize = 27;
pub const TAG_LEN: usize = 32;
use session_runtime::{
    CookieSession, DEFAULT_ABSOLUTE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CLOCK_SKEW,
};

/// HKDF-SHA256 salt of every subkey.
pub const HKDF_SALT: &[u8] = b"session-runtime/v1/hkdf-salt";
/// HKDF info of the HMAC-SHA256 cookie key.
pub const INFO_MAC: &[u8] = b"session-runtime/v1/cookie-mac/hmac-sha256";
/// HKDF info of the 4-byte key id.
pub const INFO_KEY_ID: &[u8] = b"session-runtime/v1/key-id";
/// Domain separator at the start of every MAC input.
pub const MAC_DOMAIN: &[u8] = b"session-runtime/v1/cookie\0";
/// The format byte of signed (HMAC-SHA256) cookies.
pub const FORMAT_HMAC_SHA256: u8 = 0x01;
/// Shortest signed envelope: header and tag, empty payload.
pub const MIN_RAW_LEN: usize = HEADER_LEN + TAG_LEN;
/// The RFC 4648 §5 base64url alphabet, in sextet order.
pub const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The two subkeys derived from one secret: the key id (public, in every
/// header) and the HMAC key.
#[derive(Clone)]
pub struct Forger {
    /// The key id written into headers signed by this key.
    pub key_id: [u8; 4],
    mac_key: [u8; 32],
}

impl Forger {
    /// Derives the subkeys of `secret`.
    pub fn new(secret: &[u8]) -> Forger {
        use hkdf::Hkdf;
        use sha2::Sha256;
        let hkdf = Hkdf::<Sha256>::new(Some(HKDF_SALT), secret);
        let mut mac_key = [0; 32];
        let mut key_id = [0; 4];
        hkdf.expand(INFO_MAC, &mut mac_key)
            .expect("32 bytes is a valid HKDF-SHA256 length");
        hkdf.expand(INFO_KEY_ID, &mut key_id)
            .expect("4 bytes is a valid HKDF-SHA256 length");
        Forger { key_id, mac_key }
    }

    /// The tag of `header ‖ payload` under the cookie name `name`.
    pub fn tag(&self, name: &str, header: &[u8], payload: &[u8]) -> [u8; TAG_LEN] {
        use hmac::{Hmac, KeyInit, Mac};
        use sha2::Sha256;
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.mac_key)
            .expect("HMAC takes keys of any length");
        mac.update(MAC_DOMAIN);
        let name_len = u16::try_from(name.len()).expect("cookie names are short");
        mac.update(&name_len.to_be_bytes());
        mac.update(name.as_bytes());
        mac.update(header);
        mac.update(payload);
        mac.finalize().into_bytes().into()
    }

    /// `header ‖ payload ‖ tag`, the tag computed over exactly these bytes.
    pub fn seal(&self, name: &str, header: &Header, payload: &[u8]) -> Vec<u8> {
        let header = header.to_bytes();
        let mut raw = header.to_vec();
        raw.extend_from_slice(payload);
        raw.extend_from_slice(&self.tag(name, &header, payload));
        raw
    }

    /// A validly signed cookie value (base64url of [`Forger::seal`]).
    pub fn forge(&self, name: &str, header: &Header, payload: &[u8]) -> String {
        b64(&self.seal(name, header, payload))
    }

    /// Recomputes the tag of an envelope in place (header and payload as they
    /// are now); envelopes shorter than [`MIN_RAW_LEN`] are left alone.
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
    /// Format byte ([`FORMAT_HMAC_SHA256`] for signed cookies).
    pub format: u8,
    /// Id of the signing key.
    pub key_id: [u8; 4],
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
    /// A genuine signed header for `T`: created and issued at `at_ms`.
    pub fn new<T: CookieSession>(key_id: [u8; 4], at_ms: u64) -> Header {
        Header {
            format: FORMAT_HMAC_SHA256,
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
/// base64url, envelope length, format byte, key id (among `keys`, the
/// verifying keys) and tag. Returns the header and the payload, or the kind of
/// the first check that fails.
pub fn open(
    value: &[u8],
    max_value_len: usize,
    name: &str,
    keys: &[Forger],
) -> Result<(Header, Vec<u8>), &'static str> {
    if value.len() > max_value_len {
        return Err("too_long");
    }
    let mut raw = reference_base64(value).ok_or("not_base64")?;
    if raw.len() < MIN_RAW_LEN {
        return Err("truncated");
    }
    let header = Header::parse(&raw[..HEADER_LEN]);
    if header.format != FORMAT_HMAC_SHA256 {
        return Err("unknown_format");
    }
    let key = keys
        .iter()
        .find(|k| k.key_id == header.key_id)
        .ok_or("unknown_key")?;
    let (payload, tag) = raw[HEADER_LEN..].split_at(raw.len() - MIN_RAW_LEN);
    if key.tag(name, &raw[..HEADER_LEN], payload) != tag {
        return Err("bad_signature");
    }
    raw.truncate(raw.len() - TAG_LEN);
    raw.drain(..HEADER_LEN);
    Ok((header, raw))
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
