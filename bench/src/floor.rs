//! The floor: the least work a signed, binary session cookie can do.
//!
//! postcard into a stack buffer, one HMAC-SHA256 over the payload from a pre-keyed state,
//! base64url without padding of `payload ‖ tag`. No header, no key id, no time fields, no
//! name binding: those are what the real library adds on top, and the gap between it and
//! this floor is the price of those features.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

use crate::{Peer, PeerError, Shape, COOKIE_NAME, MASTER_KEY};

const TAG_LEN: usize = 32;
/// Browsers keep `name + value` up to 4096 bytes; the value alone can never be longer.
const MAX_VALUE_LEN: usize = 4096;
/// Decoded size of a 4096-character unpadded base64url value.
const MAX_RAW_LEN: usize = MAX_VALUE_LEN / 4 * 3;
/// Stack buffer for small and medium sessions (the library uses the same tiers).
const SMALL_RAW_LEN: usize = 256;
/// The same attributes every Rust peer is configured to emit, so `Set-Cookie` lengths compare.
const ATTRIBUTES: &str = "; Path=/; Secure; HttpOnly; SameSite=Lax";

/// postcard + HMAC-SHA256 + base64url.
#[derive(Clone)]
pub struct Floor {
    /// Keyed once: cloning a keyed HMAC copies two hash states, which is cheaper than
    /// re-deriving the inner/outer pads from the key on every cookie.
    mac: Hmac<Sha256>,
}

impl Default for Floor {
    fn default() -> Self {
        Self::new(&MASTER_KEY[..32])
    }
}

impl Floor {
    /// Key the HMAC once.
    pub fn new(key: &[u8]) -> Self {
        Self {
            mac: Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length"),
        }
    }
}

/// The value of cookie `name` in a `Cookie` request header (`a=1; b=2`).
fn find_cookie<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header.split(';').find_map(|pair| {
        pair.trim_start_matches(' ')
            .strip_prefix(name)?
            .strip_prefix('=')
    })
}

impl Peer for Floor {
    fn label(&self) -> &'static str {
        "floor"
    }

    fn encode<T: Shape>(&self, session: &T) -> Result<String, PeerError> {
        // A small stack buffer first: zeroing the full 3 KiB one costs more than the
        // whole HMAC of a small session. Bodies that do not fit retry in the big one.
        match self.encode_in(session, &mut [0u8; SMALL_RAW_LEN]) {
            Err(postcard::Error::SerializeBufferFull) => {
                Ok(self.encode_in(session, &mut [0u8; MAX_RAW_LEN])?)
            }
            result => Ok(result?),
        }
    }

    fn decode<T: Shape>(&self, cookie_header: &str) -> Result<T, PeerError> {
        let value = find_cookie(cookie_header, COOKIE_NAME).ok_or("cookie missing")?;
        // Length cap before any decoding work, as the design's decode order requires.
        if value.len() > MAX_VALUE_LEN {
            return Err("cookie too long".into());
        }
        // The decoded length is known from the input: small cookies use a small buffer.
        if value.len() <= SMALL_RAW_LEN / 3 * 4 {
            self.decode_in(value, &mut [0u8; SMALL_RAW_LEN])
        } else {
            self.decode_in(value, &mut [0u8; MAX_RAW_LEN])
        }
    }
}

impl Floor {
    /// postcard into `raw`, tag after it, base64url of both into the header value.
    fn encode_in<T: Shape>(&self, session: &T, raw: &mut [u8]) -> Result<String, postcard::Error> {
        let room = raw.len() - TAG_LEN;
        let payload_len = postcard::to_slice(session, &mut raw[..room])?.len();
        let mut mac = self.mac.clone();
        mac.update(&raw[..payload_len]);
        let tag = mac.finalize().into_bytes();
        raw[payload_len..payload_len + TAG_LEN].copy_from_slice(&tag);
        let raw = &raw[..payload_len + TAG_LEN];

        // One exactly-sized allocation: the header value every peer returns.
        let value_len = base64::encoded_len(raw.len(), false).expect("at most 3 KiB");
        let mut out = String::with_capacity(COOKIE_NAME.len() + 1 + value_len + ATTRIBUTES.len());
        out.push_str(COOKIE_NAME);
        out.push('=');
        URL_SAFE_NO_PAD.encode_string(raw, &mut out);
        out.push_str(ATTRIBUTES);
        Ok(out)
    }

    /// base64url into `raw`, verify the tag, then postcard.
    fn decode_in<T: Shape>(&self, value: &str, raw: &mut [u8]) -> Result<T, PeerError> {
        // URL_SAFE_NO_PAD rejects padding and non-zero trailing bits: canonical input only.
        let raw_len = URL_SAFE_NO_PAD.decode_slice(value, raw)?;
        let payload_len = raw_len.checked_sub(TAG_LEN).ok_or("cookie too short")?;
        let (payload, tag) = raw[..raw_len].split_at(payload_len);
        let mut mac = self.mac.clone();
        mac.update(payload);
        // Constant-time comparison; nothing is deserialized before it passes.
        mac.verify_slice(tag)?;
        let (session, rest) = postcard::take_from_bytes(payload)?;
        if !rest.is_empty() {
            return Err("trailing bytes after session".into());
        }
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cookie_among_others() {
        assert_eq!(find_cookie("a=1; session=xyz; b=2", "session"), Some("xyz"));
        assert_eq!(find_cookie("session=xyz", "session"), Some("xyz"));
        assert_eq!(find_cookie("sessionx=1; b=2", "session"), None);
    }

    #[test]
    fn rejects_a_flipped_bit() {
        let floor = Floor::default();
        let set_cookie = floor.encode(&crate::shapes::small()).unwrap();
        let pair = crate::cookie_pair(&set_cookie);
        // Change one character in the middle of the value.
        let mut bytes = pair.as_bytes().to_vec();
        let mid = bytes.len() / 2;
        bytes[mid] = if bytes[mid] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(floor.decode::<crate::shapes::Small>(&tampered).is_err());
    }
}
