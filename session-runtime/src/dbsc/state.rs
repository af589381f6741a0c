//! What the long-lived signed session carries for DBSC, and its size bound.

use core::fmt;

use serde::{Deserialize, Serialize};

use super::jwk::DeviceKey;
use super::text;
use crate::size::{add, max, schema_hash_leaf, varint_max, MaxEncodedLen};

/// Bytes of a DBSC session identifier: 128 random bits, so identifiers of one
/// site never collide in practice and cannot be guessed.
pub const SESSION_ID_LEN: usize = 16;

/// The DBSC session identifier (`session_identifier` in the instructions JSON,
/// `Sec-Secure-Session-Id` on refresh requests, `id` of a challenge).
///
/// On the wire it is the 22-character unpadded base64url text of its 16 bytes,
/// which is valid in a JSON string, in an `sf-string` and as Chromium's bare
/// header value alike. Make one from 16 random bytes at login (the adapters'
/// random source; this core does not draw randomness itself).
///
/// ```
/// use session_runtime::dbsc::SessionId;
///
/// let id = SessionId::from_bytes([0xfb; 16]);
/// assert_eq!(id.to_string(), "-_v7-_v7-_v7-_v7-_v7-w");
/// assert_eq!(SessionId::parse(&id.to_string()), Some(id));
/// assert_eq!(SessionId::parse("s1"), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionId([u8; SESSION_ID_LEN]);

impl SessionId {
    /// The identifier with these bytes.
    pub const fn from_bytes(bytes: [u8; SESSION_ID_LEN]) -> SessionId {
        SessionId(bytes)
    }

    /// Its bytes.
    pub const fn to_bytes(self) -> [u8; SESSION_ID_LEN] {
        self.0
    }

    /// Parses the canonical 22-character base64url text; anything else is `None`.
    pub fn parse(text: &str) -> Option<SessionId> {
        text::decode_array(text.as_bytes()).map(SessionId)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&text::encode(&self.0))
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
    }
}

/// The DBSC part of a long-lived session: put an `Option<DbscState>` in the
/// signed session (or its header) and the compile-time budget counts it.
///
/// ```
/// use session_runtime::dbsc::DbscState;
/// use session_runtime::MaxEncodedLen;
///
/// // 1 variant byte + 16-byte id + 33-byte compressed P-256 key:
/// assert_eq!(<DbscState as MaxEncodedLen>::MAX_ENCODED_LEN, 50);
/// assert_eq!(<Option<DbscState> as MaxEncodedLen>::MAX_ENCODED_LEN, 51);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[non_exhaustive]
pub enum DbscState {
    /// Login answered with `Secure-Session-Registration` for this id; the
    /// browser has not registered a key yet. `since` (Unix seconds) lets a
    /// route that requires DBSC tolerate the registration round trip for a
    /// grace period and no longer (docs/dbsc.md, "Policy for browsers without DBSC").
    Pending {
        /// The identifier the registration challenge was issued for.
        id: SessionId,
        /// When the registration was offered (Unix seconds).
        since: u64,
    },
    /// Registered: requests in scope need a valid bound cookie, and refreshes
    /// must be signed by this key.
    Bound {
        /// The session identifier the browser refreshes with.
        id: SessionId,
        /// The device's public key, proven at registration.
        key: DeviceKey,
    },
}

impl DbscState {
    /// The session identifier, in either state.
    pub fn id(&self) -> SessionId {
        match self {
            DbscState::Pending { id, .. } | DbscState::Bound { id, .. } => *id,
        }
    }
}

impl MaxEncodedLen for SessionId {
    // A fixed-size array: no length prefix in postcard.
    const MAX_ENCODED_LEN: usize = SESSION_ID_LEN;
    const SCHEMA_HASH: u64 = schema_hash_leaf("session_runtime::dbsc::SessionId/16");
}

impl MaxEncodedLen for DbscState {
    // Postcard: the variant index is a varint (one byte for two variants),
    // then the fields in order; `u64` is a varint of at most 10 bytes.
    const MAX_ENCODED_LEN: usize = add(
        1,
        max(
            add(SessionId::MAX_ENCODED_LEN, varint_max(64)),
            add(SessionId::MAX_ENCODED_LEN, DeviceKey::MAX_ENCODED_LEN),
        ),
    );
    const SCHEMA_HASH: u64 = schema_hash_leaf("session_runtime::dbsc::DbscState/v1");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device_key() -> DeviceKey {
        let signing = p256::ecdsa::SigningKey::from_slice(&[9; 32]).unwrap();
        let point = signing.verifying_key().to_sec1_point(true);
        DeviceKey::from_compressed(point.as_bytes()).unwrap()
    }

    #[test]
    fn postcard_lengths_meet_the_bound_exactly() {
        let id = SessionId::from_bytes([0xff; 16]);
        let bound = DbscState::Bound {
            id,
            key: device_key(),
        };
        let pending = DbscState::Pending {
            id,
            since: u64::MAX,
        };
        // The bound is the larger variant, met exactly; the other fits under it.
        for (state, len) in [(bound, DbscState::MAX_ENCODED_LEN), (pending, 1 + 16 + 10)] {
            let bytes = postcard::to_allocvec(&state).unwrap();
            assert_eq!(bytes.len(), len, "{state:?}");
            assert_eq!(postcard::from_bytes::<DbscState>(&bytes).unwrap(), state);
        }
    }

    #[test]
    fn a_stored_key_that_is_not_a_point_is_refused_on_decode() {
        let id = SessionId::from_bytes([1; 16]);
        let mut bytes = postcard::to_allocvec(&DbscState::Bound {
            id,
            key: device_key(),
        })
        .unwrap();
        bytes[17] = 0x05; // SEC1 tag byte of the key: neither 0x02 nor 0x03
        assert!(postcard::from_bytes::<DbscState>(&bytes).is_err());
        assert!(
            postcard::from_bytes::<DbscState>(&bytes[..30]).is_err(),
            "truncated"
        );
    }

    #[test]
    fn session_id_text_is_canonical() {
        let id = SessionId::from_bytes(*b"0123456789abcdef");
        let text = id.to_string();
        assert_eq!(text.len(), 22);
        assert_eq!(SessionId::parse(&text), Some(id));
        assert_eq!(SessionId::parse(&format!("{text}=")), None);
        assert_eq!(SessionId::parse(&text[..21]), None);
        assert_eq!(SessionId::parse(""), None);
    }
}
