//! Property: for any session value, the real cookie never exceeds the
//! compile-time `MAX_COOKIE_LEN`, the payload never exceeds `MAX_PAYLOAD_LEN`,
//! and decode(encode(x)) == x.

use proptest::prelude::*;
use session_runtime::{BoundedString, BoundedVec, CookieSession, SessionConfig};
use session_tests::{key, AppSession, AtBudget, CartLine, ShopSession, Theme};

fn bounded_string<const N: usize>() -> impl Strategy<Value = BoundedString<N>> {
    // Any Unicode, cut at a char boundary to fit: multi-byte chars reach the bound too.
    any::<String>().prop_map(|s| BoundedString::truncating(&s))
}

fn full_string<const N: usize>() -> impl Strategy<Value = BoundedString<N>> {
    prop::collection::vec(any::<char>(), N..=N)
        .prop_map(|chars| BoundedString::truncating(&chars.into_iter().collect::<String>()))
}

fn app_session() -> impl Strategy<Value = AppSession> {
    (
        any::<Option<u64>>(),
        prop_oneof![bounded_string::<32>(), full_string::<32>()],
        prop::collection::vec(any::<u16>(), 0..=8),
        any::<[u8; 32]>(),
    )
        .prop_map(|(user_id, display_name, roles, csrf)| AppSession {
            user_id,
            display_name,
            roles: BoundedVec::try_from(roles).unwrap(),
            csrf,
        })
}

fn theme() -> impl Strategy<Value = Theme> {
    prop_oneof![
        Just(Theme::Light),
        Just(Theme::Dark),
        (any::<[u8; 3]>(), full_string::<12>())
            .prop_map(|(accent, name)| Theme::Custom { accent, name }),
    ]
}

fn shop_session() -> impl Strategy<Value = ShopSession> {
    (
        any::<Option<u64>>(),
        full_string::<24>(),
        theme(),
        prop::collection::vec((any::<u32>(), any::<u16>()), 0..=10),
        bounded_string::<8>(),
        any::<i64>(),
        any::<(bool, bool)>(),
    )
        .prop_map(
            |(user_id, name, theme, cart, locale, last_seen, flags)| ShopSession {
                user_id,
                name,
                theme,
                cart: BoundedVec::try_from(
                    cart.into_iter()
                        .map(|(sku, quantity)| CartLine { sku, quantity })
                        .collect::<Vec<_>>(),
                )
                .unwrap(),
                locale,
                last_seen,
                flags,
            },
        )
}

fn at_budget() -> impl Strategy<Value = AtBudget> {
    (full_string::<3027>(), any::<[u8; 3]>()).prop_map(|(blob, pad)| AtBudget { blob, pad })
}

fn check<T: CookieSession + PartialEq + std::fmt::Debug>(data: &T) -> Result<(), TestCaseError> {
    let payload = postcard::to_allocvec(data).unwrap();
    prop_assert!(payload.len() <= T::MAX_PAYLOAD_LEN);
    let config = SessionConfig::<T>::new(key(3)).unwrap();
    let value = config.encode(data).unwrap();
    prop_assert!(T::NAME.len() + value.len() <= T::MAX_COOKIE_LEN);
    prop_assert!(T::MAX_COOKIE_LEN <= 4096);
    let decoded = config.decode(value.as_bytes()).unwrap();
    prop_assert_eq!(&*decoded, data);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn app_session_fits_and_round_trips(data in app_session()) {
        check(&data)?;
    }

    #[test]
    fn shop_session_fits_and_round_trips(data in shop_session()) {
        check(&data)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn at_budget_session_fits_and_round_trips(data in at_budget()) {
        check(&data)?;
    }
}
