//! Runs one codec operation N times, for instruction counts under callgrind
//! (deterministic, unlike wall-clock time on a shared machine):
//!
//! ```sh
//! cargo build -p session-bench --profile bench --example instructions
//! for n in 1 1001; do valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$n \
//!   target/release/examples/instructions decode-small-ours $n; done
//! # per operation: (Ir of 1001 runs − Ir of 1 run) / 1000
//! ```
//!
//! Operations: `{encode,decode}-{small,medium,large}-{floor,ours,full,floor-http}`;
//! encode of `ours` is `set_cookie_string` on a new session, decode is
//! `load_cookies` on the raw `Cookie` value (the floor's own input
//! and output types); `full` is `set_cookie` (an `http::HeaderValue`) and
//! `load` (from a `HeaderMap`), and `floor-http` the floor doing the same `http`
//! work (a `HeaderValue` from its `Set-Cookie` string, the `Cookie` header found in
//! a `HeaderMap`): `full` ÷ `floor-http` compares like for like.

use std::hint::black_box;

use session_bench::floor::{floor_request, BenchCookie, Floor};
use session_bench::ours::{ours, OurLarge, OurMedium, OurSmall, Ours};
use session_bench::shapes::{large, medium, small};
use session_bench::{check_round_trip, Peer, Shape};
use session_runtime::CookieSession;

fn run<S: Shape, T>(op: &str, who: &str, session: &S, n: usize)
where
    T: CookieSession + Clone + PartialEq + std::fmt::Debug + session_bench::ours::Change,
    T: for<'a> From<&'a S>,
{
    let floor = Floor::default();
    let header = check_round_trip(&floor, session);
    let ours = || ours::<T, S>(session);
    match (op, who) {
        ("encode", "floor") => repeat(n, || floor.encode(black_box(session)).expect("encode")),
        ("decode", "floor") => repeat(n, || floor.decode::<S>(black_box(&header)).expect("decode")),
        ("encode", "floor-http") => repeat(n, || {
            floor
                .set_cookie_header::<BenchCookie, _>(black_box(session))
                .expect("encode")
        }),
        ("decode", "floor-http") => {
            let request = floor_request(&floor, session);
            repeat(n, || {
                floor
                    .load_from_headers::<BenchCookie, S>(black_box(&request))
                    .expect("decode")
            })
        }
        ("encode", "ours") => repeat_ours(n, ours(), Ours::set_cookie_string_fresh),
        ("decode", "ours") => repeat_ours(n, ours(), Ours::load_raw),
        // The full `Set-Cookie` header value and the load from a `HeaderMap`:
        // the `ours` rows of the criterion groups.
        ("encode", "full") => repeat_ours(n, ours(), Ours::set_cookie_fresh),
        ("decode", "full") => repeat_ours(n, ours(), Ours::load),
        _ => panic!("unknown operation {op}-{who}"),
    }
}

/// Runs one of our operations on `ours` `n` times.
fn repeat_ours<T: CookieSession, R>(n: usize, ours: Ours<T>, op: impl Fn(&Ours<T>) -> R) {
    repeat(n, || op(black_box(&ours)));
}

/// Runs `op` `n` times, keeping each result alive for the optimizer.
fn repeat<R>(n: usize, mut op: impl FnMut() -> R) {
    for _ in 0..n {
        black_box(op());
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().expect("operation, e.g. decode-small-ours");
    let n: usize = args.next().map_or(1, |n| n.parse().expect("a count"));
    // `who` may itself contain a dash (`floor-http`).
    let parts: Vec<&str> = what.splitn(3, '-').collect();
    let [op, shape, who] = parts[..] else {
        panic!("expected <encode|decode>-<small|medium|large>-<floor|ours|full|floor-http>");
    };
    match shape {
        "small" => run::<_, OurSmall>(op, who, &small(), n),
        "medium" => run::<_, OurMedium>(op, who, &medium(), n),
        "large" => run::<_, OurLarge>(op, who, &large(), n),
        _ => panic!("unknown shape {shape}"),
    }
}
