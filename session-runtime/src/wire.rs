//! The numbers of the cookie's wire format, for tools that inspect cookies or
//! size sessions by hand. The layout itself is documented in
//! `docs/wire-format.md`.
//!
//! These constants describe the current wire format and change with it (the
//! format byte tells formats apart); code that only uses sessions never needs
//! them, which is why they live here rather than at the crate root.
//!
//! ```
//! use session_runtime::wire;
//!
//! // A 10-byte cookie name and a payload of at most 100 bytes, signed:
//! let max = wire::max_cookie_len(10, 100, wire::SIGNED_OVERHEAD);
//! assert_eq!(max, 10 + wire::base64url_len(100 + wire::SIGNED_OVERHEAD));
//! ```

use crate::codec::{hmac_sha256, HEADER_LEN as HEADER};

pub use crate::codec::{base64url_len, max_cookie_len};

#[cfg(feature = "encrypted")]
pub use crate::codec::aes_gcm_siv::Aes256GcmSiv;
/// The envelopes, for a hand-written `CookieSession` impl's `type Envelope`
/// (the derive picks one for you).
pub use crate::codec::envelope::Envelope;
pub use crate::codec::hmac_sha256::HmacSha256;

/// Format byte of HMAC-SHA256-signed cookies.
pub const FORMAT_HMAC_SHA256: u8 = hmac_sha256::FORMAT;
/// Format byte of AES-256-GCM-SIV-encrypted cookies (feature `encrypted`).
pub const FORMAT_AES_256_GCM_SIV: u8 = 0x04;
/// Bytes of header before the payload (or the nonce).
pub const HEADER_LEN: usize = HEADER;
/// Bytes of MAC tag after the payload of a signed cookie.
pub const TAG_LEN: usize = hmac_sha256::TAG_LEN;
/// Bytes of random nonce in an encrypted cookie.
pub const NONCE_LEN: usize = 12;
/// Bytes of AEAD tag in an encrypted cookie.
pub const AEAD_TAG_LEN: usize = 16;
/// Fixed bytes around the payload of a signed cookie (before base64url).
pub const SIGNED_OVERHEAD: usize = HEADER_LEN + TAG_LEN;
/// Fixed bytes around the payload of an encrypted cookie (before base64url).
pub const ENCRYPTED_OVERHEAD: usize = HEADER_LEN + NONCE_LEN + AEAD_TAG_LEN;

#[cfg(feature = "encrypted")]
const _: () = {
    use crate::codec::aes_gcm_siv as aead;
    assert!(aead::FORMAT == FORMAT_AES_256_GCM_SIV);
    assert!(aead::NONCE_LEN == NONCE_LEN && aead::TAG_LEN == AEAD_TAG_LEN);
};
