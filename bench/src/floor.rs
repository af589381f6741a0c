//! The floor: the least work a signed, binary session cookie can do.
//!
//! postcard into a stack buffer, one HMAC-SHA256 over the payload from a pre-keyed state,
//! base64url without padding of `payload ‖ tag`. No header, no key id, no time fields, no
//! name binding: those are what the real library adds on top, and the gap between it and
//! this floor is the price of those features.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit as _, Mac as _};
use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use serde::Serialize;
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

/// A cookie's name and the attributes of its `Set-Cookie`, as constants: the floor copies
/// them as constants. Passed at run time instead, they cost +70 instructions (+0.8%) on
/// the small encode (callgrind, `examples/instructions.rs`): `memcpy` calls where the
/// compiler otherwise writes the bytes inline.
pub trait CookieSpec {
    /// The cookie's name.
    const NAME: &'static str;
    /// What follows the value in `Set-Cookie` (`"; Path=/; ..."`).
    const ATTRIBUTES: &'static str;
}

/// The codec benchmark's cookie: [`COOKIE_NAME`] with the attributes every Rust peer is
/// configured to emit.
pub struct BenchCookie;

impl CookieSpec for BenchCookie {
    const NAME: &'static str = COOKIE_NAME;
    const ATTRIBUTES: &'static str = ATTRIBUTES;
}

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

/// The value of cookie `name` in a `Cookie` request header (`a=1; b=2`), on the
/// header's bytes: an `http` server holds it as bytes (`HeaderValue::to_str` would add a
/// validation pass the floor does not need; base64url decoding rejects anything else).
/// The `;` search is `memchr`'s, as in our cookie scanner: a byte-at-a-time split was
/// measured at +4% instructions on the floor's small decode and +8% on the large one
/// (callgrind, `examples/instructions.rs`), against `str::split`'s word-at-a-time one.
fn find_cookie<'h>(header: &'h [u8], name: &str) -> Option<&'h [u8]> {
    let mut rest = header;
    loop {
        let end = memchr::memchr(b';', rest).unwrap_or(rest.len());
        let pair = &rest[..end];
        let start = pair.iter().position(|&byte| byte != b' ').unwrap_or(end);
        let value = pair[start..]
            .strip_prefix(name.as_bytes())
            .and_then(|after| after.strip_prefix(b"="));
        if value.is_some() || end == rest.len() {
            return value;
        }
        rest = &rest[end + 1..];
    }
}

impl Peer for Floor {
    fn label(&self) -> &'static str {
        "floor"
    }

    fn encode<T: Shape>(&self, session: &T) -> Result<String, PeerError> {
        Ok(self.set_cookie::<BenchCookie, T>(session)?)
    }

    fn decode<T: Shape>(&self, cookie_header: &str) -> Result<T, PeerError> {
        self.load_cookies::<BenchCookie, T>([cookie_header.as_bytes()])
    }
}

impl Floor {
    /// The `Set-Cookie` value `name=<value><attributes>` for `session`: [`Peer::encode`]
    /// for any cookie (the HTTP benchmark's floor layer writes our layer's name and
    /// attributes) and any serde type.
    pub fn set_cookie<C: CookieSpec, T: Serialize>(
        &self,
        session: &T,
    ) -> Result<String, postcard::Error> {
        // A small stack buffer first: zeroing the full 3 KiB one costs more than the
        // whole HMAC of a small session. Bodies that do not fit retry in the big one.
        match self.encode_in::<C, T>(session, &mut [0u8; SMALL_RAW_LEN]) {
            Err(postcard::Error::SerializeBufferFull) => {
                self.encode_in::<C, T>(session, &mut [0u8; MAX_RAW_LEN])
            }
            result => result,
        }
    }

    /// [`set_cookie`](Self::set_cookie) as an `http::HeaderValue`, the type our
    /// `SessionConfig::set_cookie` returns: like for like with it.
    pub fn set_cookie_header<C: CookieSpec, T: Serialize>(
        &self,
        session: &T,
    ) -> Result<HeaderValue, PeerError> {
        Ok(HeaderValue::try_from(self.set_cookie::<C, T>(session)?)?)
    }

