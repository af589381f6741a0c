//! One envelope per protection mode: how a header and a payload become the
//! bytes inside the cookie value, and back. Adding a mode (or a new layout) is
//! one new implementation of [`Envelope`] plus the line in the derive that
//! selects it.

use crate::key::Key;

use super::header::HEADER_LEN;

/// The operating system's random generator failed (encrypted mode needs a
/// fresh nonce per cookie).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomnessUnavailable;

/// What identifies a sealed payload, to tell later whether a new payload is
/// the same: the MAC tag, or the AEAD nonce and tag. Deliberately not
/// `PartialEq`: seals are compared only in constant time (`subtle`).
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Seal(pub(crate) [u8; SEAL_LEN]);

/// Bytes of a [`Seal`]: the longest nonce and tag of any envelope
/// (AES-GCM-SIV's 12-byte nonce and 16-byte tag; the signed envelope's tag
/// is 16 bytes). Each envelope's `split` checks at compile time that its
/// own fit.
pub(crate) const SEAL_LEN: usize = 28;

mod sealed {
    pub trait Sealed {}
}
pub(crate) use sealed::Sealed;

/// A protection mode of the cookie value: `header ‖ nonce ‖ payload ‖ tag`,
/// where `nonce` may be empty. Implemented by this crate only; the derive
/// selects the implementation with `#[session(encrypted)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not available: session-runtime was built without its `encrypted` feature",
    label = "`#[session(encrypted)]` needs the `encrypted` feature",
    note = "add `features = [\"encrypted\"]` to the session-runtime dependency"
)]
pub trait Envelope: Sealed + Send + Sync + Sized + 'static {
    /// The format byte, the first byte of every header.
    const FORMAT: u8;
    /// Bytes between the header and the payload (an AEAD nonce, or none).
    const NONCE_LEN: usize;
    /// Bytes after the payload (the MAC or AEAD tag).
    const TAG_LEN: usize;
    /// Whether the payload is encrypted (not only authenticated).
    const ENCRYPTED: bool;
    /// Fixed bytes around the payload: header, nonce and tag.
    const OVERHEAD: usize = HEADER_LEN + Self::NONCE_LEN + Self::TAG_LEN;

    /// Prepares `key` for cookies named `cookie_name` of the schema with
    /// `fingerprint` (key schedules and the constant prefix are computed once
    /// per configuration).
    #[doc(hidden)]
    fn prepare(key: &Key, cookie_name: &str, fingerprint: u64) -> Self;

    /// Seals the payload at `raw[HEADER_LEN + NONCE_LEN..][..payload_len]`; the
    /// header is already at `raw[..HEADER_LEN]`. Returns the envelope length.
    #[doc(hidden)]
    fn seal(&self, raw: &mut [u8], payload_len: usize) -> Result<usize, RandomnessUnavailable>;

    /// Authenticates (and decrypts in place) the envelope
    /// `raw = header ‖ nonce ‖ payload ‖ tag`; `false` if forged. `raw` is at
    /// least [`OVERHEAD`](Self::OVERHEAD) bytes.
    #[doc(hidden)]
    fn open(&self, raw: &mut [u8]) -> bool;

    /// The payload and the seal of a body that [`open`](Self::open) accepted.
    #[doc(hidden)]
    fn split(body: &[u8]) -> (&[u8], Seal) {
        const { assert!(Self::NONCE_LEN + Self::TAG_LEN <= SEAL_LEN) };
        let (rest, tag) = body.split_at(body.len() - Self::TAG_LEN);
        let (nonce, payload) = rest.split_at(Self::NONCE_LEN);
        let mut seal = [0u8; SEAL_LEN];
        seal[..Self::NONCE_LEN].copy_from_slice(nonce);
        seal[Self::NONCE_LEN..Self::NONCE_LEN + Self::TAG_LEN].copy_from_slice(tag);
        (payload, Seal(seal))
    }

    /// Whether sealing `payload` under `header` (and the seal's nonce) gives
    /// `seal` again, compared in constant time.
    #[doc(hidden)]
    fn seals_equal(&self, header: &[u8; HEADER_LEN], seal: &Seal, payload: &[u8]) -> bool;
}

/// `len(name) + len(value)` of the largest cookie a payload of at most
/// `max_payload_len` bytes can produce with `overhead` fixed envelope bytes:
/// the number browsers compare with 4096.
pub const fn max_cookie_len(name_len: usize, max_payload_len: usize, overhead: usize) -> usize {
    name_len.saturating_add(base64url_len(max_payload_len.saturating_add(overhead)))
}

/// Length of the unpadded base64url encoding of `bytes` bytes.
pub const fn base64url_len(bytes: usize) -> usize {
    // 4 characters per 3 bytes; a final partial group of 1 or 2 bytes takes 2 or 3.
    bytes.saturating_mul(4).div_ceil(3)
}
