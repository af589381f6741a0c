//! Canonical unpadded base64url (RFC 4648 §5), the encoding of JWS segments
//! (RFC 7515 §2), challenges, session ids and bound cookies.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// Decoded length of `len` characters of unpadded base64url, or `None` when no
/// canonical text has that length (a remainder of one character).
pub(super) const fn decoded_len(len: usize) -> Option<usize> {
    match len % 4 {
        1 => None,
        rem => Some(len / 4 * 3 + rem.saturating_sub(1)),
    }
}

/// Decodes canonical unpadded base64url into a new vector sized from the input
/// (never more than 3/4 of its length). `None` on any other alphabet, padding,
/// or non-zero trailing bits: one byte string has exactly one accepted text,
/// so a re-encoded token cannot pass for a different one.
pub(super) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; decoded_len(text.len())?];
    let written = URL_SAFE_NO_PAD.decode_slice(text, &mut out).ok()?;
    // `decoded_len` is exact for canonical input; anything else was refused.
    (written == out.len()).then_some(out)
}

/// Decodes canonical unpadded base64url of exactly `N` bytes.
pub(super) fn decode_array<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if decoded_len(text.len()) != Some(N) {
        return None;
    }
    let mut out = [0u8; N];
    let written = URL_SAFE_NO_PAD.decode_slice(text, &mut out).ok()?;
    (written == N).then_some(out)
}

/// Encodes `bytes` as unpadded base64url.
pub(super) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_only() {
        assert_eq!(decode(b"AQ").unwrap(), [1]);
        assert_eq!(decode(b"").unwrap(), b"");
        assert!(decode(b"AR").is_none(), "non-zero trailing bits");
        assert!(decode(b"AQ==").is_none(), "padding");
        assert!(decode(b"A+8").is_none(), "standard alphabet");
        assert!(decode(b"A").is_none(), "impossible length");
        assert!(decode(b"AQ\n").is_none(), "whitespace");
        assert_eq!(decode_array::<2>(b"AQI").unwrap(), [1, 2]);
        assert!(decode_array::<2>(b"AQ").is_none(), "wrong length");
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn decoded_len_matches_the_engine() {
        for n in 0..40 {
            let text = encode(&vec![0xa5; n]);
            assert_eq!(decoded_len(text.len()), Some(n));
            assert_eq!(decode(text.as_bytes()).unwrap().len(), n);
        }
    }
}
