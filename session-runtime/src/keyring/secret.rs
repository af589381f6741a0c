//! The text of one entry: roles, comments and base64 secrets.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use zeroize::Zeroize;

use crate::key::KeyRole;

/// URL-safe base64 that accepts padding or its absence; `+` and `/` are mapped
/// to `-` and `_` before decoding, so the output of `openssl rand -base64 48`
/// works as it is. Non-zero trailing bits are refused: a secret has exactly one
/// spelling.
const SECRET_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(false),
);

/// Longest role name echoed in an `UnknownRole` message; a longer or
/// odd-looking "role" may be a secret pasted in the wrong place, so it is
/// not shown.
const MAX_ECHOED_ROLE_LEN: usize = 16;

/// The role's name in the configuration format.
pub(super) fn role_name(role: KeyRole) -> &'static str {
    match role {
        KeyRole::Sign => "sign",
        KeyRole::Verify => "verify",
        KeyRole::VerifyOnly => "verify-only",
    }
}

pub(super) fn parse_role(role: &str) -> Option<KeyRole> {
    [KeyRole::Sign, KeyRole::Verify, KeyRole::VerifyOnly]
        .into_iter()
        .find(|candidate| role_name(*candidate) == role)
}

pub(super) fn strip_comment(line: &str) -> &str {
    // Base64 never contains `#`, so this cannot cut a secret.
    line.split_once('#').map_or(line, |(before, _)| before)
}

pub(super) fn looks_like_role(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_ECHOED_ROLE_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'_')
}

/// Secret bytes (decoded, or configuration text holding secrets), wiped on
/// drop; only the derived keys are kept.
pub(super) struct Secret(pub(super) Vec<u8>);

impl Secret {
    pub(super) fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.as_mut_slice().zeroize();
    }
}

pub(super) fn decode_secret(text: &str) -> Option<Secret> {
    if text.is_empty() {
        return None;
    }
    let mapped = Secret(
        text.bytes()
            .map(|b| match b {
                b'+' => b'-',
                b'/' => b'_',
                b => b,
            })
            .collect(),
    );
    SECRET_BASE64.decode(&mapped.0).ok().map(Secret)
}
