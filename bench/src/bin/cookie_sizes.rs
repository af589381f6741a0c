//! Prints the browser-visible size of each peer's cookie for each shape.
//!
//! "name+value" is what Chromium and Firefox count against their 4096-byte per-cookie
//! limit (attributes do not count), so it is the number that decides whether a session
//! survives. The full `Set-Cookie` length is shown too because it is what goes on the wire.
//! Every cookie is round-tripped before it is reported, so a size is never shown for a
//! cookie its own peer cannot read back.

use session_bench::actix::ActixSession;
use session_bench::axum_jar::AxumSigned;
use session_bench::floor::Floor;
use session_bench::shapes::{large, medium, small};
use session_bench::tower_store::TowerCookieStore;
use session_bench::{check_round_trip, cookie_pair, Peer, Shape};

/// Browsers drop a cookie whose name + value exceeds this many bytes.
const BROWSER_LIMIT: usize = 4096;

fn row<P: Peer, T: Shape>(peer: &P, shape: &str, session: &T) {
    let set_cookie = check_round_trip(peer, session);
    let stored = cookie_pair(&set_cookie).len();
    let verdict = if stored > BROWSER_LIMIT {
        "DROPPED by browsers"
    } else {
        "fits"
    };
    println!(
        "| {:<28} | {:<6} | {:>10} | {:>10} | {verdict} |",
        peer.label(),
        shape,
        stored,
        set_cookie.len(),
    );
}

fn rows<P: Peer>(peer: &P) {
    row(peer, "small", &small());
    row(peer, "medium", &medium());
    row(peer, "large", &large());
}

fn main() {
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
        "Cookie sizes (bytes; name+value is what counts against the {BROWSER_LIMIT}-byte limit):"
    );
    println!(
        "| {:<28} | {:<6} | {:>10} | {:>10} | verdict |",
        "peer", "shape", "name+value", "Set-Cookie"
    );
    println!("|{:-<30}|{:-<8}|{:-<12}|{:-<12}|---------|", "", "", "", "");
    rows(&Floor::default());
    rows(&ActixSession::signed());
    rows(&ActixSession::private());
    rows(&AxumSigned::default());
    rows(&TowerCookieStore::default());
}
