//! Prints the browser-visible size of each peer's cookie for each shape.
//!
//! "name+value" is what Chromium and Firefox count against their 4096-byte per-cookie
//! limit (attributes do not count), so it is the number that decides whether a session
//! survives. The full `Set-Cookie` length is shown too because it is what goes on the wire.
//! Every cookie is round-tripped before it is reported, so a size is never shown for a
//! cookie its own peer cannot read back.
//!
//! `--json` prints `[{"codec", "shape", "name_value", "set_cookie"}]` instead, which
//! `bench/plot.py` reads for the size table of BENCHMARKS.md.

use session_bench::actix::ActixSession;
use session_bench::axum_jar::AxumSigned;
use session_bench::floor::Floor;
use session_bench::ours::{
    ours, Change, OurLarge, OurLargeEnc, OurMedium, OurMediumEnc, OurSmall, OurSmallEnc,
};
use session_bench::shapes::{large, medium, small};
use session_bench::tower_store::TowerCookieStore;
use session_bench::{check_round_trip, cookie_pair, Peer, Shape};
use session_runtime::CookieSession;

/// Browsers drop a cookie whose name + value exceeds this many bytes.
const BROWSER_LIMIT: usize = 4096;

/// One measured cookie.
struct Size {
    codec: &'static str,
    shape: &'static str,
    name_value: usize,
    set_cookie: usize,
}

fn row<P: Peer, T: Shape>(peer: &P, shape: &'static str, session: &T) -> Size {
    let set_cookie = check_round_trip(peer, session);
    Size {
        codec: peer.label(),
        shape,
        name_value: cookie_pair(&set_cookie).len(),
        set_cookie: set_cookie.len(),
    }
}

fn rows<P: Peer>(peer: &P, out: &mut Vec<Size>) {
    out.push(row(peer, "small", &small()));
    out.push(row(peer, "medium", &medium()));
    out.push(row(peer, "large", &large()));
}

/// Our cookie for the fixture: `set_cookie` of a new session (round-tripped by `ours`).
fn our_row<T, P>(codec: &'static str, shape: &'static str, fixture: &P) -> Size
where
    T: CookieSession + Clone + PartialEq + std::fmt::Debug + Change + for<'a> From<&'a P>,
{
    let ours = ours::<T, P>(fixture);
    let header = ours.set_cookie_fresh().expect("cookie due");
    let header = header.to_str().expect("ascii");
    Size {
        codec,
        shape,
        name_value: cookie_pair(header).len(),
        set_cookie: header.len(),
    }
}

fn main() {
    let mut sizes = vec![
        our_row::<OurSmall, _>("ours", "small", &small()),
        our_row::<OurMedium, _>("ours", "medium", &medium()),
        our_row::<OurLarge, _>("ours", "large", &large()),
        our_row::<OurSmallEnc, _>("ours-encrypted", "small", &small()),
        our_row::<OurMediumEnc, _>("ours-encrypted", "medium", &medium()),
        our_row::<OurLargeEnc, _>("ours-encrypted", "large", &large()),
    ];
    rows(&Floor::default(), &mut sizes);
    rows(&ActixSession::signed(), &mut sizes);
    rows(&ActixSession::private(), &mut sizes);
    rows(&AxumSigned::default(), &mut sizes);
    rows(&TowerCookieStore::default(), &mut sizes);

    if std::env::args().any(|arg| arg == "--json") {
        let json: Vec<String> = sizes
            .iter()
            .map(|s| {
                format!(
                    r#"{{"codec": "{}", "shape": "{}", "name_value": {}, "set_cookie": {}}}"#,
                    s.codec, s.shape, s.name_value, s.set_cookie
                )
            })
            .collect();
        println!("[\n  {}\n]", json.join(",\n  "));
        return;
    }

    println!("Body sizes before signing/encoding (bytes):");
    println!("| shape  | postcard | serde_json |");
    println!("|--------|----------|------------|");
    fn body<T: Shape>(shape: &str, session: &T) {
        let postcard = postcard::to_allocvec(session).expect("postcard").len();
        let json = serde_json::to_string(session).expect("json").len();
        println!("| {shape:<6} | {postcard:>8} | {json:>10} |");
    }
    body("small", &small());
    body("medium", &medium());
    body("large", &large());

    println!();
    println!(
        "Cookie sizes (bytes; name=value is what counts against the {BROWSER_LIMIT}-byte limit):"
    );
    println!(
        "| {:<28} | {:<6} | {:>10} | {:>10} | verdict |",
        "codec", "shape", "name=value", "Set-Cookie"
    );
    println!("|{:-<30}|{:-<8}|{:-<12}|{:-<12}|---------|", "", "", "", "");
    for s in &sizes {
        let verdict = if s.name_value > BROWSER_LIMIT {
            "DROPPED by browsers"
        } else {
            "fits"
        };
        println!(
            "| {:<28} | {:<6} | {:>10} | {:>10} | {verdict} |",
            s.codec, s.shape, s.name_value, s.set_cookie
        );
    }
}
