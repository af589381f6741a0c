// Chunked sessions (`#[session(chunks = N)]`): N from 2 to 8, and the session
// must fit N cookies; a migration cannot switch chunking on or off.
use serde::{Deserialize, Serialize};
use session_runtime::{BoundedString, CookieSession};

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-one", version = 1, chunks = 1)]
pub struct One {
    note: BoundedString<16>,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-nine", version = 1, chunks = 9)]
pub struct Nine {
    note: BoundedString<16>,
}

// About 9.2 KB fit three cookies; this needs four.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-large", version = 1, chunks = 3)]
pub struct TooLarge {
    user: Option<u64>,
    essay: BoundedString<9500>,
    tags: BoundedString<100>,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 1)]
pub struct PlainV1 {
    note: BoundedString<16>,
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-app", version = 2, chunks = 2, migrate_from = PlainV1)]
pub struct ChunkedV2 {
    note: BoundedString<16>,
}

impl From<PlainV1> for ChunkedV2 {
    fn from(old: PlainV1) -> Self {
        ChunkedV2 { note: old.note }
    }
}

// A partitioned session's chunks share one CHIPS partition: at most 10,240
// bytes of name + value (Chromium), which three full cookies exceed.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-framed", version = 1, chunks = 3, partitioned, same_site = "None")]
pub struct PartitionedThree {
    essay: BoundedString<8000>,
}

// Two full cookies fit.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-framed2", version = 1, chunks = 2, partitioned, same_site = "None")]
pub struct PartitionedTwo {
    essay: BoundedString<5000>,
}

fn main() {
    let _ = PartitionedTwo::MAX_TOTAL_LEN;
}
