//! Authenticated chunking (docs/wire-format.md, "Chunked sessions"): one
//! envelope `E = HEADER ‖ body` spread over up to [`MAX_CHUNKS`] cookies,
//! `NAME`, `NAME.1`, `NAME.2`, …, so a session may outgrow one cookie's
//! 4096 bytes.
//!
//! ```text
//! chunk 0 raw = count[1] ‖ hash_1 ‖ … ‖ hash_(count-1) ‖ piece_0
//! chunk i raw = piece_i                                  (1 ≤ i < count)
//! E           = piece_0 ‖ piece_1 ‖ … ‖ piece_(count-1)
//! hash_i      = SHA-256("session-runtime/v2/chunk\0" ‖ u8(i) ‖ piece_i)[0..16]
//! ```
//!
//! The split is canonical: each chunk is filled to its capacity before the
//! next starts, and `count` is the smallest that holds `E` — so `count`, the
//! pieces' lengths and every hash are functions of `E`, which the MAC (or
//! AEAD) authenticates as a whole. A reader picks, for each index, the cookie
//! whose hash matches (planted or stale duplicates do not match), reassembles
//! `E`, checks that the layout is the canonical one for its length and that
//! the hashes are those of the pieces, and only then verifies the MAC: chunks
//! of two sessions, reordered, duplicated, missing or left over from a larger
//! earlier session are refused, never mixed.

use sha2::{Digest, Sha256};

use super::envelope::{base64url_len, Envelope, RandomnessUnavailable, Seal, Sealed};
use super::header::HEADER_LEN;
use crate::key::Key;

/// The most cookies one session may use (`#[session(chunks = N)]`, N ≤ 8):
/// eight full cookies are about 32 KB in every request's `Cookie` header,
/// four times what a default nginx accepts (docs/operations.md).
pub const MAX_CHUNKS: usize = 8;

/// Bytes of each later chunk's hash in chunk 0: 128 bits, like the tag. They
/// only select among duplicates; the MAC over the reassembled envelope
/// decides authenticity.
pub const CHUNK_HASH_LEN: usize = 16;

/// Domain separation of the chunk hashes.
const CHUNK_DOMAIN: &[u8] = b"session-runtime/v2/chunk\0";

/// Raw bytes that fit in a cookie value of at most `value_len` base64url
/// characters (no padding: 3 bytes per 4 characters, and 1 or 2 bytes in a
/// final group of 2 or 3 characters).
pub const fn raw_capacity(value_len: usize) -> usize {
    value_len / 4 * 3
        + match value_len % 4 {
            2 => 1,
            3 => 2,
            _ => 0,
        }
}

/// Bytes of framing before `piece_0` in chunk 0 of a `count`-chunk cookie
/// set: the count byte and the later chunks' hashes.
pub const fn framing_len(count: usize) -> usize {
    1 + CHUNK_HASH_LEN * (count.saturating_sub(1))
}

/// The name of chunk `index` of session cookie `name`: `name` itself for
/// chunk 0, `name.i` after it. Its length is `name_len + 2` for `i ≥ 1`
/// (`i` < 10).
pub fn chunk_name(name: &str, index: usize) -> String {
    if index == 0 {
        name.to_owned()
    } else {
        format!("{name}.{index}")
    }
}

/// The envelope bytes chunk `index` holds at most, for a session cookie named
/// with `name_len` bytes, a `budget` on `len(name) + len(value)` per cookie,
/// in a set of `count` chunks.
pub const fn piece_capacity(name_len: usize, budget: usize, count: usize, index: usize) -> usize {
    if index == 0 {
        raw_capacity(budget.saturating_sub(name_len)).saturating_sub(framing_len(count))
    } else {
        raw_capacity(budget.saturating_sub(name_len + 2))
    }
}

/// The smallest number of chunks (at most `max_chunks`) that holds an
/// envelope of `envelope_len` bytes, or `None` when even `max_chunks` do not.
pub const fn chunk_count(
    name_len: usize,
    budget: usize,
    max_chunks: usize,
    envelope_len: usize,
) -> Option<usize> {
    let mut count = 1;
    while count <= max_chunks {
        let mut room = 0;
        let mut index = 0;
        while index < count {
            room += piece_capacity(name_len, budget, count, index);
            index += 1;
        }
        if room >= envelope_len {
            return Some(count);
        }
        count += 1;
    }
    None
}

