//! Sessions of several shapes survive encode → Set-Cookie → Cookie → decode.

use http::HeaderMap;
use session_runtime::{
    BoundedString, BoundedVec, CookieSession, LoadStatus, Session, SessionConfig,
};
use session_tests::{
    config_with_clock, cookie_pair, key, request_with_cookie, store, AppSession, AtBudget,
    CartLine, ShopSession, Theme, Tiny,
};

fn round_trip<T: CookieSession + Clone + PartialEq + std::fmt::Debug>(data: T) -> usize {
    let (config, _clock) = config_with_clock::<T>();
    let mut session = config.load(&HeaderMap::new());
    assert_eq!(session.status(), &LoadStatus::Missing);
    // renew(): as at login, so default data is written too (a fresh session
    // merely set to its default sends no cookie).
    session.renew();
    session.set(data.clone());
    let set_cookie = store(&config, &session).expect("a renewed session is written");
    let pair = cookie_pair(&set_cookie);
    let (name, value) = pair.split_once('=').unwrap();
    assert_eq!(name, T::NAME);
    assert!(name.len() + value.len() <= T::MAX_COOKIE_LEN);
    let loaded = config.load(&request_with_cookie(name, value));
    assert_eq!(loaded.status(), &LoadStatus::Valid);
    assert_eq!(*loaded, data);
    assert_eq!(loaded.pending_write(), None);
    name.len() + value.len()
}

fn full_app() -> AppSession {
    AppSession {
        user_id: Some(u64::MAX),
        display_name: BoundedString::try_from("ü".repeat(16).as_str()).unwrap(),
        roles: BoundedVec::try_from([u16::MAX; 8]).unwrap(),
        csrf: [0xa5; 32],
    }
}

/// "Changed but equal" (docs/lifecycle.md, "Store"): a loaded session set to
/// its own data sends nothing, and set to other data of the same encoded
/// length sends that data. Returns the payload's length.
fn changed_but_equal<T: CookieSession + Clone + PartialEq + std::fmt::Debug>(
    data: T,
    other: T,
) -> usize {
    let (config, _clock) = config_with_clock::<T>();
    let value = session_tests::issue(&config, data.clone());
    let mut session = config.load(&request_with_cookie(T::NAME, &value));
    assert_eq!(session.status(), &LoadStatus::Valid);
    session.set(other.clone());
    session.set(data);
    assert_eq!(store(&config, &session), None, "set to its own data");
    session.set(other.clone());
    let set_cookie = store(&config, &session).expect("other data is written");
    let pair = cookie_pair(&set_cookie);
    let new_value = pair.split_once('=').unwrap().1;
    assert_eq!(new_value.len(), value.len(), "the same length");
    let loaded = config.load(&request_with_cookie(T::NAME, new_value));
    assert_eq!(*loaded, other);
    value.len() * 3 / 4 - session_runtime::wire::SIGNED_OVERHEAD
}

/// Both ways of telling: a payload of up to 28 bytes is kept and compared
/// byte for byte, a longer one through its seal (a second MAC).
#[test]
fn a_session_set_to_its_own_data_sends_nothing_short_or_long() {
    assert_eq!(changed_but_equal(Tiny { n: 200 }, Tiny { n: 201 }), 1);
    let other = AppSession {
        user_id: Some(u64::MAX - 1),
        ..full_app()
    };
    assert!(changed_but_equal(full_app(), other) > 28);
}

#[test]
fn tiny_session() {
    round_trip(Tiny { n: 200 });
    round_trip(Tiny::default());
}

#[test]
fn design_example_session_at_its_maximum_hits_max_cookie_len_exactly() {
    let len = round_trip(full_app());
    assert_eq!(len, AppSession::MAX_COOKIE_LEN);
}

#[test]
fn nested_enum_and_struct_session() {
    let mut cart = BoundedVec::new();
    for sku in 0..10 {
        cart.try_push(CartLine {
            sku: sku * 1000,
            quantity: 3,
        })
        .unwrap();
    }
    round_trip(ShopSession {
        user_id: Some(7),
        name: BoundedString::truncating("Grace Hopper"),
        theme: Theme::Custom {
            accent: [1, 2, 3],
            name: BoundedString::truncating("ocean"),
        },
        cart,
        locale: BoundedString::truncating("en-GB"),
        last_seen: -1,
        flags: (true, false),
    });
    round_trip(ShopSession::default());
}

#[test]
fn at_budget_session_filled_to_the_limit_is_exactly_4096_bytes() {
    let data = AtBudget {
        blob: BoundedString::try_from("x".repeat(3027).as_str()).unwrap(),
        pad: [255; 3],
    };
    assert_eq!(round_trip(data), 4096);
}

#[test]
fn encode_and_decode_value_api() {
    let config = SessionConfig::<AppSession>::new(key(1)).unwrap();
    let value = config.encode(&full_app()).unwrap();
    let session: Session<AppSession> = config.decode(value.as_bytes()).unwrap();
    assert_eq!(*session, full_app());
    assert!(!session.is_new());
    assert!(session.created_at().is_some());
}

#[test]
fn typical_120_byte_session_size() {
    let data = ShopSession {
        user_id: Some(1_234_567),
        name: BoundedString::truncating("Ada Lovelace of London"),
        theme: Theme::Dark,
        cart: BoundedVec::try_from(
            (0..10)
                .map(|i| CartLine {
                    sku: 40_000 + i,
                    quantity: 2,
                })
                .collect::<Vec<_>>(),
        )
        .unwrap(),
        locale: BoundedString::truncating("en-GB"),
        last_seen: 1_795_651_200,
        flags: (true, true),
    };
    let payload = postcard::to_allocvec(&data).unwrap().len();
    let cookie = round_trip(data);
    println!("typical session: {payload} B payload -> {cookie} B cookie (name + value)");
    assert!(payload >= 60 && cookie <= ShopSession::MAX_COOKIE_LEN);
}
