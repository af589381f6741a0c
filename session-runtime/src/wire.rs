//! The cookie value's byte layout (see `docs/wire-format.md`):
//!
//! ```text
//! value = base64url-no-pad( header[27] ‖ payload ‖ tag[32] )
//! header = format[1] ‖ key_id[4] ‖ version[2] ‖ fingerprint[8] ‖ created_ms[6] ‖ issued_ms[6]
//! tag    = HMAC-SHA256(mac_key, DOMAIN ‖ u16be(len(name)) ‖ name ‖ header ‖ payload)
//! ```
//!
//! All integers are big-endian. Everything that changes the meaning of a cookie
//! (which key, which schema, which name, when it was issued) is under the tag.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::key::{Key, KeyId};
use crate::reject::Rejection;

/// Format byte of HMAC-SHA256-signed cookies (wire format version 1).
pub const FORMAT_HMAC_SHA256: u8 = 0x01;
/// Bytes of header before the payload.
pub const HEADER_LEN: usize = 27;
/// Bytes of HMAC-SHA256 tag after the payload.
pub const TAG_LEN: usize = 32;
/// Largest decoded cookie: a 4096-byte value (the browser maximum for name +
/// value, RFC 6265bis §5.6 / Chromium `kMaxCookieNamePlusValueSize`) decodes to
/// at most 4096 * 3 / 4 bytes. Encode and decode work in a stack buffer of this
/// size, so neither allocates for the envelope.
pub const MAX_RAW_LEN: usize = 4096 * 3 / 4;
/// Timestamps are milliseconds since the Unix epoch in 48 bits (good until the
/// year 10889).
const TIMESTAMP_MAX_MS: u64 = (1 << 48) - 1;
/// Domain separation: a tag computed here can never be confused with an HMAC the
/// application computes with the same secret for another purpose.
const MAC_DOMAIN: &[u8] = b"session-runtime/v1/cookie\0";

/// Length of the unpadded base64url encoding of `bytes` bytes.
pub const fn base64url_len(bytes: usize) -> usize {
    // 4 characters per 3 bytes; a final partial group of 1 or 2 bytes takes 2 or 3.
    bytes.saturating_mul(4).div_ceil(3)
}

/// `len(name) + len(value)` of the largest cookie a payload of at most
/// `max_payload_len` bytes can produce; browsers compare this with 4096.
pub const fn max_cookie_len(name_len: usize, max_payload_len: usize) -> usize {
    name_len.saturating_add(base64url_len(
        HEADER_LEN
            .saturating_add(max_payload_len)
            .saturating_add(TAG_LEN),
    ))
}

/// The decoded fixed-size header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub format: u8,
    pub key_id: KeyId,
    pub version: u16,
    pub fingerprint: u64,
    pub created_ms: u64,
    pub issued_ms: u64,
}

impl Header {
    pub fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = self.format;
        out[1..5].copy_from_slice(&self.key_id.0);
        out[5..7].copy_from_slice(&self.version.to_be_bytes());
        out[7..15].copy_from_slice(&self.fingerprint.to_be_bytes());
        out[15..21].copy_from_slice(&self.created_ms.min(TIMESTAMP_MAX_MS).to_be_bytes()[2..]);
        out[21..27].copy_from_slice(&self.issued_ms.min(TIMESTAMP_MAX_MS).to_be_bytes()[2..]);
        out
    }

    pub fn from_bytes(bytes: &[u8; HEADER_LEN]) -> Header {
        let u48 = |at: usize| {
            let mut wide = [0u8; 8];
            wide[2..].copy_from_slice(&bytes[at..at + 6]);
            u64::from_be_bytes(wide)
        };
        Header {
            format: bytes[0],
            key_id: KeyId([bytes[1], bytes[2], bytes[3], bytes[4]]),
            version: u16::from_be_bytes([bytes[5], bytes[6]]),
            fingerprint: u64::from_be_bytes([
                bytes[7], bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14],
            ]),
            created_ms: u48(15),
            issued_ms: u48(21),
        }
    }
}

/// A key prepared for one cookie name: the HMAC state after the key schedule and
/// the constant prefix (domain, name) is computed once here and cloned per
/// cookie, which saves two SHA-256 compressions per operation.
#[derive(Clone)]
pub(crate) struct Signer {
    pub key_id: KeyId,
    prefixed: Hmac<Sha256>,
}