/// The length of piece `index` when an envelope of `envelope_len` bytes is
/// split canonically over `count` chunks (each filled before the next).
pub const fn piece_len(
    name_len: usize,
    budget: usize,
    count: usize,
    envelope_len: usize,
    index: usize,
) -> usize {
    let mut before = 0;
    let mut i = 0;
    while i < index {
        before += piece_capacity(name_len, budget, count, i);
        i += 1;
    }
    let left = envelope_len.saturating_sub(before);
    let capacity = piece_capacity(name_len, budget, count, index);
    if left < capacity {
        left
    } else {
        capacity
    }
}

/// `Σ len(name_i) + len(value_i)` over the chunks of the largest envelope a
/// session can produce: what a browser's per-partition byte limit counts.
pub const fn max_total_len(
    name_len: usize,
    budget: usize,
    max_chunks: usize,
    max_envelope_len: usize,
) -> usize {
    let Some(count) = chunk_count(name_len, budget, max_chunks, max_envelope_len) else {
        return usize::MAX;
    };
    let mut total = 0;
    let mut index = 0;
    while index < count {
        let piece = piece_len(name_len, budget, count, max_envelope_len, index);
        total += if index == 0 {
            name_len + base64url_len(framing_len(count) + piece)
        } else {
            name_len + 2 + base64url_len(piece)
        };
        index += 1;
    }
    total
}

/// `len(name) + len(value)` of the largest single cookie a session can
/// produce: the largest chunk of the largest envelope's set. Usually chunk 0,
/// but not always: when `budget − len(name)` is one more than a multiple of
/// 4, no base64url value fills chunk 0's last character (its cookie is at
/// most `budget − 1` long), while a full later chunk reaches the budget. No
/// smaller envelope has a larger chunk: chunk 0 is full in every set that
/// needs a second one, and the split fills each chunk before the next.
pub const fn max_chunk_len(
    name_len: usize,
    budget: usize,
    max_chunks: usize,
    max_envelope_len: usize,
) -> usize {
    let Some(count) = chunk_count(name_len, budget, max_chunks, max_envelope_len) else {
        return usize::MAX;
    };
    let first = piece_len(name_len, budget, count, max_envelope_len, 0);
    let mut largest = name_len + base64url_len(framing_len(count) + first);
    let mut index = 1;
    while index < count {
        let piece = piece_len(name_len, budget, count, max_envelope_len, index);
        let len = name_len + 2 + base64url_len(piece);
        if len > largest {
            largest = len;
        }
        index += 1;
    }
    largest
}

/// The envelope `E` of a chunked session: `E`'s own protection, with its
/// own format byte (`0x05` signed, `0x06` encrypted), so a chunked session's
/// envelope is never read as a single-cookie one or the other way round.
/// The derive selects it for `#[session(chunks = N)]`.
#[doc(hidden)]
pub struct Chunked<E>(E);

impl<E: Envelope> Sealed for Chunked<E> {}

impl<E: Envelope> Envelope for Chunked<E> {
    const FORMAT: u8 = E::FORMAT + CHUNKED_FORMAT_OFFSET;
    const NONCE_LEN: usize = E::NONCE_LEN;
    const TAG_LEN: usize = E::TAG_LEN;
    const ENCRYPTED: bool = E::ENCRYPTED;

    fn prepare(key: &Key, cookie_name: &str, fingerprint: u64) -> Self {
        Chunked(E::prepare(key, cookie_name, fingerprint))
    }

    fn seal(&self, raw: &mut [u8], payload_len: usize) -> Result<usize, RandomnessUnavailable> {
        self.0.seal(raw, payload_len)
    }

    fn open(&self, raw: &mut [u8]) -> bool {
        self.0.open(raw)
    }

    fn split(body: &[u8]) -> (&[u8], Seal) {
        E::split(body)
    }

    fn seals_equal(&self, header: &[u8; HEADER_LEN], seal: &Seal, payload: &[u8]) -> bool {
        self.0.seals_equal(header, seal, payload)
    }
}

/// A chunked envelope's format byte is its single-cookie twin's plus this:
/// `0x03` → `0x05`, `0x04` → `0x06`.
pub const CHUNKED_FORMAT_OFFSET: u8 = 2;

/// `hash_i` of piece `index`.
pub fn piece_hash(index: usize, piece: &[u8]) -> [u8; CHUNK_HASH_LEN] {
    let mut hasher = Sha256::new();
    hasher.update(CHUNK_DOMAIN);
    hasher.update([index as u8]);
    hasher.update(piece);
    let digest = hasher.finalize();
    let mut hash = [0u8; CHUNK_HASH_LEN];
    hash.copy_from_slice(&digest[..CHUNK_HASH_LEN]);
    hash
}

