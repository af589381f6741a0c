//! Where our codec's time goes above the floor: the pieces the library adds, timed
//! alone (BENCHMARKS.md, "What bounds us").
//!
//! - `mac/<shape>`: one HMAC-SHA256 from a pre-keyed state over
//!   - `floor`: the payload alone (what the floor signs);
//!   - `ours`: the library's MAC input, `domain‖u16(len)‖name` (35 bytes, kept buffered in
//!     the pre-keyed state) ‖ 27-byte header ‖ payload;
//!   - `ours-prefix-block`: the same with the prefix padded to one 64-byte block, so the
//!     pre-keyed state has already compressed it (a wire-format change, not the library).
//! - `clock`: `SystemTime::now()` to Unix milliseconds (the library reads it once per
//!   load and once per `set_cookie`).
//! - `header-value/<shape>`: `HeaderValue::try_from(String)` of a Set-Cookie-sized string
//!   whose capacity is exact, or 4 bytes too large (what `render_set_cookie` allocates):
//!   the second costs one more allocation, `bytes`' shared control block.
//!
//! Run: `cargo bench -p session-bench --bench breakdown`.

mod common;

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, Criterion};
use hmac::{Hmac, KeyInit as _, Mac as _};
use http::HeaderValue;
use session_bench::shapes::{large, medium, small};
use session_bench::MASTER_KEY;
use sha2::Sha256;

const DOMAIN: &[u8] = b"session-runtime/v1/cookie\0";
const NAME: &str = "session";

fn keyed() -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(&MASTER_KEY[..32]).expect("any key length")
}

fn prefix() -> Vec<u8> {
    let mut prefix = DOMAIN.to_vec();
    prefix.extend_from_slice(&(NAME.len() as u16).to_be_bytes());
    prefix.extend_from_slice(NAME.as_bytes());
    prefix
}

fn mac(c: &mut Criterion) {
    let floor = keyed();
    let mut ours = keyed();
    ours.update(&prefix());
    let mut padded = keyed();
    let mut block = prefix();
    block.resize(64, 0);
    padded.update(&block);
    let header = [7u8; 27];

    for (shape, payload) in [
        ("small", postcard::to_allocvec(&small()).expect("postcard")),
        (
            "medium",
            postcard::to_allocvec(&medium()).expect("postcard"),
        ),
        ("large", postcard::to_allocvec(&large()).expect("postcard")),
    ] {
        let mut group = c.benchmark_group(format!("mac/{shape}"));
        group.bench_function("floor", |b| {
            b.iter(|| {
                let mut mac = floor.clone();
                mac.update(black_box(&payload));
                mac.finalize().into_bytes()
            })
        });
        for (label, state) in [("ours", &ours), ("ours-prefix-block", &padded)] {
            group.bench_function(label, |b| {
                b.iter(|| {
                    let mut mac = state.clone();
                    mac.update(black_box(&header));
                    mac.update(black_box(&payload));
                    mac.finalize().into_bytes()
                })
            });
        }
        group.finish();
    }
}

fn clock(c: &mut Criterion) {
    c.bench_function("clock", |b| {
        b.iter(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64)
        })
    });
}

fn header_value(c: &mut Criterion) {
    // Set-Cookie lengths of our small, medium and large cookies.
    for (shape, len) in [("small", 193), ("medium", 305), ("large", 1689)] {
        let text = "a".repeat(len);
        let mut group = c.benchmark_group(format!("header-value/{shape}"));
        for (label, slack) in [("exact-capacity", 0), ("capacity+4", 4)] {
            group.bench_function(label, |b| {
                b.iter(|| {
                    let mut out = String::with_capacity(len + slack);
                    out.push_str(black_box(&text));
                    HeaderValue::try_from(out).expect("visible ASCII")
                })
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = mac, clock, header_value
}
criterion_main!(benches);
