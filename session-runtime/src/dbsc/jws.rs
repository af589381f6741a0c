//! Strict compact JWS parsing (RFC 7515 §7.1) with size bounds.

use super::error::{JwsPart, ProofError};
use super::text;

/// Longest proof accepted, in bytes. Chromium 156's registration proof is
/// about 370 bytes with a short challenge (its JWK header is the bulk), a
/// refresh proof about 200 (docs/dbsc.md); 4096 leaves room for a long
/// `authorization` value and is half the 8 KiB a header line commonly gets.
pub const MAX_PROOF_LEN: usize = 4096;

/// A compact JWS split and decoded, not yet interpreted or verified.
pub(super) struct CompactJws<'a> {
    /// `BASE64URL(header) '.' BASE64URL(payload)`: the bytes the signature
    /// covers (RFC 7515 §5.2 step 8), exactly as received.
    pub(super) signing_input: &'a [u8],
    /// The decoded JOSE header (JSON text, not yet parsed).
    pub(super) header: Vec<u8>,
    /// The decoded claims (JSON text, not yet parsed).
    pub(super) payload: Vec<u8>,
    /// The decoded signature; its length is checked once the algorithm is known.
    pub(super) signature: Vec<u8>,
}

/// Splits and decodes `token`. Refuses anything longer than
/// [`MAX_PROOF_LEN`] before looking at it, anything but exactly three
/// segments, and non-canonical base64url. Allocates at most 3/4 of the
/// token's length.
pub(super) fn parse(token: &str) -> Result<CompactJws<'_>, ProofError> {
    let bytes = token.as_bytes();
    if bytes.len() > MAX_PROOF_LEN {
        return Err(ProofError::TooLong {
            len: bytes.len(),
            max: MAX_PROOF_LEN,
        });
    }
    let mut segments = bytes.split(|&b| b == b'.');
    let (Some(header), Some(payload), Some(signature), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(ProofError::NotCompactJws);
    };
    let decode = |segment: &[u8], part| text::decode(segment).ok_or(ProofError::Base64 { part });
    Ok(CompactJws {
        signing_input: &bytes[..header.len() + 1 + payload.len()],
        header: decode(header, JwsPart::Header)?,
        payload: decode(payload, JwsPart::Payload)?,
        signature: decode(signature, JwsPart::Signature)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_three_segments_and_keeps_the_signing_input() {
        let jws = parse("e30.eyJ9.AQID").unwrap();
        assert_eq!(jws.signing_input, b"e30.eyJ9");
        assert_eq!(jws.header, b"{}");
        assert_eq!(jws.payload, b"{\"}");
        assert_eq!(jws.signature, [1, 2, 3]);
    }

    #[test]
    fn refuses_wrong_shapes_with_reasons() {
        let err = |t: &str| parse(t).err().unwrap();
        assert_eq!(err("e30.e30"), ProofError::NotCompactJws, "truncated");
        assert_eq!(err("e30.e30.e30.e30.e30"), ProofError::NotCompactJws, "JWE");
        assert_eq!(err(""), ProofError::NotCompactJws);
        assert_eq!(
            err("e30=.e30.AA"),
            ProofError::Base64 {
                part: JwsPart::Header
            }
        );
        assert_eq!(
            err("e30.e31.AA"),
            ProofError::Base64 {
                part: JwsPart::Payload
            },
            "trailing bits"
        );
        assert_eq!(
            err("e30.e30.A+A"),
            ProofError::Base64 {
                part: JwsPart::Signature
            }
        );
        assert_eq!(
            err(" e30.e30.AA"),
            ProofError::Base64 {
                part: JwsPart::Header
            }
        );
    }

    #[test]
    fn oversized_tokens_are_refused_before_decoding() {
        let long = "A".repeat(MAX_PROOF_LEN + 1);
        assert_eq!(
            parse(&long).err(),
            Some(ProofError::TooLong {
                len: MAX_PROOF_LEN + 1,
                max: MAX_PROOF_LEN
            })
        );
        // Exactly at the limit is decoded (and fails on shape, not size).
        assert_eq!(parse(&long[1..]).err(), Some(ProofError::NotCompactJws));
    }
}
