//! Stack buffers for the raw envelope and the canonical base64url text form.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::limits::BROWSER_COOKIE_LIMIT;

/// Largest decoded cookie: a 4096-byte value (the browser maximum for name +
/// value) decodes to at most 4096 * 3 / 4 bytes. Encode and decode work in a
/// stack buffer of this size, so neither allocates for the envelope.
pub(crate) const MAX_RAW_LEN: usize = BROWSER_COOKIE_LIMIT * 3 / 4;

/// Runs `f` with a zeroed scratch buffer of at least `needed` bytes (capped at
/// [`MAX_RAW_LEN`]). Sizes come in tiers so that small sessions do not clear
/// 3 KiB of stack per operation (measured with callgrind: the full-size
/// `memset` was 12% of a medium session's encode + decode).
#[inline(always)]
pub(crate) fn with_scratch<R>(needed: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    if needed <= 256 {
        f(&mut [0u8; 256])
    } else if needed <= 1024 {
        f(&mut [0u8; 1024])
    } else {
        f(&mut [0u8; MAX_RAW_LEN])
    }
}

/// Decodes canonical unpadded base64url into `out`. `URL_SAFE_NO_PAD` rejects
/// `=` padding, bytes outside `A-Z a-z 0-9 - _`, a dangling single character
/// and non-zero trailing bits, so every cookie has exactly one accepted
/// spelling.
pub(crate) fn decode_canonical(text: &[u8], out: &mut [u8]) -> Option<usize> {
    URL_SAFE_NO_PAD.decode_slice(text, out).ok()
}

/// Appends the base64url text of `raw` to `out`.
pub(crate) fn encode_into(raw: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(raw, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::base64url_len;

    #[test]
    fn base64url_len_matches_the_engine() {
        for n in 0..100 {
            assert_eq!(base64url_len(n), URL_SAFE_NO_PAD.encode(vec![0u8; n]).len());
        }
        assert_eq!(base64url_len(MAX_RAW_LEN), BROWSER_COOKIE_LIMIT);
    }
}
