//! A quick A/B check of our codec against the floor on a noisy machine:
//! the floor and our rows run in alternating batches of 200 operations, 1000
//! times, and each of our batches is divided by the floor batch next to it.
//! The median of those paired ratios moves much less with the machine's load
//! than two medians taken seconds apart (criterion's groups): on the shared
//! 2-vCPU machine, other work arrives in bursts that can cover a whole
//! criterion window of one function and not the next. `bench/run.sh` runs it
//! after criterion and BENCHMARKS.md shows both.
//!
//! ```sh
//! cargo run -p session-bench --profile bench --example paired             # table
//! cargo run -p session-bench --profile bench --example paired -- --json   # for bench/plot.py
//! cargo run -p session-bench --profile bench --example paired -- small    # one shape
//! ```
//!
//! Rows: `string` = `set_cookie_string`, `header` = `set_cookie`
//! (`http::HeaderValue`), `raw` = `load_cookies`, `map` = `load`
//! (from a `HeaderMap`); the floor's encode returns a `String` and its decode
//! takes the `Cookie` header's text. `header_http` and `map_http` divide the same
//! `set_cookie` and `load` batches by the floor through the `http` crate
//! (`floor-http`: a `HeaderValue` from its `String`, the `Cookie` header found in a
//! `HeaderMap`), the like-for-like comparison of our `http` rows.

use std::hint::black_box;
use std::time::Instant;

use session_bench::floor::{floor_request, BenchCookie, Floor};
use session_bench::ours::{ours, Change, OurLarge, OurMedium, OurSmall};
use session_bench::shapes::{large, medium, small};
use session_bench::{check_round_trip, Peer, Shape};
use session_runtime::CookieSession;

/// Alternating rounds per shape (each: eight batches).
const ROUNDS: usize = 2000;
/// Operations per batch: long enough for `Instant`, short enough that a
/// burst of other work usually spans whole rounds.
const BATCH: usize = 200;

/// Mean ns per operation of one batch.
fn batch<R>(mut op: impl FnMut() -> R) -> f64 {
    let start = Instant::now();
    for _ in 0..BATCH {
        black_box(op());
    }
    start.elapsed().as_nanos() as f64 / BATCH as f64
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One shape's result: the floors' median ns and our rows' paired ratios.
struct Paired {
    shape: &'static str,
    encode_floor_ns: f64,
    string: f64,
    header: f64,
    decode_floor_ns: f64,
    raw: f64,
    map: f64,
    encode_floor_http_ns: f64,
    header_http: f64,
    decode_floor_http_ns: f64,
    map_http: f64,
}

fn run<S: Shape, T>(shape: &'static str, session: &S) -> Paired
where
    T: CookieSession + Clone + PartialEq + std::fmt::Debug + Change + for<'a> From<&'a S>,
{
    let floor = Floor::default();
    let header = check_round_trip(&floor, session);
    let request = floor_request(&floor, session);
    let ours = ours::<T, S>(session);
    // Per round: floor encode, string, header, floor decode, raw, map, floor-http
    // encode, floor-http decode.
    let mut times: [Vec<f64>; 8] = Default::default();
    for _ in 0..ROUNDS {
        let round = [
            batch(|| floor.encode(black_box(session)).expect("encode")),
            batch(|| black_box(&ours).set_cookie_string_fresh()),
            batch(|| black_box(&ours).set_cookie_fresh()),
            batch(|| floor.decode::<S>(black_box(&header)).expect("decode")),
            batch(|| black_box(&ours).load_raw()),
            batch(|| black_box(&ours).load()),
            batch(|| {
                floor
                    .set_cookie_header::<BenchCookie, _>(black_box(session))
                    .expect("encode")
            }),
            batch(|| {
                floor
                    .load_from_headers::<BenchCookie, S>(black_box(&request))
                    .expect("decode")
            }),
        ];
        for (series, time) in times.iter_mut().zip(round) {
            series.push(time);
        }
    }
    let paired = |ours: usize, floor: usize| {
        median(
            times[ours]
                .iter()
                .zip(&times[floor])
                .map(|(ours, floor)| ours / floor)
                .collect(),
        )
    };
    let ns = |row: usize| median(times[row].clone());
    Paired {
        shape,
        encode_floor_ns: ns(0),
        string: paired(1, 0),
        header: paired(2, 0),
        decode_floor_ns: ns(3),
        raw: paired(4, 3),
        map: paired(5, 3),
        encode_floor_http_ns: ns(6),
        header_http: paired(2, 6),
        decode_floor_http_ns: ns(7),
        map_http: paired(5, 7),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|arg| arg == "--json");
    // Any argument that is not a flag names a shape.
    let only: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let wanted = |shape: &str| only.is_empty() || only.contains(&shape);
    let mut results = Vec::new();
    if wanted("small") {
        results.push(run::<_, OurSmall>("small", &small()));
    }
    if wanted("medium") {
        results.push(run::<_, OurMedium>("medium", &medium()));
    }
    if wanted("large") {
        results.push(run::<_, OurLarge>("large", &large()));
    }
    if json {
        let rows: Vec<String> = results
            .iter()
            .map(|r| {
                format!(
                    "{{\"shape\": \"{}\", \"encode_floor_ns\": {:.1}, \"string\": {:.4}, \"header\": {:.4}, \"decode_floor_ns\": {:.1}, \"raw\": {:.4}, \"map\": {:.4}, \"encode_floor_http_ns\": {:.1}, \"header_http\": {:.4}, \"decode_floor_http_ns\": {:.1}, \"map_http\": {:.4}}}",
                    r.shape, r.encode_floor_ns, r.string, r.header, r.decode_floor_ns, r.raw, r.map,
                    r.encode_floor_http_ns, r.header_http, r.decode_floor_http_ns, r.map_http
                )
            })
            .collect();
        println!(
            "{{\"rounds\": {ROUNDS}, \"batch\": {BATCH}, \"results\": [{}]}}",
            rows.join(", ")
        );
    } else {
        for r in &results {
            println!(
                "{:6} encode: floor {:6.0} ns, string {:.3}x, header {:.3}x | decode: floor {:6.0} ns, raw {:.3}x, map {:.3}x",
                r.shape, r.encode_floor_ns, r.string, r.header, r.decode_floor_ns, r.raw, r.map
            );
            println!(
                "{:6} http:   floor {:6.0} ns, header {:.3}x            | decode: floor {:6.0} ns, map {:.3}x",
                "", r.encode_floor_http_ns, r.header_http, r.decode_floor_http_ns, r.map_http
            );
        }
    }
}
