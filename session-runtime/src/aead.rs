//! Encrypted cookies (feature `encrypted`): AES-256-GCM-SIV (RFC 8452).
//!
//! Why GCM-SIV rather than XChaCha20-Poly1305: a cookie is size-constrained,
//! and GCM-SIV needs 12 + 16 = 28 bytes of nonce and tag (XChaCha: 24 + 16 =
//! 40); it is nonce-misuse resistant, so a repeated random nonce (a broken RNG,
//! a cloned VM) reveals only that two cookies are equal instead of breaking
//! confidentiality and integrity; and AES-NI/CLMUL make it fast on servers.
//! 96-bit random nonces stay safe for well over 2^32 cookies per key under GCM-SIV's
//! bounds (RFC 8452 §9).

use aes_gcm_siv::aead::{AeadInOut, KeyInit};
use aes_gcm_siv::{Aes256GcmSiv, Nonce, Tag};
use subtle::ConstantTimeEq as _;

use crate::key::{Key, KeyId};
use crate::wire::{with_scratch, RandomnessUnavailable, Seal, AEAD_TAG_LEN, HEADER_LEN, NONCE_LEN};

/// Associated-data prefix: domain separation from every other use of the key.
const AEAD_DOMAIN: &[u8] = b"session-runtime/v1/cookie-aead\0";

/// A key prepared for one cookie name: the AES key schedule is computed once,
/// and the associated-data prefix (domain, name) is rendered once.
pub(crate) struct Sealer {
    pub key_id: KeyId,
    cipher: Aes256GcmSiv,
    aad_prefix: Vec<u8>,
}

impl Sealer {
    pub fn new(key: &Key, cookie_name: &str) -> Sealer {
        let mut aad_prefix = Vec::with_capacity(AEAD_DOMAIN.len() + 2 + cookie_name.len());
        aad_prefix.extend_from_slice(AEAD_DOMAIN);
        // Cookie names are at most 4096 bytes, so the length always fits.
        aad_prefix.extend_from_slice(&(cookie_name.len() as u16).to_be_bytes());
        aad_prefix.extend_from_slice(cookie_name.as_bytes());
        Sealer {
            key_id: key.id(),
            cipher: Aes256GcmSiv::new(key.aead_key().into()),
            aad_prefix,
        }
    }

    /// Runs `f` with the associated data `prefix ‖ header`, on the stack for
    /// the usual short names.
    fn with_aad<R>(&self, header: &[u8; HEADER_LEN], f: impl FnOnce(&[u8]) -> R) -> R {
        let len = self.aad_prefix.len() + HEADER_LEN;
        let mut stack = [0u8; 160];
        if len <= stack.len() {
            stack[..self.aad_prefix.len()].copy_from_slice(&self.aad_prefix);
            stack[self.aad_prefix.len()..len].copy_from_slice(header);
            f(&stack[..len])
        } else {
            let mut heap = Vec::with_capacity(len);
            heap.extend_from_slice(&self.aad_prefix);
            heap.extend_from_slice(header);
            f(&heap)
        }
    }

    /// Encrypts `raw[HEADER_LEN + NONCE_LEN..][..payload_len]` in place under a
    /// fresh random nonce; returns the envelope length.
    pub fn seal(
        &self,
        raw: &mut [u8],
        payload_len: usize,
        header: &[u8; HEADER_LEN],
    ) -> Result<usize, RandomnessUnavailable> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| RandomnessUnavailable)?;
        let start = HEADER_LEN + NONCE_LEN;
        let end = start + payload_len;
        let tag = self
            .encrypt(header, &nonce, &mut raw[start..end])
            .ok_or(RandomnessUnavailable)?;
        raw[HEADER_LEN..start].copy_from_slice(&nonce);
        raw[end..end + AEAD_TAG_LEN].copy_from_slice(&tag);
        Ok(end + AEAD_TAG_LEN)
    }

    fn encrypt(
        &self,
        header: &[u8; HEADER_LEN],
        nonce: &[u8; NONCE_LEN],
        data: &mut [u8],
    ) -> Option<[u8; AEAD_TAG_LEN]> {
        let nonce = Nonce::from(*nonce);
        self.with_aad(header, |aad| {
            self.cipher
                .encrypt_inout_detached(&nonce, aad, data.into())
                .ok()
                .map(Into::into)
        })
    }

    /// Decrypts `sealed = nonce ‖ ciphertext ‖ tag` in place; returns the
    /// plaintext and the seal, or `None` if authentication fails.
    pub fn open<'buf>(
        &self,
        header: &[u8; HEADER_LEN],
        sealed: &'buf mut [u8],
    ) -> Option<(&'buf [u8], Seal)> {
        let (nonce, rest) = sealed.split_at_mut(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at_mut(rest.len() - AEAD_TAG_LEN);
        let nonce: [u8; NONCE_LEN] = (&*nonce).try_into().ok()?;
        let tag: [u8; AEAD_TAG_LEN] = (&*tag).try_into().ok()?;
        let verified = self.with_aad(header, |aad| {
            self.cipher
                .decrypt_inout_detached(
                    &Nonce::from(nonce),
                    aad,
                    (&mut *ciphertext).into(),
                    &Tag::from(tag),
                )
                .is_ok()
        });
        verified.then(|| (&*ciphertext, seal_of(&nonce, &tag)))
    }

    /// GCM-SIV's tag is a MAC of the plaintext under a nonce-derived key, so
    /// re-encrypting with the original nonce gives the original tag exactly
    /// when the payload is unchanged. The result is only compared, never sent.
    pub fn seals_equal(&self, header: &[u8; HEADER_LEN], seal: &Seal, payload: &[u8]) -> bool {
        let nonce: [u8; NONCE_LEN] = seal.0[..NONCE_LEN].try_into().expect("seal layout");
        with_scratch(payload.len(), |scratch| {
            let Some(copy) = scratch.get_mut(..payload.len()) else {
                return false;
            };
            copy.copy_from_slice(payload);
            self.encrypt(header, &nonce, copy)
                .is_some_and(|tag| seal_of(&nonce, &tag).0.ct_eq(&seal.0).into())
        })
    }
}

fn seal_of(nonce: &[u8; NONCE_LEN], tag: &[u8; AEAD_TAG_LEN]) -> Seal {
    let mut seal = [0u8; 32];
    seal[..NONCE_LEN].copy_from_slice(nonce);
    seal[NONCE_LEN..NONCE_LEN + AEAD_TAG_LEN].copy_from_slice(tag);
    Seal(seal)
}
