//! The fixed-size header at the start of every cookie value
//! (docs/wire-format.md, version 2):
//!
//! ```text
//! header = format[1] ‖ key_id[2] ‖ version[2] ‖ fingerprint_hint[2] ‖ created[4] ‖ issued[4] ‖ start[1]
//! start  = start_seq[high 6 bits] ‖ lifetime[low 2 bits]
//! ```
//!
//! All integers are big-endian; times are whole seconds since
//! [`EPOCH_UNIX_MS`].

use crate::key::KeyId;

/// Bytes of header before the payload (or the nonce).
pub const HEADER_LEN: usize = 16;

/// The wire epoch, 2025-01-01T00:00:00Z in Unix milliseconds: 32-bit seconds
/// since then last until 2161, where seconds since 1970 would end in 2106.
pub(crate) const EPOCH_UNIX_MS: u64 = 1_735_689_600_000;

/// The decoded header. Times are kept in Unix milliseconds (whole seconds on
/// the wire), the unit the clock and the timeouts use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub format: u8,
    pub key_id: KeyId,
    pub version: u16,
    /// The top 16 bits of the version's schema fingerprint.
    pub fingerprint_hint: u16,
    pub created_ms: u64,
    pub issued_ms: u64,
    /// The lifetime (`Lifetime::to_byte`): the low two bits of the last byte.
    pub lifetime: u8,
    /// Orders sessions started in the same second (docs/lifecycle.md, "Starts
    /// and keys"): the high six bits of the last byte, 0..=63.
    pub start_seq: u8,
}

/// The largest start sequence (six bits): a browser can start 64 sessions
/// within one second before its next session's start moves a second ahead.
pub(crate) const MAX_START_SEQ: u8 = 0x3f;

/// The lifetime's bits of the last header byte.
const LIFETIME_MASK: u8 = 0x03;

/// The fingerprint hint on the wire for a full fingerprint.
pub(crate) const fn fingerprint_hint(fingerprint: u64) -> u16 {
    (fingerprint >> 48) as u16
}

/// Unix milliseconds → wire seconds (rounded down, saturating at both ends).
pub(crate) fn to_wire_secs(unix_ms: u64) -> u32 {
    let secs = unix_ms.saturating_sub(EPOCH_UNIX_MS) / 1000;
    u32::try_from(secs).unwrap_or(u32::MAX)
}

/// Wire seconds → Unix milliseconds.
pub(crate) const fn from_wire_secs(secs: u32) -> u64 {
    EPOCH_UNIX_MS + secs as u64 * 1000
}

/// Unix milliseconds rounded down to what the wire can carry.
pub(crate) fn wire_precision(unix_ms: u64) -> u64 {
    from_wire_secs(to_wire_secs(unix_ms))
}

impl Header {
    #[inline]
    pub fn to_bytes(self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = self.format;
        out[1..3].copy_from_slice(&self.key_id.to_bytes());
        out[3..5].copy_from_slice(&self.version.to_be_bytes());
        out[5..7].copy_from_slice(&self.fingerprint_hint.to_be_bytes());
        out[7..11].copy_from_slice(&to_wire_secs(self.created_ms).to_be_bytes());
        out[11..15].copy_from_slice(&to_wire_secs(self.issued_ms).to_be_bytes());
        out[15] = (self.start_seq & MAX_START_SEQ) << 2 | (self.lifetime & LIFETIME_MASK);
        out
    }

    /// The format byte of a header's bytes.
    #[inline]
    pub fn format_of(bytes: &[u8; HEADER_LEN]) -> u8 {
        bytes[0]
    }

    /// The key id of a header's bytes.
    #[inline]
    pub fn key_id_of(bytes: &[u8; HEADER_LEN]) -> KeyId {
        KeyId::from_bytes([bytes[1], bytes[2]])
    }

    /// The session version of a header's bytes.
    #[inline]
    pub fn version_of(bytes: &[u8; HEADER_LEN]) -> u16 {
        u16::from_be_bytes([bytes[3], bytes[4]])
    }

    /// The start time of a header's bytes, in wire seconds.
    #[inline]
    pub fn created_secs_of(bytes: &[u8; HEADER_LEN]) -> u32 {
        u32::from_be_bytes([bytes[7], bytes[8], bytes[9], bytes[10]])
    }

    /// The issue time of a header's bytes, in wire seconds.
    #[inline]
    pub fn issued_secs_of(bytes: &[u8; HEADER_LEN]) -> u32 {
        u32::from_be_bytes([bytes[11], bytes[12], bytes[13], bytes[14]])
    }

    /// The start sequence of a header's bytes.
    #[inline]
    pub fn start_seq_of(bytes: &[u8; HEADER_LEN]) -> u8 {
        bytes[15] >> 2
    }

    #[inline]
    pub fn from_bytes(bytes: &[u8; HEADER_LEN]) -> Header {
        Header {
            format: Self::format_of(bytes),
            key_id: Self::key_id_of(bytes),
            version: Self::version_of(bytes),
            fingerprint_hint: u16::from_be_bytes([bytes[5], bytes[6]]),
            created_ms: from_wire_secs(Self::created_secs_of(bytes)),
            issued_ms: from_wire_secs(Self::issued_secs_of(bytes)),
            lifetime: bytes[15] & LIFETIME_MASK,
            start_seq: Self::start_seq_of(bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let header = Header {
            format: 0x03,
            key_id: KeyId::from_bytes([1, 2]),
            version: 0xbeef,
            fingerprint_hint: 0x0123,
            created_ms: from_wire_secs(7),
            issued_ms: from_wire_secs(u32::MAX),
            lifetime: 2,
            start_seq: 63,
        };
        assert_eq!(Header::from_bytes(&header.to_bytes()), header);
    }

    #[test]
    fn times_are_whole_seconds_since_2025() {
        assert_eq!(to_wire_secs(EPOCH_UNIX_MS - 1), 0);
        assert_eq!(to_wire_secs(EPOCH_UNIX_MS + 1999), 1);
        assert_eq!(to_wire_secs(u64::MAX), u32::MAX);
        // 2026-11-26T00:00:00Z
        assert_eq!(
            from_wire_secs(to_wire_secs(1_795_651_200_000)),
            1_795_651_200_000
        );
    }
}
