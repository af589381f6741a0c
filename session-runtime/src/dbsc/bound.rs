//! The short-lived bound cookie: an expiry time and the device's public key,
//! under a MAC binding them to one DBSC session.
//!
//! It is a second cookie next to the long-lived session cookie (docs/dbsc.md,
//! "The bound cookie: a second cookie"): the long-lived cookie keeps the session state and
//! the device key, so the refresh endpoint can verify a proof without any
//! server-side store, and it is useless alone in the session's scope, because
//! requests there also need a bound cookie that only a proof of the device
//! key can renew. The server checks the expiry itself: a copied cookie jar
//! whose software ignores `Max-Age` still fails once the time written here
//! passes.
//!
//! It repeats the device key so that a long-lived cookie overwritten by a
//! concurrent response can be healed: the registration answer sets the bound
//! session, but the page the browser loads at the same moment (the redirect
//! after login) may answer later and set the session again as it was, still
//! pending (last write wins, observed with Chromium 156 in
//! `tests/browser/dbsc.rs`). A pending session whose request carries a bound
//! cookie for its DBSC id is therefore known to be bound, and to which key
//! (docs/dbsc.md, "Concurrent responses").

use core::fmt;

use subtle::ConstantTimeEq as _;

use super::jwk::DeviceKey;
use super::keys::DbscKey;
use super::state::SessionId;
use super::text;

/// Format version, first byte of every bound cookie (2: with the device key).
const VERSION: u8 = 2;
/// Truncated HMAC-SHA256 tag: 128 bits, as for challenges.
const TAG_LEN: usize = 16;
/// Bytes of the compressed device key.
const KEY_LEN: usize = 33;
/// Raw bytes: version, expiry (u64 big-endian, Unix seconds), device key, tag.
const RAW_LEN: usize = 1 + 8 + KEY_LEN + TAG_LEN;
/// Where the tag starts: everything before it is under the MAC.
const TAG_AT: usize = RAW_LEN - TAG_LEN;
/// Characters of a bound cookie's value (unpadded base64url of 58 bytes).
pub const BOUND_COOKIE_VALUE_LEN: usize = 78;
const _: () = assert!(super::text::decoded_len(BOUND_COOKIE_VALUE_LEN).unwrap() == RAW_LEN);
/// Domain separation inside the bound-cookie key's MAC input.
const LABEL: &[u8] = b"session-runtime/dbsc/bound-cookie";

/// What a verified bound cookie says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundCookieContents {
    /// When it expires (Unix seconds).
    pub expires_at: u64,
    /// The device key the registration endpoint verified for this session.
    pub device_key: DeviceKey,
}

/// The value of the short-lived bound cookie.
///
/// ```
/// use session_runtime::dbsc::{BoundCookie, BoundCookieError, DbscKey, DeviceKey, SessionId};
/// use session_runtime::Key;
///
/// let key = DbscKey::new(&Key::from_secret(&[7; 32]).unwrap());
/// let id = SessionId::from_bytes([1; 16]);
/// # let device = p256::ecdsa::SigningKey::from_slice(&[9; 32]).unwrap();
/// # let point = device.verifying_key().to_sec1_point(true);
/// let device_key = DeviceKey::from_compressed(point.as_bytes()).unwrap();
/// let value = BoundCookie::issue(&key, &id, &device_key, 1_000 + 600);
/// let contents = BoundCookie::verify(&key, &value, &id, 1_000).unwrap();
/// assert_eq!((contents.expires_at, contents.device_key), (1_600, device_key));
/// assert!(matches!(BoundCookie::verify(&key, &value, &id, 1_600),
///                  Err(BoundCookieError::Expired { .. })));
/// ```
pub struct BoundCookie;

impl BoundCookie {
    /// The cookie value for DBSC session `id` bound to `device_key`, valid
    /// until `expires_at` (Unix seconds; send `Max-Age` to match).
    pub fn issue(key: &DbscKey, id: &SessionId, device_key: &DeviceKey, expires_at: u64) -> String {
        let mut raw = [0u8; RAW_LEN];
        raw[0] = VERSION;
        raw[1..9].copy_from_slice(&expires_at.to_be_bytes());
        raw[9..TAG_AT].copy_from_slice(&device_key.to_compressed());
        let tag = tag(key, id, &raw[..TAG_AT]);
        raw[TAG_AT..].copy_from_slice(&tag);
        text::encode(&raw)
    }

