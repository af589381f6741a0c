//! Encrypted cookies (feature `encrypted`): AES-256-GCM-SIV (RFC 8452),
//! `header ‖ nonce ‖ ciphertext ‖ tag`.
//!
//! ```text
//! AES-256-GCM-SIV(aead_key, nonce, aad = AEAD_DOMAIN ‖ u16be(len(name)) ‖ name ‖ u64be(fingerprint) ‖ header)
//! ```
//!
//! Why GCM-SIV rather than XChaCha20-Poly1305: a cookie is size-constrained,
//! and GCM-SIV needs 12 + 16 = 28 bytes of nonce and tag (XChaCha: 24 + 16 =
//! 40); it is nonce-misuse resistant, so a repeated random nonce (a broken RNG,
//! a cloned VM) reveals only that two cookies are equal instead of breaking
//! confidentiality and integrity; and AES-NI/CLMUL make it fast on servers.
//! 96-bit random nonces stay safe for well over 2^32 cookies per key under
//! GCM-SIV's bounds (RFC 8452 §9).

use aes_gcm_siv::aead::{AeadInOut, KeyInit};
use aes_gcm_siv::{Aes256GcmSiv as Cipher, Nonce, Tag};
use subtle::ConstantTimeEq as _;

use crate::key::Key;

use super::envelope::{Envelope, RandomnessUnavailable, Seal, Sealed, SEAL_LEN};
use super::header::HEADER_LEN;
use super::scratch::with_scratch;

/// Associated-data prefix: domain separation from every other use of the key.
const AEAD_DOMAIN: &[u8] = b"session-runtime/v2/cookie-aead\0";

/// Format byte of AES-256-GCM-SIV-encrypted cookies (wire format version 2).
pub const FORMAT: u8 = 0x04;
/// Bytes of random nonce in an encrypted cookie.
pub const NONCE_LEN: usize = 12;
/// Bytes of AEAD tag in an encrypted cookie.
pub const TAG_LEN: usize = 16;

/// AES-256-GCM-SIV, prepared for one key, one cookie name and one schema: the
/// AES key schedule is computed once, and the associated-data prefix (domain,
/// name, fingerprint) is rendered once.
#[doc(hidden)]
pub struct Aes256GcmSiv {
    cipher: Cipher,
    aad_prefix: Vec<u8>,
}

impl Aes256GcmSiv {
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

    fn encrypt(
        &self,
        header: &[u8; HEADER_LEN],
        nonce: &[u8; NONCE_LEN],
        data: &mut [u8],
    ) -> Option<[u8; TAG_LEN]> {
        let nonce = Nonce::from(*nonce);
        self.with_aad(header, |aad| {
            self.cipher
                .encrypt_inout_detached(&nonce, aad, data.into())
                .ok()
                .map(Into::into)
        })
    }
}

fn seal_of(nonce: &[u8; NONCE_LEN], tag: &[u8; TAG_LEN]) -> Seal {
    let mut seal = [0u8; SEAL_LEN];
    seal[..NONCE_LEN].copy_from_slice(nonce);
    seal[NONCE_LEN..NONCE_LEN + TAG_LEN].copy_from_slice(tag);
    Seal(seal)
}

impl Sealed for Aes256GcmSiv {}

impl Envelope for Aes256GcmSiv {
    const FORMAT: u8 = FORMAT;
    const ENCRYPTED: bool = true;
    const NONCE_LEN: usize = NONCE_LEN;
    const TAG_LEN: usize = TAG_LEN;

    fn prepare(key: &Key, cookie_name: &str, fingerprint: u64) -> Self {
        let mut aad_prefix = Vec::with_capacity(AEAD_DOMAIN.len() + 2 + cookie_name.len() + 8);
        aad_prefix.extend_from_slice(AEAD_DOMAIN);
        // Cookie names are at most 4096 bytes, so the length always fits.
        aad_prefix.extend_from_slice(&(cookie_name.len() as u16).to_be_bytes());
        aad_prefix.extend_from_slice(cookie_name.as_bytes());
        aad_prefix.extend_from_slice(&fingerprint.to_be_bytes());
        Aes256GcmSiv {
            cipher: Cipher::new(key.aead_key().into()),
            aad_prefix,
        }
    }

    /// Encrypts in place under a fresh random nonce from the OS.
    fn seal(&self, raw: &mut [u8], payload_len: usize) -> Result<usize, RandomnessUnavailable> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| RandomnessUnavailable)?;
        let start = HEADER_LEN + NONCE_LEN;
        let end = start + payload_len;
        let (header, rest) = raw.split_at_mut(HEADER_LEN);
        let header: &[u8; HEADER_LEN] = (&*header).try_into().expect("header room");
        let tag = self
            .encrypt(
                header,
                &nonce,
                &mut rest[NONCE_LEN..NONCE_LEN + payload_len],
            )
            .ok_or(RandomnessUnavailable)?;
        raw[HEADER_LEN..start].copy_from_slice(&nonce);
        raw[end..end + TAG_LEN].copy_from_slice(&tag);
        Ok(end + TAG_LEN)
    }

    fn open(&self, raw: &mut [u8]) -> bool {
        let (header, body) = raw.split_at_mut(HEADER_LEN);
        let Ok(header) = <&[u8; HEADER_LEN]>::try_from(&*header) else {
            return false;
        };
        let (nonce, rest) = body.split_at_mut(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at_mut(rest.len() - TAG_LEN);
        let (Ok(nonce), Ok(tag)) = (
            <[u8; NONCE_LEN]>::try_from(&*nonce),
            <[u8; TAG_LEN]>::try_from(&*tag),
        ) else {
            return false;
        };
        self.with_aad(header, |aad| {
            self.cipher
                .decrypt_inout_detached(
                    &Nonce::from(nonce),
                    aad,
                    ciphertext.into(),
                    &Tag::from(tag),
                )
                .is_ok()
        })
    }

    /// GCM-SIV's tag is a MAC of the plaintext under a nonce-derived key, so
    /// re-encrypting with the original nonce gives the original tag exactly
    /// when the payload is unchanged. The result is only compared, never sent.
    fn seals_equal(&self, header: &[u8; HEADER_LEN], seal: &Seal, payload: &[u8]) -> bool {
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