/// The framing of chunk 0, read from its raw bytes: the count and the
/// hashes of the later pieces, and where `piece_0` starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Framing {
    pub count: usize,
    pub hashes: [[u8; CHUNK_HASH_LEN]; MAX_CHUNKS - 1],
    pub piece_start: usize,
}

impl Framing {
    /// The framing at the start of chunk 0's `raw` bytes for a session of at
    /// most `max_chunks`; `None` when the count is 0, above `max_chunks`, or
    /// its hashes do not fit.
    pub(crate) fn read(raw: &[u8], max_chunks: usize) -> Option<Framing> {
        let count = usize::from(*raw.first()?);
        if count == 0 || count > max_chunks.min(MAX_CHUNKS) {
            return None;
        }
        let piece_start = framing_len(count);
        if raw.len() < piece_start {
            return None;
        }
        let mut hashes = [[0u8; CHUNK_HASH_LEN]; MAX_CHUNKS - 1];
        for (index, hash) in hashes.iter_mut().enumerate().take(count - 1) {
            let at = 1 + index * CHUNK_HASH_LEN;
            hash.copy_from_slice(&raw[at..at + CHUNK_HASH_LEN]);
        }
        Some(Framing {
            count,
            hashes,
            piece_start,
        })
    }

    /// The expected hash of piece `index` (1 ≤ `index` < `count`).
    pub(crate) fn hash(&self, index: usize) -> &[u8; CHUNK_HASH_LEN] {
        &self.hashes[index - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_follow_base64url() {
        for chars in 0..40 {
            let raw = raw_capacity(chars);
            assert!(base64url_len(raw) <= chars, "{chars}");
            assert!(base64url_len(raw + 1) > chars, "{chars}");
        }
    }

    #[test]
    fn the_canonical_split_fills_each_chunk_before_the_next() {
        let (name, budget) = (10, 4096);
        let one = piece_capacity(name, budget, 1, 0);
        assert_eq!(chunk_count(name, budget, 3, one), Some(1));
        assert_eq!(chunk_count(name, budget, 3, one + 1), Some(2));
        let two = piece_capacity(name, budget, 2, 0) + piece_capacity(name, budget, 2, 1);
        assert_eq!(chunk_count(name, budget, 3, two), Some(2));
        assert_eq!(chunk_count(name, budget, 2, two + 1), None);
        let envelope = two + 1;
        let count = chunk_count(name, budget, 3, envelope).unwrap();
        assert_eq!(count, 3);
        let pieces: Vec<usize> = (0..count)
            .map(|i| piece_len(name, budget, count, envelope, i))
            .collect();
        assert_eq!(pieces.iter().sum::<usize>(), envelope);
        assert_eq!(pieces[0], piece_capacity(name, budget, 3, 0));
        assert_eq!(pieces[2], envelope - pieces[0] - pieces[1]);
        // Every chunk's name + value fits the budget.
        assert!(name + base64url_len(framing_len(3) + pieces[0]) <= budget);
        assert!(name + 2 + base64url_len(pieces[1]) <= budget);
        // Chunk 0 is filled to the budget (4086 characters hold 3064 bytes).
        assert_eq!(max_chunk_len(name, budget, 3, envelope), budget);
    }

    #[test]
    fn framing_refuses_impossible_counts() {
        assert_eq!(Framing::read(&[0], 3), None);
        assert_eq!(Framing::read(&[4, 0, 0], 3), None);
        assert_eq!(Framing::read(&[2, 1, 2], 3), None, "hash cut short");
        let mut raw = vec![2];
        raw.extend_from_slice(&[9; CHUNK_HASH_LEN]);
        raw.push(0xaa);
        let framing = Framing::read(&raw, 3).unwrap();
        assert_eq!(framing.count, 2);
        assert_eq!(framing.hash(1), &[9; CHUNK_HASH_LEN]);
        assert_eq!(framing.piece_start, 1 + CHUNK_HASH_LEN);
    }

    #[test]
    fn hashes_bind_the_index() {
        assert_ne!(piece_hash(1, b"piece"), piece_hash(2, b"piece"));
        assert_ne!(piece_hash(1, b"piece"), piece_hash(1, b"piecf"));
    }
}
