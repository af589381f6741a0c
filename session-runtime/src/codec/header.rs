//! The fixed-size header at the start of every cookie value
//! (docs/wire-format.md):
//!
//! ```text
//! header = format[1] ‖ key_id[4] ‖ version[2] ‖ fingerprint[8] ‖ created_ms[6] ‖ issued_ms[6]
//! ```
//!
//! All integers are big-endian.

use crate::key::KeyId;

/// Bytes of header before the payload (or the nonce).
pub const HEADER_LEN: usize = 27;

/// Timestamps are milliseconds since the Unix epoch in 48 bits (good until the
/// year 10889).
const TIMESTAMP_MAX_MS: u64 = (1 << 48) - 1;

/// The decoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub format: u8,
    pub key_id: KeyId,
    pub version: u16,
    pub fingerprint: u64,
    pub created_ms: u64,
    pub issued_ms: u64,
}

impl Header {
    pub fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = self.format;
        out[1..5].copy_from_slice(&self.key_id.to_bytes());
        out[5..7].copy_from_slice(&self.version.to_be_bytes());
        out[7..15].copy_from_slice(&self.fingerprint.to_be_bytes());
        out[15..21].copy_from_slice(&self.created_ms.min(TIMESTAMP_MAX_MS).to_be_bytes()[2..]);
        out[21..27].copy_from_slice(&self.issued_ms.min(TIMESTAMP_MAX_MS).to_be_bytes()[2..]);
        out
    }

    pub fn from_bytes(bytes: &[u8; HEADER_LEN]) -> Header {
        let u48 = |at: usize| {
            let mut wide = [0u8; 8];
            wide[2..].copy_from_slice(&bytes[at..at + 6]);
            u64::from_be_bytes(wide)
        };
        Header {
            format: bytes[0],
            key_id: KeyId::from_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]),
            version: u16::from_be_bytes([bytes[5], bytes[6]]),
            fingerprint: u64::from_be_bytes([
                bytes[7], bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14],
            ]),
            created_ms: u48(15),
            issued_ms: u48(21),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let header = Header {
            format: 0x01,
            key_id: KeyId::from_bytes([1, 2, 3, 4]),
            version: 0xbeef,
            fingerprint: 0x0123_4567_89ab_cdef,
            created_ms: 1_700_000_000_000,
            issued_ms: TIMESTAMP_MAX_MS,
        };
        assert_eq!(Header::from_bytes(&header.to_bytes()), header);
    }
}
