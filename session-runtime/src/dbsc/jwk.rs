//! The device's public key: from the registration proof's JWK (RFC 7517,
//! RFC 7518 §6.2) to a verifying key and its 33-byte compressed form.

use core::fmt;

use p256::ecdsa::VerifyingKey;
use serde::de::{self, IgnoredAny};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::ProofError;
use super::text;
use crate::size::{schema_hash_leaf, MaxEncodedLen};

/// Bytes of a compressed SEC1 P-256 point: a 0x02/0x03 tag and `x`.
const COMPRESSED_LEN: usize = 33;
/// Bytes of one P-256 coordinate (RFC 7518 §6.2.1.2: `x` and `y` MUST be the
/// full 32 bytes, leading zeros kept).
const COORDINATE_LEN: usize = 32;

/// A device's P-256 public key as stored in the long-lived session: the
/// compressed SEC1 point (SEC 1 v2 §2.3.3), 33 bytes.
///
/// Made only from a proven registration ([`RegistrationProof`](super::RegistrationProof))
/// or from bytes that decompress to a valid point ([`from_compressed`](Self::from_compressed)).
/// Decoding it from a (MAC-verified) cookie checks only the tag byte; the
/// curve check runs when a refresh is verified with it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceKey([u8; COMPRESSED_LEN]);

impl DeviceKey {
    /// The key from a compressed SEC1 point, refused unless it is a valid
    /// point on P-256 (not the identity).
    pub fn from_compressed(bytes: &[u8]) -> Result<DeviceKey, ProofError> {
        let array: [u8; COMPRESSED_LEN] = bytes.try_into().map_err(|_| ProofError::InvalidKey {
            reason: "a compressed P-256 point is 33 bytes",
        })?;
        if !matches!(array[0], 0x02 | 0x03) {
            return Err(ProofError::InvalidKey {
                reason: "not a compressed SEC1 point",
            });
        }
        let key = DeviceKey(array);
        key.verifying_key()?;
        Ok(key)
    }

    /// The compressed SEC1 point.
    pub fn to_compressed(&self) -> [u8; COMPRESSED_LEN] {
        self.0
    }

    /// The key from bytes a MAC of ours authenticated (a bound cookie's):
    /// only the tag byte is checked, as when the session decodes one; the
    /// curve check runs when a refresh is verified with it.
    pub(super) fn from_authenticated(bytes: [u8; COMPRESSED_LEN]) -> Option<DeviceKey> {
        matches!(bytes[0], 0x02 | 0x03).then_some(DeviceKey(bytes))
    }

    /// Decompresses to the ECDSA verifying key (checks the point is on the curve).
    pub(super) fn verifying_key(&self) -> Result<VerifyingKey, ProofError> {
        VerifyingKey::from_sec1_bytes(&self.0).map_err(|_| ProofError::InvalidKey {
            reason: "not a point on P-256",
        })
    }

    fn from_verifying_key(key: &VerifyingKey) -> DeviceKey {
        let point = key.to_sec1_point(true);
        let mut out = [0u8; COMPRESSED_LEN];
        out.copy_from_slice(point.as_bytes());
        DeviceKey(out)
    }
}

impl fmt::Debug for DeviceKey {
    // Public data, but 33 bytes of hex helps nobody: the RFC 7638-style x
    // coordinate prefix is enough to tell keys apart in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceKey({}…)", text::encode(&self.0[..9]))
    }
}

/// An EC public JWK. Unknown members (`kid`, `use`, `alg`, `key_ops`, ...)
/// are ignored; a duplicated known member is a parse error.
#[derive(Deserialize)]
pub(super) struct Jwk {
    kty: String,
    crv: String,
    x: String,
    y: String,
    /// A private key has no business in a proof: refused if present.
    #[serde(default)]
    d: Option<IgnoredAny>,
}

impl Jwk {
    /// The verifying key this JWK describes, and its stored form.
    pub(super) fn to_key(&self) -> Result<(VerifyingKey, DeviceKey), ProofError> {
        if self.kty != "EC" {
            return Err(ProofError::InvalidKey {
                reason: "`kty` is not \"EC\"",
            });
        }
        if self.crv != "P-256" {
            return Err(ProofError::InvalidKey {
                reason: "`crv` is not \"P-256\"",
            });
        }
        if self.d.is_some() {
            return Err(ProofError::InvalidKey {
                reason: "the JWK carries a private key (`d`)",
            });
        }
        let x = text::decode_array::<COORDINATE_LEN>(self.x.as_bytes());
        let y = text::decode_array::<COORDINATE_LEN>(self.y.as_bytes());
        let (Some(x), Some(y)) = (x, y) else {
            return Err(ProofError::InvalidKey {
                reason: "`x` and `y` must be 32 bytes of canonical base64url each",
            });
        };
        let mut uncompressed = [0u8; 1 + 2 * COORDINATE_LEN];
        uncompressed[0] = 0x04;
        uncompressed[1..33].copy_from_slice(&x);
        uncompressed[33..].copy_from_slice(&y);
        // Checks the point is on the curve and not the identity.
        let key =
            VerifyingKey::from_sec1_bytes(&uncompressed).map_err(|_| ProofError::InvalidKey {
                reason: "not a point on P-256",
            })?;
        Ok((key, DeviceKey::from_verifying_key(&key)))
    }
}

