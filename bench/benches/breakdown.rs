//! Where our codec's time goes above the floor: the pieces the library adds, timed
//! alone (BENCHMARKS.md, "What bounds us").
//!
//! - `mac/<shape>`: one HMAC-SHA256 from a pre-keyed state over
//!   - `floor`: the payload alone (what the floor signs);
//!   - `ours`: what wire format 2 signs: the 16-byte header and the payload, in one
//!     update, from a state that has already absorbed the 64-byte constant prefix
//!     (domain, cookie name, schema fingerprint) at configuration time.
//! - `clock/<source>`: the time read each load and each `set_cookie` makes:
//!   - `std-systemtime`: `SystemTime::now()` to Unix milliseconds (the library's
//!     clock before wire format 2);
//!   - `session-runtime-systemclock`: the library's `SystemClock`
//!     (`CLOCK_REALTIME_COARSE` on Linux).
//! - `header-value/<shape>`: `HeaderValue::try_from(String)` of a Set-Cookie-sized string
//!   whose capacity is exact, or 4 bytes too large (what `set_cookie` used to allocate):
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
use session_runtime::{Clock as _, SystemClock};
use sha2::Sha256;

const DOMAIN: &[u8] = b"session-runtime/v2/cookie\0";
const NAME: &str = "session";

fn keyed() -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(&MASTER_KEY[..32]).expect("any key length")
}

/// The constant MAC prefix of wire format 2, padded to one SHA-256 block.
fn prefix_block() -> Vec<u8> {
    let mut prefix = DOMAIN.to_vec();
    prefix.extend_from_slice(&(NAME.len() as u16).to_be_bytes());
    prefix.extend_from_slice(NAME.as_bytes());
    prefix.extend_from_slice(&0x0123_4567_89ab_cdef_u64.to_be_bytes());
    prefix.resize(prefix.len().next_multiple_of(64), 0);
    prefix
}

fn mac(c: &mut Criterion) {
    let floor = keyed();
    let mut ours = keyed();
    ours.update(&prefix_block());

    for (shape, payload) in [
        ("small", postcard::to_allocvec(&small()).expect("postcard")),
        (
            "medium",
            postcard::to_allocvec(&medium()).expect("postcard"),
        ),
        ("large", postcard::to_allocvec(&large()).expect("postcard")),
    ] {
        // header ‖ payload, adjacent as in the decoded cookie.
        let mut signed = vec![7u8; 16];
        signed.extend_from_slice(&payload);
        let mut group = c.benchmark_group(format!("mac/{shape}"));
        group.bench_function("floor", |b| {
            b.iter(|| {
                let mut mac = floor.clone();
                mac.update(black_box(&payload));
                mac.finalize().into_bytes()
            })
        });
        group.bench_function("ours", |b| {
            b.iter(|| {
                let mut mac = ours.clone();
                mac.update(black_box(&signed));
                mac.finalize().into_bytes()
            })
        });
        group.finish();
    }
}

fn clock(c: &mut Criterion) {
    let mut group = c.benchmark_group("clock");
    group.bench_function("std-systemtime", |b| {
        b.iter(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64)
        })
    });
    group.bench_function("session-runtime-systemclock", |b| {
        b.iter(|| SystemClock.now_unix_ms())
    });
    group.finish();
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
