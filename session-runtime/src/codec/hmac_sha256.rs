//! Signed cookies: `header ‖ payload ‖ HMAC-SHA256 tag`.
//!
//! ```text
//! tag = HMAC-SHA256(mac_key, DOMAIN ‖ u16be(len(name)) ‖ name ‖ header ‖ payload)
//! ```

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use crate::key::Key;

use super::envelope::{Envelope, RandomnessUnavailable, Seal, Sealed};
use super::header::HEADER_LEN;

/// Domain separation: a tag computed here can never be confused with an HMAC
/// the application computes with the same secret for another purpose.
const MAC_DOMAIN: &[u8] = b"session-runtime/v1/cookie\0";

/// Format byte of HMAC-SHA256-signed cookies.
pub const FORMAT: u8 = 0x01;
/// Bytes of HMAC-SHA256 tag after the payload.
pub const TAG_LEN: usize = 32;

/// HMAC-SHA256 signing, prepared for one key and one cookie name: the HMAC
/// state after the key schedule and the constant prefix (domain, name) is
/// computed once and cloned per cookie, which saves two SHA-256 compressions
/// per operation.
#[doc(hidden)]
#[derive(Clone)]
pub struct HmacSha256 {
    prefixed: Hmac<Sha256>,
}

impl HmacSha256 {
    fn tag(&self, header: &[u8; HEADER_LEN], payload: &[u8]) -> [u8; TAG_LEN] {
        let mut mac = self.prefixed.clone();
        mac.update(header);
        mac.update(payload);
        mac.finalize().into_bytes().into()
    }
}

impl Sealed for HmacSha256 {}

impl Envelope for HmacSha256 {
    const FORMAT: u8 = FORMAT;
    const ENCRYPTED: bool = false;
    const NONCE_LEN: usize = 0;
    const TAG_LEN: usize = TAG_LEN;

    fn prepare(key: &Key, cookie_name: &str) -> Self {
        let mut prefixed = <Hmac<Sha256> as KeyInit>::new_from_slice(key.mac_key())
            .expect("HMAC accepts keys of any length");
        prefixed.update(MAC_DOMAIN);
        // Cookie names are at most 4096 bytes, so the length always fits.
        prefixed.update(&(cookie_name.len() as u16).to_be_bytes());
        prefixed.update(cookie_name.as_bytes());
        HmacSha256 { prefixed }
    }

    fn seal(&self, raw: &mut [u8], payload_len: usize) -> Result<usize, RandomnessUnavailable> {
        let end = HEADER_LEN + payload_len;
        let header: &[u8; HEADER_LEN] = raw[..HEADER_LEN].try_into().expect("header room");
        let tag = self.tag(header, &raw[HEADER_LEN..end]);
        raw[end..end + TAG_LEN].copy_from_slice(&tag);
        Ok(end + TAG_LEN)
    }

    fn open<'b>(&self, header: &[u8; HEADER_LEN], body: &'b mut [u8]) -> Option<(&'b [u8], Seal)> {
        let body: &'b [u8] = body;
        let (payload, tag) = body.split_at(body.len().checked_sub(TAG_LEN)?);
        let mut mac = self.prefixed.clone();
        mac.update(header);
        mac.update(payload);
        // `verify_slice` compares in constant time.
        mac.verify_slice(tag).ok()?;
        let mut seal = [0u8; 32];
        seal[..TAG_LEN].copy_from_slice(tag);
        Some((payload, Seal(seal)))
    }

    fn seals_equal(&self, header: &[u8; HEADER_LEN], seal: &Seal, payload: &[u8]) -> bool {
        self.tag(header, payload).ct_eq(&seal.0[..TAG_LEN]).into()
    }
}
