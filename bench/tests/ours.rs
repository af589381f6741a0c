//! Our side of the benchmark encodes exactly what the peers encode, round-trips, and
//! the large shape's bounds are the largest that fit the browser budget.

use session_bench::ours::{
    ours, OurLarge, OurLargeEnc, OurMedium, OurMediumEnc, OurSmall, OurSmallEnc, LARGE_CART,
};
use session_bench::shapes::{large, medium, small};
use session_runtime::{CookieSession, LoadStatus, MaxEncodedLen, WriteReason};

/// The postcard payload inside our cookie is the floor's body, byte for byte.
#[test]
fn payload_is_the_floor_body() {
    fn same<P: serde::Serialize, O: serde::Serialize>(peer: &P, ours: &O) {
        assert_eq!(
            postcard::to_allocvec(peer).unwrap(),
            postcard::to_allocvec(ours).unwrap()
        );
    }
    same(&small(), &OurSmall::from(&small()));
    same(&medium(), &OurMedium::from(&medium()));
    same(&large(), &OurLarge::from(&large()));
    same(&large(), &OurLargeEnc::from(&large()));
}

#[test]
fn every_benchmarked_operation_round_trips() {
    // `ours` asserts load(encode(x)) == x and that both set_cookie paths emit a cookie.
    let s = ours::<OurSmall, _>(&small());
    let m = ours::<OurMedium, _>(&medium());
    let l = ours::<OurLarge, _>(&large());
    ours::<OurSmallEnc, _>(&small());
    ours::<OurMediumEnc, _>(&medium());
    ours::<OurLargeEnc, _>(&large());
    assert_eq!(*s.load().status(), LoadStatus::Valid);
    assert_eq!(m.loaded_changed.pending_write(), Some(WriteReason::Changed));
    // The new cookie from the changed session loads back as the changed data.
    let header = l.set_cookie_changed().unwrap();
    let pair = session_bench::cookie_pair(header.to_str().unwrap()).to_owned();
    let mut request = http::HeaderMap::new();
    request.insert(http::header::COOKIE, pair.parse().unwrap());
    assert_eq!(*l.config.load(&request), *l.loaded_changed);
}

/// The large shape is bounded to just fit: with 305 cart items the encrypted
/// variant (44 bytes of overhead) reaches 4094 bytes, and one more 8-byte item
/// would put it over 4096 (the signed variant, 32 bytes of overhead, has 18
/// bytes to spare).
#[test]
fn large_bounds_just_fit() {
    assert_eq!(LARGE_CART, 305);
    // One more 8-byte (u32, u16) item adds 10 or 11 base64 characters.
    assert_eq!(<(u32, u16) as MaxEncodedLen>::MAX_ENCODED_LEN, 8);
    assert_eq!(OurLarge::MAX_COOKIE_LEN, 4078);
    assert_eq!(OurLargeEnc::MAX_COOKIE_LEN, 4094);
}
