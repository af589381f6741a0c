//! What a loaded session remembers of the cookie it came from: its start,
//! times, lifetime and key, which a write that continues the session keeps
//! (docs/lifecycle.md, "Starts and keys"), and enough of its payload to tell
//! whether a write would change anything ("changed but equal", "Store").
//!
//! Everything here is sized to keep `Session<T>` small: the session is moved
//! from the codec into the web adapters' slot, and a value of up to 128
//! bytes is moved with inline vector stores where a larger one costs a
//! `memcpy` call (LLVM's x86-64 limit of 8 stores of 16 bytes). With the
//! fields below the runtime adds 72 bytes to the app's struct (16 more
//! with the `dbsc` feature; `session::tests::the_bookkeeping_is_72_bytes`),
//! where it added 144 (BENCHMARKS.md, HTTP benchmark, "What was done").

use subtle::ConstantTimeEq as _;

use crate::codec::{from_wire_secs, to_wire_secs, Header, Seal, HEADER_LEN, SEAL_LEN};
use crate::lifetime::Lifetime;

/// Where a session stands among the sessions of one browser: its start
/// (whole seconds on the wire, kept here in Unix milliseconds) and the start
/// sequence that orders sessions started within the same second
/// (docs/lifecycle.md, "Starts and keys"). Compared field by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct StartOrder {
    pub created_ms: u64,
    pub seq: u8,
}

impl StartOrder {
    pub(crate) fn of(header: &Header) -> StartOrder {
        StartOrder {
            created_ms: header.created_ms,
            seq: header.start_seq,
        }
    }
}

/// A [`StartOrder`] as the wire carries it (whole seconds): half the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PackedStart {
    created_secs: u32,
    seq: u8,
}

impl PackedStart {
    pub(crate) fn pack(start: StartOrder) -> PackedStart {
        PackedStart {
            created_secs: to_wire_secs(start.created_ms),
            seq: start.seq,
        }
    }

    pub(crate) fn unpack(self) -> StartOrder {
        StartOrder {
            created_ms: from_wire_secs(self.created_secs),
            seq: self.seq,
        }
    }
}

/// The accepted cookie of a loaded session.
#[derive(Clone, Copy)]
pub(crate) struct Origin {
    /// The header's times, in wire seconds.
    created_secs: u32,
    issued_secs: u32,
    /// Which configured key verified it: a write keeps it unless its role
    /// is `Verify`, and the seal comparison re-MACs with it. Key ids are
    /// unique 2-byte values within a configuration, so an index fits.
    key_index: u16,
    start_seq: u8,
    /// The lifetime the cookie carried (declared: checked on load).
    lifetime: Lifetime,
    payload: KeptPayload,
}

impl Origin {
    /// The origin of a cookie with `header` (as on the wire), verified by
    /// the key at `key_index`, whose payload is `payload`; `seal` gives its
    /// seal, asked for only when the payload is too long to keep.
    #[inline(always)]
    pub(crate) fn new(
        header: &[u8; HEADER_LEN],
        key_index: usize,
        lifetime: Lifetime,
        payload: &[u8],
        seal: impl FnOnce() -> Seal,
    ) -> Origin {
        Origin {
            created_secs: Header::created_secs_of(header),
            issued_secs: Header::issued_secs_of(header),
            // Key ids are unique 2-byte values, so there are at most 65,536 keys.
            key_index: key_index as u16,
            start_seq: Header::start_seq_of(header),
            lifetime,
            payload: KeptPayload::new(payload, seal),
        }
    }

    /// The session's start.
    pub(crate) fn start(&self) -> StartOrder {
        StartOrder {
            created_ms: self.created_ms(),
            seq: self.start_seq,
        }
    }

    /// When the session started, Unix milliseconds (a whole second).
    pub(crate) fn created_ms(&self) -> u64 {
        from_wire_secs(self.created_secs)
    }

    /// When the cookie was issued, Unix milliseconds (a whole second).
    pub(crate) fn issued_ms(&self) -> u64 {
        from_wire_secs(self.issued_secs)
    }

    /// The index of the configured key that verified the cookie.
    pub(crate) fn key_index(&self) -> usize {
        usize::from(self.key_index)
    }

    /// The lifetime the cookie carried.
    pub(crate) fn lifetime(&self) -> Lifetime {
        self.lifetime
    }

    /// The cookie's header, given what the origin does not keep because the
    /// configuration knows it (the same for every cookie a session type
    /// accepts as `Valid`): the format byte, the key and the schema.
    pub(crate) fn header(
        &self,
        format: u8,
        key_id: crate::key::KeyId,
        version: u16,
        fingerprint_hint: u16,
    ) -> Header {
        Header {
            format,
            key_id,
            version,
            fingerprint_hint,
            created_ms: self.created_ms(),
            issued_ms: self.issued_ms(),
            lifetime: self.lifetime.to_byte(),
            start_seq: self.start_seq,
        }
    }

    /// Whether `payload` is the loaded cookie's payload.
    pub(crate) fn compare(&self, payload: &[u8]) -> Sameness {
        self.payload.compare(payload)
    }
}

