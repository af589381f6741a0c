//! The MAC keys of the DBSC core, derived from the session [`Key`].

use core::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::key::Key;

/// HKDF `info` for the challenge MAC key. Its own string, so a challenge tag
/// can never be confused with a cookie tag or a bound-cookie tag.
const INFO_CHALLENGE: &[u8] = b"session-runtime/v1/dbsc/challenge/hmac-sha256";
/// HKDF `info` for the bound-cookie MAC key.
const INFO_BOUND: &[u8] = b"session-runtime/v1/dbsc/bound-cookie/hmac-sha256";

/// The keys the DBSC core MACs with, derived by HKDF from a session [`Key`].
///
/// Stateless: every replica configured with the same secret derives the same
/// keys, so a challenge issued by one is accepted by another. Derive it once
/// per configured key (it costs two HMAC computations), not per request. With
/// key rotation, issue with the signing key's `DbscKey` and verify with each
/// accepted key's, as the cookie path does.
///
/// ```
/// use session_runtime::{dbsc::DbscKey, Key};
///
/// let key = DbscKey::new(&Key::from_secret(&[7; 32]).unwrap());
/// // Never prints key material.
/// assert_eq!(format!("{key:?}"), "DbscKey { .. }");
/// ```
#[derive(Clone)]
pub struct DbscKey {
    challenge: Zeroizing<[u8; 32]>,
    bound: Zeroizing<[u8; 32]>,
}

impl DbscKey {
    /// Derives the DBSC keys from `key` (independent of its cookie MAC key).
    pub fn new(key: &Key) -> DbscKey {
        DbscKey {
            challenge: key.derive_subkey(INFO_CHALLENGE),
            bound: key.derive_subkey(INFO_BOUND),
        }
    }

    /// HMAC-SHA256 under the challenge key over `parts`, concatenated.
    pub(super) fn challenge_tag(&self, parts: &[&[u8]]) -> [u8; 32] {
        tag(&self.challenge, parts)
    }

    /// HMAC-SHA256 under the bound-cookie key over `parts`, concatenated.
    pub(super) fn bound_tag(&self, parts: &[&[u8]]) -> [u8; 32] {
        tag(&self.bound, parts)
    }
}

fn tag(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl fmt::Debug for DbscKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DbscKey { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_independent_of_each_other_and_of_the_secret() {
        let a = DbscKey::new(&Key::from_secret(&[1; 32]).unwrap());
        let b = DbscKey::new(&Key::from_secret(&[2; 32]).unwrap());
        assert_ne!(*a.challenge, *a.bound);
        assert_ne!(*a.challenge, *b.challenge);
        assert_ne!(a.challenge_tag(&[b"x"]), a.bound_tag(&[b"x"]));
        // Same secret, same keys: replicas agree.
        let a2 = DbscKey::new(&Key::from_secret(&[1; 32]).unwrap());
        assert_eq!(a.challenge_tag(&[b"x", b"y"]), a2.challenge_tag(&[b"xy"]));
    }
}
