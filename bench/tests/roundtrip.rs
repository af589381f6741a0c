//! Every peer must read back exactly what it wrote, and must refuse a tampered cookie:
//! a peer that skipped verification would look fast for the wrong reason.

use session_bench::actix::ActixSession;
use session_bench::axum_jar::AxumSigned;
use session_bench::floor::Floor;
use session_bench::shapes::{large, medium, small, Large, Medium, Small};
use session_bench::tower_store::TowerCookieStore;
use session_bench::{check_round_trip, cookie_pair, Peer, Shape};

fn round_trips_and_rejects_tampering<P: Peer>(peer: &P) {
    check_all(peer, &small());
    check_all(peer, &medium());
    check_all(peer, &large());
}

fn check_all<P: Peer, T: Shape>(peer: &P, session: &T) {
    let set_cookie = check_round_trip(peer, session);

    // Flip one character of the value, keeping it inside the base64url alphabet so the
    // peer's signature check (not its parser) is what has to reject it.
    let pair = cookie_pair(&set_cookie);
    let value_start = pair.find('=').expect("name=value") + 1;
    let target = value_start + (pair.len() - value_start) / 2;
    let mut bytes = pair.as_bytes().to_vec();
    bytes[target] = if bytes[target] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).expect("ascii");
    assert!(
        peer.decode::<T>(&tampered).is_err(),
        "{} accepted a tampered cookie",
        peer.label()
    );
}

/// One test per peer, each named after it.
macro_rules! peer_tests {
    ($($name:ident => $peer:expr),+ $(,)?) => {$(
        #[test]
        fn $name() {
            round_trips_and_rejects_tampering(&$peer);
        }
    )+};
}

peer_tests! {
    floor => Floor::default(),
    actix_session_signed => ActixSession::signed(),
    actix_session_private => ActixSession::private(),
    axum_extra_signed => AxumSigned::default(),
    tower_sessions_cookie_store => TowerCookieStore::default(),
}

#[test]
fn peers_do_not_read_each_others_cookies() {
    // Same name, same key material: a decode must still fail on another peer's format,
    // which shows each decode really parses its own format rather than passing through.
    let floor_cookie = Floor::default().encode(&small()).unwrap();
    let header = cookie_pair(&floor_cookie);
    assert!(AxumSigned::default().decode::<Small>(header).is_err());
    assert!(ActixSession::signed().decode::<Medium>(header).is_err());
    assert!(TowerCookieStore::default().decode::<Large>(header).is_err());
}