impl Signer {
    pub fn new(key: &Key, cookie_name: &str) -> Signer {
        let mut prefixed = <Hmac<Sha256> as KeyInit>::new_from_slice(key.mac_key())
            .expect("HMAC accepts keys of any length");
        prefixed.update(MAC_DOMAIN);
        // Cookie names are at most 4096 bytes, so the length always fits.
        prefixed.update(&(cookie_name.len() as u16).to_be_bytes());
        prefixed.update(cookie_name.as_bytes());
        Signer {
            key_id: key.id(),
            prefixed,
        }
    }

    /// The tag over `header ‖ payload`.
    pub fn tag(&self, header: &[u8; HEADER_LEN], payload: &[u8]) -> [u8; TAG_LEN] {
        let mut mac = self.prefixed.clone();
        mac.update(header);
        mac.update(payload);
        mac.finalize().into_bytes().into()
    }

    /// Constant-time comparison of `tag` with the tag over `header ‖ payload`.
    pub fn verify(&self, header: &[u8; HEADER_LEN], payload: &[u8], tag: &[u8]) -> bool {
        let mut mac = self.prefixed.clone();
        mac.update(header);
        mac.update(payload);
        mac.verify_slice(tag).is_ok()
    }
}

/// A cookie whose tag verified.
pub(crate) struct Opened<'buf> {
    pub header: Header,
    pub header_bytes: [u8; HEADER_LEN],
    pub payload: &'buf [u8],
    pub tag: [u8; TAG_LEN],
    /// Index into the signer list (0 = current key).
    pub signer_index: usize,
}

/// Authenticates a cookie value in the order DESIGN.md fixes: length cap,
/// canonical base64url, header, key lookup, constant-time MAC. Nothing is
/// deserialized here.
pub(crate) fn open<'buf>(
    value: &[u8],
    max_value_len: usize,
    signers: &[Signer],
    buf: &'buf mut [u8; MAX_RAW_LEN],
) -> Result<Opened<'buf>, Rejection> {
    if value.len() > max_value_len {
        return Err(Rejection::TooLong {
            len: value.len(),
            max: max_value_len,
        });
    }
    // URL_SAFE_NO_PAD rejects `=` padding, bytes outside A-Z a-z 0-9 - _, a
    // dangling single character and non-zero trailing bits, so every cookie has
    // exactly one accepted spelling.
    let raw_len = URL_SAFE_NO_PAD
        .decode_slice(value, &mut buf[..])
        .map_err(|_| Rejection::NotBase64)?;
    let raw = &buf[..raw_len];
    if raw.len() < HEADER_LEN + TAG_LEN {
        return Err(Rejection::Truncated { len: raw.len() });
    }
    let (header_bytes, rest) = raw.split_at(HEADER_LEN);
    let header_bytes: [u8; HEADER_LEN] = header_bytes.try_into().expect("split at HEADER_LEN");
    let (payload, tag) = rest.split_at(rest.len() - TAG_LEN);
    let header = Header::from_bytes(&header_bytes);
    if header.format != FORMAT_HMAC_SHA256 {
        return Err(Rejection::UnknownFormat {
            format: header.format,
        });
    }
    let signer_index = signers
        .iter()
        .position(|signer| signer.key_id == header.key_id)
        .ok_or(Rejection::UnknownKey {
            key_id: header.key_id,
        })?;
    if !signers[signer_index].verify(&header_bytes, payload, tag) {
        return Err(Rejection::BadSignature);
    }
    Ok(Opened {
        header,
        header_bytes,
        payload,
        tag: tag.try_into().expect("split at TAG_LEN"),
        signer_index,
    })
}

/// Appends the base64url text of `raw` to `out`.
pub(crate) fn encode_into(raw: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(raw, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_len_matches_the_engine() {
        for n in 0..100 {
            assert_eq!(base64url_len(n), URL_SAFE_NO_PAD.encode(vec![0u8; n]).len());
        }
        assert_eq!(base64url_len(MAX_RAW_LEN), 4096);
    }

    #[test]
    fn header_round_trips() {
        let header = Header {
            format: FORMAT_HMAC_SHA256,
            key_id: KeyId([1, 2, 3, 4]),
            version: 0xbeef,
            fingerprint: 0x0123_4567_89ab_cdef,
            created_ms: 1_700_000_000_000,
            issued_ms: TIMESTAMP_MAX_MS,
        };
        assert_eq!(Header::from_bytes(&header.to_bytes()), header);
    }
}
