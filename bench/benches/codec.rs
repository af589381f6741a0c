//! Criterion benchmark: encode and decode cost of each peer codec for each session shape.
//!
//! encode = typed session -> `Set-Cookie` header value; decode = `Cookie` request header ->
//! typed session. Every peer is round-tripped once before it is timed (see
//! `check_round_trip`), so a peer that silently fails cannot post a fast number.
//!
//! Run briefly with: `cargo bench -- --warm-up-time 1 --measurement-time 3`.
//! Node's cookie-session is measured separately by `node/cookie_session_bench.js`.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use session_bench::actix::ActixSession;
use session_bench::axum_jar::AxumSigned;
use session_bench::floor::Floor;
use session_bench::shapes::{large, medium, small};
use session_bench::tower_store::TowerCookieStore;
use session_bench::{check_round_trip, cookie_header, Peer, Shape};

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

fn decode_one<P: Peer, T: Shape>(group: &mut BenchmarkGroup<'_, WallTime>, peer: &P, session: &T) {
    // The header is what a browser would send back for this peer's own cookie.
    let set_cookie = check_round_trip(peer, session);
    let header = cookie_header([set_cookie.as_str()]);
    group.bench_function(peer.label(), |b| {
        b.iter(|| peer.decode::<T>(black_box(&header)).expect("decode"))
    });
}

fn bench_shape<T: Shape>(c: &mut Criterion, peers: &Peers, shape: &str, session: &T) {
    let mut group = c.benchmark_group(format!("encode/{shape}"));
    encode_one(&mut group, &peers.floor, session);
    encode_one(&mut group, &peers.actix_signed, session);
    encode_one(&mut group, &peers.actix_private, session);
    encode_one(&mut group, &peers.axum, session);
    encode_one(&mut group, &peers.tower, session);
    group.finish();

    let mut group = c.benchmark_group(format!("decode/{shape}"));
    decode_one(&mut group, &peers.floor, session);
    decode_one(&mut group, &peers.actix_signed, session);
    decode_one(&mut group, &peers.actix_private, session);
    decode_one(&mut group, &peers.axum, session);
    decode_one(&mut group, &peers.tower, session);
    group.finish();
}

fn peers(c: &mut Criterion) {
    let peers = Peers::new();
    bench_shape(c, &peers, "small", &small());
    bench_shape(c, &peers, "medium", &medium());
    bench_shape(c, &peers, "large", &large());
}

criterion_group!(benches, peers);
criterion_main!(benches);
