//! A quick A/B check of our codec against the floor on a noisy machine:
//! the floor and our rows run in alternating batches of 200 operations, 1000
//! times, and each of our batches is divided by the floor batch next to it.
//! The median of those paired ratios moves much less with the machine's load
//! than two medians taken seconds apart (criterion's groups). It is a
//! development aid; BENCHMARKS.md quotes criterion.
//!
//! ```sh
//! cargo build -p session-bench --profile bench --example paired
//! target/release/examples/paired            # all shapes, or: small | medium | large
//! ```
//!
//! Rows: `string` = `set_cookie_string`, `header` = `set_cookie`
//! (`http::HeaderValue`), `raw` = `load_from_cookie_headers`, `map` = `load`
//! (from a `HeaderMap`); the floor's encode returns a `String` and its decode
//! takes the `Cookie` header's text.

use std::hint::black_box;
use std::time::Instant;

use session_bench::floor::Floor;
use session_bench::ours::{ours, Change, OurLarge, OurMedium, OurSmall};
use session_bench::shapes::{large, medium, small};
use session_bench::{check_round_trip, Peer, Shape};
use session_runtime::CookieSession;

const ROUNDS: usize = 1000;
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

fn run<S: Shape, T>(name: &str, session: &S)
where
    T: CookieSession + Clone + PartialEq + std::fmt::Debug + Change + for<'a> From<&'a S>,
{
    let floor = Floor::default();
    let header = check_round_trip(&floor, session);
    let ours = ours::<T, S>(session);
    // Per round: floor encode, string, header, floor decode, raw, map.
    let mut times: [Vec<f64>; 6] = Default::default();
    for _ in 0..ROUNDS {
        let round = [
            batch(|| floor.encode(black_box(session)).expect("encode")),
            batch(|| black_box(&ours).set_cookie_string_fresh()),
            batch(|| black_box(&ours).set_cookie_fresh()),
            batch(|| floor.decode::<S>(black_box(&header)).expect("decode")),
            batch(|| black_box(&ours).load_raw()),
            batch(|| black_box(&ours).load()),
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
    println!(
        "{name:6} encode: floor {:6.0} ns, string {:.3}x, header {:.3}x | decode: floor {:6.0} ns, raw {:.3}x, map {:.3}x",
        ns(0),
        paired(1, 0),
        paired(2, 0),
        ns(3),
        paired(4, 3),
        paired(5, 3),
    );
}

fn main() {
    let only = std::env::args().nth(1).unwrap_or_default();
    let wanted = |shape: &str| only.is_empty() || only == shape;
    if wanted("small") {
        run::<_, OurSmall>("small", &small());
    }
    if wanted("medium") {
        run::<_, OurMedium>("medium", &medium());
    }
    if wanted("large") {
        run::<_, OurLarge>("large", &large());
    }
}