impl MaxEncodedLen for DeviceKey {
    // Written as a 33-tuple of `u8`: 33 raw bytes, no length prefix.
    const MAX_ENCODED_LEN: usize = COMPRESSED_LEN;
    const SCHEMA_HASH: u64 =
        schema_hash_leaf("session_runtime::dbsc::DeviceKey/sec1-compressed-p256");
}

// serde implements arrays only up to 32 elements; a tuple of 33 `u8` keeps
// the encoding at 33 raw bytes in postcard (a byte string would add a length).
impl Serialize for DeviceKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple as _;
        let mut tuple = serializer.serialize_tuple(COMPRESSED_LEN)?;
        for byte in &self.0 {
            tuple.serialize_element(byte)?;
        }
        tuple.end()
    }
}

impl<'de> Deserialize<'de> for DeviceKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DeviceKey, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = DeviceKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("33 bytes of a compressed P-256 point")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<DeviceKey, A::Error> {
                let mut out = [0u8; COMPRESSED_LEN];
                for (i, byte) in out.iter_mut().enumerate() {
                    *byte = seq
                        .next_element()?
                        .ok_or_else(|| de::Error::invalid_length(i, &self))?;
                }
                if !matches!(out[0], 0x02 | 0x03) {
                    return Err(de::Error::custom("not a compressed SEC1 point"));
                }
                Ok(DeviceKey(out))
            }
        }
        deserializer.deserialize_tuple(COMPRESSED_LEN, Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::SigningKey;

    fn jwk_of(key: &VerifyingKey) -> Jwk {
        let point = key.to_sec1_point(false);
        Jwk {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: text::encode(point.x().unwrap()),
            y: text::encode(point.y().unwrap()),
            d: None,
        }
    }

    #[test]
    fn jwk_round_trips_to_the_same_key() {
        let signing = SigningKey::from_slice(&[3; 32]).unwrap();
        let (key, device) = jwk_of(signing.verifying_key()).to_key().unwrap();
        assert_eq!(&key, signing.verifying_key());
        assert_eq!(device.verifying_key().unwrap(), key);
        assert_eq!(
            DeviceKey::from_compressed(&device.to_compressed()).unwrap(),
            device
        );
    }

    #[test]
    fn bad_jwks_are_refused_with_reasons() {
        let signing = SigningKey::from_slice(&[3; 32]).unwrap();
        let good = || jwk_of(signing.verifying_key());
        let reason = |jwk: Jwk| match jwk.to_key() {
            Err(ProofError::InvalidKey { reason }) => reason,
            other => panic!("expected InvalidKey, got {:?}", other.map(|(_, d)| d)),
        };
        assert!(reason(Jwk {
            kty: "RSA".into(),
            ..good()
        })
        .contains("kty"));
        assert!(reason(Jwk {
            crv: "P-384".into(),
            ..good()
        })
        .contains("crv"));
        assert!(reason(Jwk {
            d: Some(IgnoredAny),
            ..good()
        })
        .contains("private"));
        let mut short = good();
        short.x.pop();
        assert!(reason(short).contains("32 bytes"));
        let mut off_curve = good();
        let mut y = text::decode_array::<32>(off_curve.y.as_bytes()).unwrap();
        y[31] ^= 1;
        off_curve.y = text::encode(&y);
        assert!(reason(off_curve).contains("not a point"));
    }

    #[test]
    fn from_compressed_checks_the_point() {
        assert!(DeviceKey::from_compressed(&[2; 32]).is_err());
        assert!(DeviceKey::from_compressed(&[4; 33]).is_err());
        // About half of all x coordinates have no point on the curve: find one.
        let bad = (0u8..=255)
            .map(|b| {
                let mut c = [0u8; 33];
                c[0] = 2;
                c[32] = b;
                c
            })
            .find(|c| VerifyingKey::from_sec1_bytes(c).is_err())
            .expect("about half of all x have no point");
        assert!(matches!(
            DeviceKey::from_compressed(&bad),
            Err(ProofError::InvalidKey { .. })
        ));
    }
}
