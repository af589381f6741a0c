//! Criterion benchmark: encode and decode cost of session-runtime and of every peer
//! codec, for each session shape, side by side in one run.
//!
//! Groups are `encode/<shape>` and `decode/<shape>`; inside each group, one function per
//! codec. encode = typed session -> `Set-Cookie` header value; decode = `Cookie` request
//! header -> typed session. Every codec is round-tripped once before it is timed, so a
//! codec that silently fails cannot post a fast number.
//!
//! The floor has a second row, `floor-http`: the same codec through the `http` crate,
//! like for like with our `ours` rows (encode: `HeaderValue` from the `Set-Cookie`
//! string; decode: the `Cookie` header found in a `HeaderMap`).
//!
//! Our rows:
//! - `ours`: `SessionConfig::set_cookie` on a new session holding the fixture: the full
//!   `Set-Cookie` (`name=value; Max-Age=…; Path=/; Secure; HttpOnly; SameSite=Lax`), the
//!   same thing the peers return.
//! - `ours-changed`: `set_cookie` on a session loaded from a valid cookie and then
//!   changed, what a request that mutates its session pays on the way out.
//! - `ours-value`: `SessionConfig::encode`, the cookie value alone.
//! - `ours-encrypted`: `set_cookie` / `load` of the `#[session(encrypted)]` twin.
//! - decode `ours`: `SessionConfig::load(&HeaderMap)` from the request's `Cookie` header.
//!
//! Run (what BENCHMARKS.md quotes): `cargo bench -p session-bench --bench codec`.
//! Node's cookie-session is measured separately by `node/cookie_session_bench.js`.

mod common;

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use session_bench::actix::ActixSession;
use session_bench::axum_jar::AxumSigned;
use session_bench::floor::{floor_request, BenchCookie, Floor};
use session_bench::ours::{
    ours, Change, OurLarge, OurLargeEnc, OurMedium, OurMediumEnc, OurSmall, OurSmallEnc, Ours,
};
use session_bench::shapes::{large, medium, small};
use session_bench::tower_store::TowerCookieStore;
use session_bench::{check_round_trip, cookie_header, Peer, Shape};
use session_runtime::CookieSession;

/// All peers, built once: key setup is a per-process cost, not a per-cookie one.
struct Peers {
    floor: Floor,
    actix_signed: ActixSession,
    actix_private: ActixSession,
    axum: AxumSigned,
    tower: TowerCookieStore,
}

impl Peers {
    fn new() -> Self {
        Self {
            floor: Floor::default(),
            actix_signed: ActixSession::signed(),
            actix_private: ActixSession::private(),
            axum: AxumSigned::default(),
            tower: TowerCookieStore::default(),
        }
    }
}

fn encode_one<P: Peer, T: Shape>(group: &mut BenchmarkGroup<'_, WallTime>, peer: &P, session: &T) {
    check_round_trip(peer, session);
    group.bench_function(peer.label(), |b| {
        // The returned String is dropped inside the loop: freeing it is part of the cost.
        b.iter(|| peer.encode(black_box(session)).expect("encode"))
    });
}

/// The floor's `http` rows: `HeaderValue` out, `HeaderMap` in, as our `set_cookie` and
/// `load` (`Floor::set_cookie_header`, `Floor::load_from_headers`).
fn encode_floor_http<T: Shape>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    floor: &Floor,
    session: &T,
) {
    group.bench_function("floor-http", |b| {
        b.iter(|| {
            floor
                .set_cookie_header::<BenchCookie, _>(black_box(session))
                .expect("encode")
        })
    });
}

fn decode_floor_http<T: Shape>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    floor: &Floor,
    session: &T,
) {
    let request = floor_request(floor, session);
    group.bench_function("floor-http", |b| {
        b.iter(|| {
            floor
                .load_from_headers::<BenchCookie, T>(black_box(&request))
                .expect("decode")
        })
    });
}

fn decode_one<P: Peer, T: Shape>(group: &mut BenchmarkGroup<'_, WallTime>, peer: &P, session: &T) {
    // The header is what a browser would send back for this peer's own cookie.
    let set_cookie = check_round_trip(peer, session);
    let header = cookie_header([set_cookie.as_str()]);
    group.bench_function(peer.label(), |b| {
        b.iter(|| peer.decode::<T>(black_box(&header)).expect("decode"))
    });
}

/// Our encode rows. `set_cookie` takes the session by reference and does not change it,
/// so the same touched session is written on every iteration.
fn encode_ours<T: CookieSession>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    ours: &Ours<T>,
    with_variants: bool,
) {
    group.bench_function(label, |b| {
        b.iter(|| black_box(ours).set_cookie_fresh().expect("cookie due"))
    });
    if with_variants {
        // The floor's artifact exactly: Set-Cookie text, not an http HeaderValue.
        group.bench_function(format!("{label}-string"), |b| {
            b.iter(|| {
                black_box(ours)
                    .set_cookie_string_fresh()
                    .expect("cookie due")
            })
        });
        group.bench_function(format!("{label}-changed"), |b| {
            b.iter(|| black_box(ours).set_cookie_changed().expect("cookie due"))
        });
        group.bench_function(format!("{label}-value"), |b| {
            b.iter(|| black_box(ours).encode_value().expect("encode"))
        });
    }
}

fn decode_ours<T: CookieSession>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    ours: &Ours<T>,
) {
    group.bench_function(label, |b| b.iter(|| black_box(ours).load()));
    // The floor's input exactly: the Cookie header's text, no HeaderMap lookup.
    group.bench_function(format!("{label}-raw"), |b| {
        b.iter(|| black_box(ours).load_raw())
    });
}

fn bench_shape<T, S, E>(c: &mut Criterion, peers: &Peers, shape: &str, session: &T)
where
    T: Shape,
    S: CookieSession + Clone + PartialEq + std::fmt::Debug + Change + for<'a> From<&'a T>,
    E: CookieSession + Clone + PartialEq + std::fmt::Debug + Change + for<'a> From<&'a T>,
{
    let signed: Ours<S> = ours(session);
    let encrypted: Ours<E> = ours(session);

    let mut group = c.benchmark_group(format!("encode/{shape}"));
    encode_one(&mut group, &peers.floor, session);
    encode_floor_http(&mut group, &peers.floor, session);
    encode_ours(&mut group, "ours", &signed, true);
    encode_ours(&mut group, "ours-encrypted", &encrypted, false);
    encode_one(&mut group, &peers.actix_signed, session);
    encode_one(&mut group, &peers.actix_private, session);
    encode_one(&mut group, &peers.axum, session);
    encode_one(&mut group, &peers.tower, session);
    group.finish();

    let mut group = c.benchmark_group(format!("decode/{shape}"));
    decode_one(&mut group, &peers.floor, session);
    decode_floor_http(&mut group, &peers.floor, session);
    decode_ours(&mut group, "ours", &signed);
    decode_ours(&mut group, "ours-encrypted", &encrypted);
    decode_one(&mut group, &peers.actix_signed, session);
    decode_one(&mut group, &peers.actix_private, session);
    decode_one(&mut group, &peers.axum, session);
    decode_one(&mut group, &peers.tower, session);
    group.finish();
}

fn codecs(c: &mut Criterion) {
    let peers = Peers::new();
    bench_shape::<_, OurSmall, OurSmallEnc>(c, &peers, "small", &small());
    bench_shape::<_, OurMedium, OurMediumEnc>(c, &peers, "medium", &medium());
    bench_shape::<_, OurLarge, OurLargeEnc>(c, &peers, "large", &large());
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = codecs
}
criterion_main!(benches);
