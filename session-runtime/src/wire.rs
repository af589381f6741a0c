//! The cookie value's byte layout (see `docs/wire-format.md`):
//!
//! ```text
//! signed:    value = base64url-no-pad( header[27] ‖ payload ‖ tag[32] )
//!            tag   = HMAC-SHA256(mac_key, DOMAIN ‖ u16be(len(name)) ‖ name ‖ header ‖ payload)
//! encrypted: value = base64url-no-pad( header[27] ‖ nonce[12] ‖ ciphertext ‖ tag[16] )
//!            AES-256-GCM-SIV(aead_key, nonce, aad = AEAD_DOMAIN ‖ u16be(len(name)) ‖ name ‖ header)
//! header     = format[1] ‖ key_id[4] ‖ version[2] ‖ fingerprint[8] ‖ created_ms[6] ‖ issued_ms[6]
//! ```
//!
//! All integers are big-endian. Everything that changes the meaning of a cookie
//! (which key, which schema, which name, when it was issued) is authenticated.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use crate::key::{Key, KeyId};
use crate::reject::Rejection;

/// Format byte of HMAC-SHA256-signed cookies (wire format version 1).
pub const FORMAT_HMAC_SHA256: u8 = 0x01;
/// Format byte of AES-256-GCM-SIV-encrypted cookies (feature `encrypted`).
pub const FORMAT_AES_256_GCM_SIV: u8 = 0x02;
/// Bytes of random nonce in an encrypted cookie.
pub const NONCE_LEN: usize = 12;
/// Bytes of AEAD tag in an encrypted cookie.
pub const AEAD_TAG_LEN: usize = 16;
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