/// What [`Origin::compare`] can tell.
pub(crate) enum Sameness {
    /// The payloads differ.
    Different,
    /// The payloads are equal.
    Same,
    /// Equal lengths, but the loaded payload was too long to keep: sealing
    /// the new payload under the loaded cookie's header and key gives this
    /// seal again exactly when they are equal.
    AskSeal(Seal),
}

/// The loaded payload itself when it fits in the room of a seal, else its
/// length and seal.
///
/// Keeping the bytes replaces a second MAC (or AEAD) on every write of an
/// equal-length payload, which cost ≈ 150 ns per write in the HTTP
/// benchmark, with a comparison of at most [`SEAL_LEN`] bytes. Longer
/// payloads (and every chunked one) keep the seal instead, and their
/// equal-length writes still pay that MAC: keeping more bytes would make
/// every `Session<T>` larger, moved on every load, and hashing them on load
/// would charge every request for a saving on writes only.
#[derive(Clone, Copy)]
struct KeptPayload {
    /// The payload's length, saturated (a length of `u16::MAX` or more is
    /// only compared through the seal, which is exact).
    len: u16,
    form: Form,
    /// The payload, zero-padded, or the seal.
    room: [u8; SEAL_LEN],
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Bytes,
    Seal,
}

impl KeptPayload {
    #[inline(always)]
    fn new(payload: &[u8], seal: impl FnOnce() -> Seal) -> KeptPayload {
        let len = u16::try_from(payload.len()).unwrap_or(u16::MAX);
        if payload.len() <= SEAL_LEN {
            let mut room = [0u8; SEAL_LEN];
            room[..payload.len()].copy_from_slice(payload);
            KeptPayload {
                len,
                form: Form::Bytes,
                room,
            }
        } else {
            KeptPayload {
                len,
                form: Form::Seal,
                room: seal().0,
            }
        }
    }

    fn compare(&self, payload: &[u8]) -> Sameness {
        if usize::from(self.len) != payload.len() && self.len != u16::MAX {
            return Sameness::Different;
        }
        match self.form {
            Form::Seal => Sameness::AskSeal(Seal(self.room)),
            Form::Bytes => {
                // Constant time, although the app's data is no secret from
                // the app: in encrypted mode it is one from the client, and
                // an early exit would tell how far an attacker-influenced
                // new payload matches the old one (beyond the equality the
                // response's `Set-Cookie` reveals anyway). Both sides are
                // zero-padded to the room's fixed size, so the work does
                // not depend on the data; the length is public (it is the
                // cookie's).
                let mut padded = [0u8; SEAL_LEN];
                padded[..payload.len()].copy_from_slice(payload);
                // An OR of XORs (vectorized, no branch on the data), tested
                // once through `subtle`: `subtle`'s own slice comparison
                // puts an optimization barrier after every byte.
                let diff = padded
                    .iter()
                    .zip(&self.room)
                    .fold(0u8, |diff, (new, old)| diff | (new ^ old));
                if bool::from(diff.ct_eq(&0)) {
                    Sameness::Same
                } else {
                    Sameness::Different
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal() -> Seal {
        Seal([7; SEAL_LEN])
    }

    #[test]
    fn short_payloads_are_compared_by_their_bytes() {
        let kept = KeptPayload::new(b"abc", || unreachable!("short: no seal"));
        assert!(matches!(kept.compare(b"abc"), Sameness::Same));
        assert!(matches!(kept.compare(b"abd"), Sameness::Different));
        assert!(matches!(kept.compare(b"ab"), Sameness::Different));
        // Zero padding is not data: a longer payload ending in zeros differs.
        assert!(matches!(kept.compare(b"abc\0"), Sameness::Different));
        let empty = KeptPayload::new(b"", || unreachable!());
        assert!(matches!(empty.compare(b""), Sameness::Same));
        let full = [9u8; SEAL_LEN];
        let kept = KeptPayload::new(&full, || unreachable!());
        assert!(matches!(kept.compare(&full), Sameness::Same));
        let mut last = full;
        last[SEAL_LEN - 1] = 8;
        assert!(matches!(kept.compare(&last), Sameness::Different));
    }

    #[test]
    fn long_payloads_are_compared_through_the_seal() {
        let long = [1u8; SEAL_LEN + 1];
        let kept = KeptPayload::new(&long, seal);
        assert!(matches!(kept.compare(&long), Sameness::AskSeal(s) if s.0 == seal().0));
        assert!(matches!(kept.compare(&long[1..]), Sameness::Different));
        let huge = vec![0u8; usize::from(u16::MAX) + 3];
        let kept = KeptPayload::new(&huge, seal);
        // Saturated length: only the seal can tell.
        assert!(matches!(kept.compare(&huge[1..]), Sameness::AskSeal(_)));
    }

    #[test]
    fn starts_pack_to_wire_seconds() {
        let start = StartOrder {
            created_ms: from_wire_secs(1_234),
            seq: 63,
        };
        assert_eq!(PackedStart::pack(start).unpack(), start);
    }
}