    /// The session in cookie `C::NAME` of a request's `Cookie` headers, found in its
    /// `HeaderMap` as our `SessionConfig::load` finds it: like for like with it.
    pub fn load_from_headers<C: CookieSpec, T: DeserializeOwned>(
        &self,
        headers: &HeaderMap,
    ) -> Result<T, PeerError> {
        self.load_cookies::<C, T>(headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes))
    }

    /// The session in cookie `C::NAME` of a request's `Cookie` header values (bytes, as
    /// a server holds them): [`Peer::decode`] for any cookie and any serde type. The
    /// first cookie of the name is decoded (HTTP/2 sends one `Cookie` header per cookie,
    /// RFC 9113 §8.2.3); there is no search for duplicates, which is one of our features.
    pub fn load_cookies<'a, C: CookieSpec, T: DeserializeOwned>(
        &self,
        cookie_headers: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<T, PeerError> {
        let value = cookie_headers
            .into_iter()
            .find_map(|header| find_cookie(header, C::NAME))
            .ok_or("cookie missing")?;
        self.decode_value(value)
    }

    /// Verifies and decodes one cookie value (what follows `name=`).
    fn decode_value<T: DeserializeOwned>(&self, value: &[u8]) -> Result<T, PeerError> {
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

/// The request headers a browser sends back for the floor's cookie of `session` (one
/// `Cookie` header), checked to round-trip: the input of the floor's `http` decode rows.
pub fn floor_request<T: Shape>(floor: &Floor, session: &T) -> HeaderMap {
    let set_cookie = crate::check_round_trip(floor, session);
    let mut request = HeaderMap::new();
    let value = HeaderValue::from_str(crate::cookie_pair(&set_cookie)).expect("a valid header");
    request.insert(COOKIE, value);
    let back: T = floor
        .load_from_headers::<BenchCookie, T>(&request)
        .expect("the floor reads its cookie from a HeaderMap");
    assert_eq!(&back, session, "floor-http round trip changed the session");
    request
}

impl Floor {
    /// postcard into `raw`, tag after it, base64url of both into the header value.
    fn encode_in<C: CookieSpec, T: Serialize>(
        &self,
        session: &T,
        raw: &mut [u8],
    ) -> Result<String, postcard::Error> {
        let room = raw.len() - TAG_LEN;
        let payload_len = postcard::to_slice(session, &mut raw[..room])?.len();
        let mut mac = self.mac.clone();
        mac.update(&raw[..payload_len]);
        let tag = mac.finalize().into_bytes();
        raw[payload_len..payload_len + TAG_LEN].copy_from_slice(&tag);
        let raw = &raw[..payload_len + TAG_LEN];

        // One exactly-sized allocation: the header value every peer returns.
        let value_len = base64::encoded_len(raw.len(), false).expect("at most 3 KiB");
        let mut out = String::with_capacity(C::NAME.len() + 1 + value_len + C::ATTRIBUTES.len());
        out.push_str(C::NAME);
        out.push('=');
        URL_SAFE_NO_PAD.encode_string(raw, &mut out);
        out.push_str(C::ATTRIBUTES);
        Ok(out)
    }

    /// base64url into `raw`, verify the tag, then postcard.
    fn decode_in<T: DeserializeOwned>(&self, value: &[u8], raw: &mut [u8]) -> Result<T, PeerError> {
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
        let find = |header: &'static str| find_cookie(header.as_bytes(), "session");
        assert_eq!(find("a=1; session=xyz; b=2"), Some(&b"xyz"[..]));
        assert_eq!(find("session=xyz"), Some(&b"xyz"[..]));
        assert_eq!(find("sessionx=1; b=2"), None);
        assert_eq!(find("a=1;  ; session=xyz"), Some(&b"xyz"[..]));
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