/// [`max_cookie_len`] for encrypted cookies: the nonce and the AEAD tag replace
/// the HMAC tag (12 + 16 = 28 bytes instead of 32).
pub const fn max_cookie_len_encrypted(name_len: usize, max_payload_len: usize) -> usize {
    name_len.saturating_add(base64url_len(
        HEADER_LEN
            .saturating_add(NONCE_LEN)
            .saturating_add(max_payload_len)
            .saturating_add(AEAD_TAG_LEN),
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

/// The operating system's random generator failed (encrypted mode needs a
/// fresh nonce per cookie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RandomnessUnavailable;

/// What identifies a sealed payload, to tell later whether a new payload is
/// the same: the HMAC tag, or the AEAD nonce and tag. Deliberately not
/// `PartialEq`: seals are compared only in constant time (`subtle`).
#[derive(Clone, Copy)]
pub(crate) struct Seal(pub [u8; TAG_LEN]);

/// A cookie that authenticated (and, when encrypted, decrypted).
pub(crate) struct Opened<'buf> {
    pub header: Header,
    pub payload: &'buf [u8],
    pub seal: Seal,
    /// Index into the key list (0 = current key).
    pub key_index: usize,
}

/// How cookies of one session type are protected: HMAC-SHA256 signing or
/// AES-256-GCM-SIV encryption, with the current key first.
pub(crate) enum Protection {
    Signed(Vec<Signer>),
    #[cfg(feature = "encrypted")]
    Encrypted(Vec<crate::aead::Sealer>),
}

impl Protection {
    /// Prepares `keys` (current first) for cookies named `cookie_name`.
    pub fn new(encrypted: bool, keys: &[&Key], cookie_name: &str) -> Protection {
        #[cfg(feature = "encrypted")]
        if encrypted {
            return Protection::Encrypted(
                keys.iter()
                    .map(|key| crate::aead::Sealer::new(key, cookie_name))
                    .collect(),
            );
        }
        // Without the feature, the derive's compile-time check rejects
        // `#[session(encrypted)]`, so only hand-written impls can get here.
        #[cfg(not(feature = "encrypted"))]
        assert!(
            !encrypted,
            "`CookieSession::ENCRYPTED` needs the `encrypted` feature of session-runtime"
        );
        Protection::Signed(
            keys.iter()
                .map(|key| Signer::new(key, cookie_name))
                .collect(),
        )
    }

    /// The id of the key that signs or encrypts.
    pub fn current_key_id(&self) -> KeyId {
        match self {
            Protection::Signed(signers) => signers[0].key_id,
            #[cfg(feature = "encrypted")]
            Protection::Encrypted(sealers) => sealers[0].key_id,
        }
    }

    /// Where the payload starts in the raw envelope.
    pub fn payload_offset(&self) -> usize {
        match self {
            Protection::Signed(_) => HEADER_LEN,
            #[cfg(feature = "encrypted")]
            Protection::Encrypted(_) => HEADER_LEN + NONCE_LEN,
        }
    }

    /// Bytes after the payload.
    pub fn trailer_len(&self) -> usize {
        match self {
            Protection::Signed(_) => TAG_LEN,
            #[cfg(feature = "encrypted")]
            Protection::Encrypted(_) => AEAD_TAG_LEN,
        }
    }

    /// The format byte written into headers.
    pub fn format(&self) -> u8 {
        match self {
            Protection::Signed(_) => FORMAT_HMAC_SHA256,
            #[cfg(feature = "encrypted")]
            Protection::Encrypted(_) => FORMAT_AES_256_GCM_SIV,
        }
    }

    /// Seals the payload already at `raw[payload_offset()..][..payload_len]`
    /// with the current key; returns the envelope length.
    pub fn seal(
        &self,
        raw: &mut [u8],
        payload_len: usize,
        header: &[u8; HEADER_LEN],
    ) -> Result<usize, RandomnessUnavailable> {
        raw[..HEADER_LEN].copy_from_slice(header);
        match self {
            Protection::Signed(signers) => {
                let end = HEADER_LEN + payload_len;
                let tag = signers[0].tag(header, &raw[HEADER_LEN..end]);
                raw[end..end + TAG_LEN].copy_from_slice(&tag);
                Ok(end + TAG_LEN)
            }
            #[cfg(feature = "encrypted")]
            Protection::Encrypted(sealers) => sealers[0].seal(raw, payload_len, header),
        }
    }

    /// Whether `payload` equals the payload sealed in the cookie that had
    /// `header` and `seal` under the key at `key_index` (then re-sending is
    /// pointless). The comparison is constant-time, like the MAC check.
    pub fn seals_equal(
        &self,
        key_index: usize,
        header: &[u8; HEADER_LEN],
        seal: &Seal,
        payload: &[u8],
    ) -> bool {
        match self {
            Protection::Signed(signers) => signers[key_index]
                .tag(header, payload)
                .ct_eq(&seal.0)
                .into(),
            #[cfg(feature = "encrypted")]
            Protection::Encrypted(sealers) => sealers[key_index].seals_equal(header, seal, payload),
        }
    }

    /// The cheap checks before any MAC, in the documented order: length cap,
    /// canonical base64url (decoded into `buf`), minimum length, format byte,
    /// key lookup. A candidate that fails here costs no MAC, which is what lets
    /// [`open`](Self::open) examine many planted cookies cheaply.
    pub fn parse(
        &self,
        value: &[u8],
        max_value_len: usize,
        buf: &mut [u8],
    ) -> Result<Parsed, Rejection> {
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
            .decode_slice(value, buf)
            .map_err(|_| Rejection::NotBase64)?;
        let min_len = self.payload_offset() + self.trailer_len();
        if raw_len < min_len {
            return Err(Rejection::Truncated { len: raw_len });
        }
        let header_bytes: [u8; HEADER_LEN] = buf[..HEADER_LEN].try_into().expect("length checked");
        let header = Header::from_bytes(&header_bytes);
        if header.format != self.format() {
            return Err(Rejection::UnknownFormat {
                format: header.format,
            });
        }
        let key_index = match self {
            Protection::Signed(signers) => signers
                .iter()
                .position(|signer| signer.key_id == header.key_id),
            #[cfg(feature = "encrypted")]
            Protection::Encrypted(sealers) => sealers
                .iter()
                .position(|sealer| sealer.key_id == header.key_id),
        }
        .ok_or(Rejection::UnknownKey {
            key_id: header.key_id,
        })?;
        Ok(Parsed {
            header,
            header_bytes,
            raw_len,
            key_index,
        })
    }

    /// The constant-time MAC check (or AEAD decryption) of a [`parse`](Self::parse)d
    /// candidate whose decoded bytes are in `buf`. Nothing is deserialized here.
    pub fn verify<'buf>(
        &self,
        parsed: Parsed,
        buf: &'buf mut [u8],
    ) -> Result<Opened<'buf>, Rejection> {
        let Parsed {
            header,
            header_bytes,
            raw_len,
            key_index,
        } = parsed;
        match self {
            Protection::Signed(signers) => {
                let raw = &buf[..raw_len];
                let (payload, tag) = raw[HEADER_LEN..].split_at(raw_len - HEADER_LEN - TAG_LEN);
                if !signers[key_index].verify(&header_bytes, payload, tag) {
                    return Err(Rejection::BadSignature);
                }
                Ok(Opened {
                    header,
                    payload,
                    seal: Seal(tag.try_into().expect("split at TAG_LEN")),
                    key_index,
                })
            }
            #[cfg(feature = "encrypted")]
            Protection::Encrypted(sealers) => {
                let (payload, seal) = sealers[key_index]
                    .open(&header_bytes, &mut buf[HEADER_LEN..raw_len])
                    .ok_or(Rejection::BadSignature)?;
                Ok(Opened {
                    header,
                    payload,
                    seal,
                    key_index,
                })
            }
        }
    }
}

/// A candidate that passed [`Protection::parse`]: its header is known, its
/// MAC is not yet checked.
#[derive(Clone, Copy)]
pub(crate) struct Parsed {
    pub header: Header,
    header_bytes: [u8; HEADER_LEN],
    raw_len: usize,
    pub key_index: usize,
}

/// Runs `f` with a zeroed scratch buffer of at least `needed` bytes (capped at
/// [`MAX_RAW_LEN`]). Sizes come in tiers so that small sessions do not clear
/// 3 KiB of stack per operation (measured with callgrind: the full-size
/// `memset` was 12% of a medium session's encode + decode).
pub(crate) fn with_scratch<R>(needed: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    if needed <= 256 {
        f(&mut [0u8; 256])
    } else if needed <= 1024 {
        f(&mut [0u8; 1024])
    } else {
        f(&mut [0u8; MAX_RAW_LEN])
    }
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