    /// Checks a bound cookie's value against the DBSC session `id` of the
    /// long-lived session it came with, at `now` (Unix seconds). Returns its
    /// expiry and device key. The tag is compared in constant time before
    /// anything else in the value is read.
    pub fn verify(
        key: &DbscKey,
        value: &str,
        id: &SessionId,
        now: u64,
    ) -> Result<BoundCookieContents, BoundCookieError> {
        let raw: [u8; RAW_LEN] =
            text::decode_array(value.as_bytes()).ok_or(BoundCookieError::Malformed)?;
        if raw[0] != VERSION {
            return Err(BoundCookieError::Malformed);
        }
        if !bool::from(tag(key, id, &raw[..TAG_AT]).ct_eq(&raw[TAG_AT..])) {
            return Err(BoundCookieError::WrongBinding);
        }
        let expires_at = u64::from_be_bytes(raw[1..9].try_into().expect("8 bytes"));
        if now >= expires_at {
            return Err(BoundCookieError::Expired { expires_at, now });
        }
        let device_key = raw[9..TAG_AT]
            .try_into()
            .ok()
            .and_then(DeviceKey::from_authenticated)
            // Only a holder of the MAC key writes this: never reached.
            .ok_or(BoundCookieError::Malformed)?;
        Ok(BoundCookieContents {
            expires_at,
            device_key,
        })
    }
}

fn tag(key: &DbscKey, id: &SessionId, head: &[u8]) -> [u8; TAG_LEN] {
    let full = key.bound_tag(&[LABEL, &id.to_bytes(), head]);
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(&full[..TAG_LEN]);
    out
}

/// A bound cookie was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BoundCookieError {
    /// Not a bound cookie of ours (length, alphabet, version).
    Malformed,
    /// Not issued with this key for this DBSC session: forged, from another
    /// session, or from before a re-registration.
    WrongBinding,
    /// Past its expiry: the browser must refresh with a proof.
    Expired {
        /// When it expired (Unix seconds).
        expires_at: u64,
        /// Our clock (Unix seconds).
        now: u64,
    },
}

impl fmt::Display for BoundCookieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoundCookieError::Malformed => f.write_str("not a bound cookie issued by this server"),
            BoundCookieError::WrongBinding => {
                f.write_str("bound cookie was not issued for this DBSC session with this key")
            }
            BoundCookieError::Expired { expires_at, now } => write!(
                f,
                "bound cookie expired {} s ago",
                now.saturating_sub(*expires_at)
            ),
        }
    }
}

impl std::error::Error for BoundCookieError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Key;

    const ID: SessionId = SessionId::from_bytes([3; 16]);

    fn key(seed: u8) -> DbscKey {
        DbscKey::new(&Key::from_secret(&[seed; 32]).unwrap())
    }

    fn device(seed: u8) -> DeviceKey {
        let signing = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
        DeviceKey::from_compressed(signing.verifying_key().to_sec1_point(true).as_bytes()).unwrap()
    }

    #[test]
    fn valid_until_expiry_exclusive_and_carries_the_key() {
        let k = key(1);
        let v = BoundCookie::issue(&k, &ID, &device(9), 1_000);
        assert_eq!(v.len(), BOUND_COOKIE_VALUE_LEN);
        assert_eq!(
            BoundCookie::verify(&k, &v, &ID, 999),
            Ok(BoundCookieContents {
                expires_at: 1_000,
                device_key: device(9)
            })
        );
        assert_eq!(
            BoundCookie::verify(&k, &v, &ID, 1_000),
            Err(BoundCookieError::Expired {
                expires_at: 1_000,
                now: 1_000
            })
        );
        assert_eq!(
            BoundCookie::verify(&k, &v, &ID, u64::MAX)
                .unwrap_err()
                .to_string(),
            format!("bound cookie expired {} s ago", u64::MAX - 1_000)
        );
    }

    #[test]
    fn other_session_key_or_tampering_is_refused() {
        let k = key(1);
        let v = BoundCookie::issue(&k, &ID, &device(9), 1_000);
        let other = SessionId::from_bytes([4; 16]);
        assert_eq!(
            BoundCookie::verify(&k, &v, &other, 0),
            Err(BoundCookieError::WrongBinding)
        );
        assert_eq!(
            BoundCookie::verify(&key(2), &v, &ID, 0),
            Err(BoundCookieError::WrongBinding)
        );
        // Extending the expiry, or swapping in another device key, breaks the tag.
        let mut raw: [u8; RAW_LEN] = text::decode_array(v.as_bytes()).unwrap();
        raw[1] = 0x7f;
        assert_eq!(
            BoundCookie::verify(&k, &text::encode(&raw), &ID, 0),
            Err(BoundCookieError::WrongBinding)
        );
        let mut raw: [u8; RAW_LEN] = text::decode_array(v.as_bytes()).unwrap();
        raw[9..TAG_AT].copy_from_slice(&device(10).to_compressed());
        assert_eq!(
            BoundCookie::verify(&k, &text::encode(&raw), &ID, 0),
            Err(BoundCookieError::WrongBinding)
        );
        // A challenge (another key, label and length) is not a bound cookie.
        let challenge =
            super::super::Challenge::issue(&k, super::super::ChallengePurpose::Refresh, &ID, 1_000);
        assert_eq!(
            BoundCookie::verify(&k, challenge.as_str(), &ID, 0),
            Err(BoundCookieError::Malformed)
        );
        for junk in [
            "",
            "x",
            &v[1..],
            &format!("{v}A"),
            &format!("{}=", &v[..77]),
        ] {
            assert_eq!(
                BoundCookie::verify(&k, junk, &ID, 0),
                Err(BoundCookieError::Malformed),
                "{junk:?}"
            );
        }
    }
}
