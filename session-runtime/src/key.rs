//! Secrets, per-purpose subkeys and key ids.
//!
//! The user's secret is never used directly: HKDF-SHA256 (RFC 5869) derives one
//! subkey per purpose, so the MAC key, the key id and any future encryption key
//! are independent even though they come from one secret.

use core::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroize as _;

/// HKDF salt: binds every derived key to this library and wire-format
/// generation (one fixed salt per wire format, SECURITY.md; `v2` is wire
/// format version 2, docs/wire-format.md).
const HKDF_SALT: &[u8] = b"session-runtime/v2/hkdf-salt";
/// HKDF `info` for the cookie MAC key.
const INFO_MAC: &[u8] = b"session-runtime/v2/cookie-mac/hmac-sha256";
/// HKDF `info` for the cookie encryption key (feature `encrypted`).
#[cfg(feature = "encrypted")]
const INFO_AEAD: &[u8] = b"session-runtime/v2/cookie-aead/aes-256-gcm-siv";
/// HKDF `info` for the public key id written into every cookie header.
const INFO_KEY_ID: &[u8] = b"session-runtime/v2/key-id";

/// Identifies which [`Key`] signed a cookie. Derived from the secret by HKDF, so
/// it reveals nothing about the secret and needs no bookkeeping from the user.
/// Opaque: compare it, hash it, or print it (lowercase hex) for logs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KEY_ID_LEN]);

/// Bytes of key id in each cookie header: the first two of the four HKDF
/// outputs (docs/wire-format.md). Two keys may share an id (1 in 65,536 per
/// pair); the decoder then tries both.
pub(crate) const KEY_ID_LEN: usize = 2;

impl KeyId {
    pub(crate) const fn from_bytes(bytes: [u8; KEY_ID_LEN]) -> KeyId {
        KeyId(bytes)
    }

    pub(crate) const fn to_bytes(self) -> [u8; KEY_ID_LEN] {
        self.0
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// The secret was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// Shorter than [`Key::MIN_SECRET_LEN`] bytes.
    SecretTooShort {
        /// Bytes supplied.
        len: usize,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::SecretTooShort { len } => write!(
                f,
                "session secret is {len} bytes; at least {} bytes of random data are required \
                 (e.g. `openssl rand -base64 48`)",
                Key::MIN_SECRET_LEN
            ),
        }
    }
}

impl std::error::Error for KeyError {}

/// A signing key derived from a secret of at least 32 bytes.
///
/// ```
/// use session_runtime::Key;
///
/// let key = Key::from_secret(b"0123456789abcdef0123456789abcdef").unwrap();
/// assert!(Key::from_secret(b"too short").is_err());
/// // The id is stable for a given secret.
/// assert_eq!(key.id(), Key::from_secret(b"0123456789abcdef0123456789abcdef").unwrap().id());
/// ```
#[derive(Clone)]
pub struct Key {
    id: KeyId,
    mac_key: [u8; 32],
    #[cfg(feature = "encrypted")]
    aead_key: [u8; 32],
}

impl Key {
    /// Shortest accepted secret: 256 bits, the HMAC-SHA256 block of security
    /// (RFC 2104 §3 recommends keys no shorter than the hash output).
    pub const MIN_SECRET_LEN: usize = 32;

    /// Derives the key from `secret`, which must be at least
    /// [`MIN_SECRET_LEN`](Self::MIN_SECRET_LEN) bytes of high-entropy data.
    pub fn from_secret(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.len() < Self::MIN_SECRET_LEN {
            return Err(KeyError::SecretTooShort { len: secret.len() });
        }
        let hkdf = Hkdf::<Sha256>::new(Some(HKDF_SALT), secret);
        let mut mac_key = [0u8; 32];
        let mut id = [0u8; 4];
        // Both lengths are far below HKDF-SHA256's 255 * 32 byte limit.
        hkdf.expand(INFO_MAC, &mut mac_key)
            .and_then(|()| hkdf.expand(INFO_KEY_ID, &mut id))
            .expect("HKDF output lengths are fixed and valid");
        #[cfg(feature = "encrypted")]
        let aead_key = {
            let mut aead_key = [0u8; 32];
            hkdf.expand(INFO_AEAD, &mut aead_key)
                .expect("HKDF output lengths are fixed and valid");
            aead_key
        };
        Ok(Self {
            id: KeyId([id[0], id[1]]),
            mac_key,
            #[cfg(feature = "encrypted")]
            aead_key,
        })
    }

    /// The id written into cookies signed with this key.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// Whether `other` was derived from the same secret (constant-time).
    pub(crate) fn same_secret(&self, other: &Key) -> bool {
        use subtle::ConstantTimeEq as _;
        self.mac_key.ct_eq(&other.mac_key).into()
    }

    pub(crate) fn mac_key(&self) -> &[u8; 32] {
        &self.mac_key
    }

    #[cfg(feature = "encrypted")]
    pub(crate) fn aead_key(&self) -> &[u8; 32] {
        &self.aead_key
    }

    /// A further per-purpose key, `info` naming the purpose (feature `dbsc`:
    /// its challenge and bound-cookie MACs). HKDF-Expand (RFC 5869 §2.3) keyed
    /// with the MAC key: that key is itself uniformly random HKDF output, which
    /// §3.3 allows to serve as the PRK directly, so this needs no copy of the
    /// secret and no new field. Distinct `info` strings give independent keys.
    #[cfg(feature = "dbsc")]
    pub(crate) fn derive_subkey(&self, info: &[u8]) -> zeroize::Zeroizing<[u8; 32]> {
        let hkdf = Hkdf::<Sha256>::from_prk(&self.mac_key).expect("a 32-byte PRK is valid");
        let mut out = zeroize::Zeroizing::new([0u8; 32]);
        hkdf.expand(info, out.as_mut())
            .expect("HKDF output length is fixed and valid");
        out
    }
}

impl Drop for Key {
    // Derived key bytes do not outlive the key (SECURITY.md, "key hygiene").
    // Clones wipe their own copy.
    fn drop(&mut self) {
        self.mac_key.zeroize();
        #[cfg(feature = "encrypted")]
        self.aead_key.zeroize();
    }
}

/// What a configured key may do. A fleet rolls keys without losing sessions by
/// moving a key through these roles on every replica (docs/operations.md):
/// add the new key as [`VerifyOnly`](Self::VerifyOnly), then make it the
/// signing key with the old one as [`Verify`](Self::Verify), then drop the old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyRole {
    /// Signs (or encrypts) every cookie written; exactly one key has this role.
    Sign,
    /// Accepted; a cookie it verifies is re-issued with the signing key
    /// ([`LoadStatus::ValidVerifyKey`](crate::LoadStatus::ValidVerifyKey)).
    Verify,
    /// Accepted, never signs and never causes a re-issue: a replica that does
    /// not sign with this key yet still reads cookies from replicas that do.
    VerifyOnly,
}

impl fmt::Debug for Key {
    // Never print key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secret_is_refused_with_its_length() {
        let err = Key::from_secret(&[7; 31]).unwrap_err();
        assert_eq!(err, KeyError::SecretTooShort { len: 31 });
        assert!(err.to_string().contains("at least 32 bytes"));
    }

    #[test]
    fn different_secrets_give_different_ids_and_keys() {
        let a = Key::from_secret(&[1; 32]).unwrap();
        let b = Key::from_secret(&[2; 32]).unwrap();
        assert_ne!(a.id(), b.id());
        assert_ne!(a.mac_key(), b.mac_key());
        assert!(!format!("{a:?}").contains("mac_key"));
    }
}
