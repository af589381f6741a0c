//! Signed cookies: `header ‖ payload ‖ tag`, HMAC-SHA-256-128.
//!
//! ```text
//! prefix = pad64(DOMAIN ‖ u16be(len(name)) ‖ name ‖ u64be(fingerprint))
//! tag    = HMAC-SHA256(mac_key, prefix ‖ header ‖ payload)[..16]
//! ```

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use crate::key::Key;

use super::envelope::{Envelope, RandomnessUnavailable, Seal, Sealed};
use super::header::HEADER_LEN;

/// Domain separation: a tag computed here can never be confused with an HMAC
/// the application computes with the same secret for another purpose.
const MAC_DOMAIN: &[u8] = b"session-runtime/v2/cookie\0";

/// Format byte of signed cookies (wire format version 2).
pub const FORMAT: u8 = 0x03;
/// Bytes of tag after the payload: HMAC-SHA256 truncated to 128 bits, as
/// RFC 4868 does (HMAC-SHA-256-128); the forgery bound equals the 128-bit
/// AES-GCM-SIV tag of the encrypted mode.
pub const TAG_LEN: usize = 16;
/// SHA-256 block size: the constant prefix is padded to whole blocks so the
/// state after it has nothing buffered.
const BLOCK_LEN: usize = 64;

/// HMAC-SHA256 signing, prepared for one key, one cookie name and one schema:
/// the HMAC state after the key schedule and the constant prefix (domain,
/// name, fingerprint, padded to whole SHA-256 blocks) is computed once and
/// cloned per cookie, so the prefix costs nothing per operation.
#[doc(hidden)]
#[derive(Clone)]
pub struct HmacSha256 {
    prefixed: Hmac<Sha256>,
}

impl HmacSha256 {
    /// The tag of the MAC input after the prefix, given in `parts` (one part
    /// when header and payload are adjacent in a buffer: a second update costs
    /// a second pass through the hash's block buffer, perf).
    fn tag<const N: usize>(&self, parts: [&[u8]; N]) -> [u8; TAG_LEN] {
        let mut mac = self.prefixed.clone();
        for part in parts {
            mac.update(part);
        }
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&full[..TAG_LEN]);
        tag
    }
}

impl Sealed for HmacSha256 {}

impl Envelope for HmacSha256 {
    const FORMAT: u8 = FORMAT;
    const ENCRYPTED: bool = false;
    const NONCE_LEN: usize = 0;
    const TAG_LEN: usize = TAG_LEN;

    fn prepare(key: &Key, cookie_name: &str, fingerprint: u64) -> Self {
        let mut prefixed = <Hmac<Sha256> as KeyInit>::new_from_slice(key.mac_key())
            .expect("HMAC accepts keys of any length");
        prefixed.update(MAC_DOMAIN);
        // Cookie names are at most 4096 bytes, so the length always fits.
        prefixed.update(&(cookie_name.len() as u16).to_be_bytes());
        prefixed.update(cookie_name.as_bytes());
        prefixed.update(&fingerprint.to_be_bytes());
        let len = MAC_DOMAIN.len() + 2 + cookie_name.len() + 8;
        let padding = len.next_multiple_of(BLOCK_LEN) - len;
        prefixed.update(&[0u8; BLOCK_LEN][..padding]);
        HmacSha256 { prefixed }
    }

    fn seal(&self, raw: &mut [u8], payload_len: usize) -> Result<usize, RandomnessUnavailable> {
        let end = HEADER_LEN + payload_len;
        let tag = self.tag([&raw[..end]]);
        raw[end..end + TAG_LEN].copy_from_slice(&tag);
        Ok(end + TAG_LEN)
    }

    fn open(&self, raw: &mut [u8]) -> bool {
        // Header and payload are adjacent: one update.
        let (signed, tag) = raw.split_at(raw.len() - TAG_LEN);
        let mut mac = self.prefixed.clone();
        mac.update(signed);
        // Compares the leading 16 bytes of the HMAC in constant time.
        mac.verify_truncated_left(tag).is_ok()
    }

    fn seals_equal(&self, header: &[u8; HEADER_LEN], seal: &Seal, payload: &[u8]) -> bool {
        self.tag([header, payload]).ct_eq(&seal.0[..TAG_LEN]).into()
    }
}
