//! What `#[derive(CookieSession)]` and `#[derive(MaxEncodedLen)]` generate.

use serde::{Deserialize, Serialize};
use session_runtime::wire::{max_cookie_len, HEADER_LEN, SIGNED_OVERHEAD, TAG_LEN};
use session_runtime::{
    BoundedString, BoundedVec, CookieAttributes, CookieSession, MaxEncodedLen, SameSite,
};
use session_tests::{AppSession, AtBudget, CartLine, ShopSession, Theme, Tiny};

#[test]
fn accessors_are_typed_getters_and_setters() {
    let mut session = AppSession::default();
    session.set_user_id(Some(42));
    session.set_display_name(BoundedString::try_from("Ada").unwrap());
    session.set_roles(BoundedVec::try_from([1, 2]).unwrap());
    session.set_csrf([9; 32]);
    let user_id: &Option<u64> = session.user_id();
    assert_eq!(user_id, &Some(42));
    assert_eq!(session.display_name().as_str(), "Ada");
    assert_eq!(&**session.roles(), &[1, 2]);
    assert_eq!(session.csrf(), &[9; 32]);
}

#[test]
fn constants_follow_the_design_arithmetic() {
    assert_eq!(AppSession::NAME, "__Host-app");
    assert_eq!(AppSession::VERSION, 2);
    assert_eq!(AppSession::BUDGET, 4096);
    // Option<u64> 1+10, BoundedString<32> 1+32, BoundedVec<u16, 8> 1+8*3, [u8; 32] 32.
    assert_eq!(AppSession::MAX_PAYLOAD_LEN, 11 + 33 + 25 + 32);
    assert_eq!(
        AppSession::MAX_COOKIE_LEN,
        AppSession::NAME.len()
            + (HEADER_LEN + AppSession::MAX_PAYLOAD_LEN + TAG_LEN).div_ceil(3) * 4
            - [0, 2, 1][(HEADER_LEN + AppSession::MAX_PAYLOAD_LEN + TAG_LEN) % 3]
    );
    assert_eq!(
        AppSession::MAX_COOKIE_LEN,
        max_cookie_len(
            AppSession::NAME.len(),
            AppSession::MAX_PAYLOAD_LEN,
            SIGNED_OVERHEAD
        )
    );
    assert_eq!(AppSession::ATTRIBUTES, CookieAttributes::SECURE_DEFAULTS);
}

#[test]
fn at_budget_session_reaches_exactly_4096() {
    assert_eq!(AtBudget::MAX_COOKIE_LEN, 4096);
}

#[test]
fn nested_types_contribute_their_bounds() {
    // Theme: variant index (1 byte) + widest variant (3 + 1 + 12).
    assert_eq!(Theme::MAX_ENCODED_LEN, 1 + 3 + 13);
    assert_eq!(CartLine::MAX_ENCODED_LEN, 5 + 3);
    assert_eq!(
        ShopSession::MAX_PAYLOAD_LEN,
        11 + 25 + Theme::MAX_ENCODED_LEN + (1 + 10 * 8) + 9 + 10 + 2
    );
    assert_eq!(Tiny::MAX_COOKIE_LEN, 1 + 80);
}

mod v1 {
    use super::*;
    #[derive(CookieSession, Serialize, Deserialize, Default)]
    #[session(name = "s", version = 1)]
    pub struct S {
        pub a: u32,
        pub b: bool,
    }
}
mod renamed_field {
    use super::*;
    #[derive(CookieSession, Serialize, Deserialize, Default)]
    #[session(name = "s", version = 1)]
    pub struct S {
        pub a: u32,
        pub c: bool,
    }
}
mod retyped_field {
    use super::*;
    #[derive(CookieSession, Serialize, Deserialize, Default)]
    #[session(name = "s", version = 1)]
    pub struct S {
        pub a: u64,
        pub b: bool,
    }
}
mod reordered {
    use super::*;
    #[derive(CookieSession, Serialize, Deserialize, Default)]
    #[session(name = "s", version = 1)]
    pub struct S {
        pub b: bool,
        pub a: u32,
    }
}
mod bumped {
    use super::*;
    #[derive(CookieSession, Serialize, Deserialize, Default)]
    #[session(name = "s", version = 2)]
    pub struct S {
        pub a: u32,
        pub b: bool,
    }
}
mod same_as_v1_other_spelling {
    use super::*;
    #[derive(CookieSession, Serialize, Deserialize, Default)]
    #[session(name = "s", version = 1)]
    pub struct Renamed {
        pub a: core::primitive::u32,
        pub b: ::core::primitive::bool,
    }
}

#[derive(MaxEncodedLen, Serialize, Deserialize, Default)]
struct InnerA {
    x: u8,
}
#[derive(MaxEncodedLen, Serialize, Deserialize, Default)]
struct InnerB {
    x: u16,
}
mod nested_a {
    use super::*;
    #[derive(CookieSession, Serialize, Deserialize, Default)]
    #[session(name = "n", version = 1)]
    pub struct S {
        pub(super) inner: InnerA,
    }
}
mod nested_b {
    use super::*;
    #[derive(CookieSession, Serialize, Deserialize, Default)]
    #[session(name = "n", version = 1)]
    pub struct S {
        pub(super) inner: InnerB,
    }
}

#[test]
fn schema_fingerprint_tracks_every_change_that_matters() {
    let base = v1::S::SCHEMA_FINGERPRINT;
    assert_ne!(base, renamed_field::S::SCHEMA_FINGERPRINT, "field renamed");
    assert_ne!(
        base,
        retyped_field::S::SCHEMA_FINGERPRINT,
        "field type changed"
    );
    assert_ne!(base, reordered::S::SCHEMA_FINGERPRINT, "fields reordered");
    assert_ne!(base, bumped::S::SCHEMA_FINGERPRINT, "version bumped");
    assert_ne!(
        nested_a::S::SCHEMA_FINGERPRINT,
        nested_b::S::SCHEMA_FINGERPRINT,
        "a nested type changed"
    );
    // The struct's name and the spelling of a type do not change the encoding.
    assert_eq!(base, same_as_v1_other_spelling::Renamed::SCHEMA_FINGERPRINT);
}

#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(
    name = "pref",
    version = 1,
    budget = 512,
    path = "/app",
    domain = "example.com",
    secure = false,
    http_only = false,
    same_site = "Strict"
)]
struct Preferences {
    dark: bool,
}

#[test]
fn declared_cookie_attributes_become_the_defaults() {
    let attributes = Preferences::ATTRIBUTES;
    assert_eq!(attributes.path, "/app");
    assert_eq!(attributes.domain.as_deref(), Some("example.com"));
    assert!(!attributes.secure);
    assert!(!attributes.http_only);
    assert_eq!(attributes.same_site, SameSite::Strict);
    assert_eq!(Preferences::BUDGET, 512);
    let mut prefs = Preferences::default();
    prefs.set_dark(true);
    assert!(*prefs.dark());
}

// Generic types deriving MaxEncodedLen get a `T: MaxEncodedLen` bound.
#[derive(MaxEncodedLen, Serialize, Deserialize, Default)]
struct Pair<T> {
    left: T,
    right: T,
}

#[derive(MaxEncodedLen, Serialize, Deserialize)]
enum Empty {}

#[derive(MaxEncodedLen, Serialize, Deserialize, Default)]
struct Unit;

#[derive(MaxEncodedLen, Serialize, Deserialize, Default)]
struct Newtype(u32);

#[test]
fn derive_covers_generics_and_edge_shapes() {
    assert_eq!(Pair::<u32>::MAX_ENCODED_LEN, 10);
    assert_eq!(Empty::MAX_ENCODED_LEN, 0);
    assert_eq!(Unit::MAX_ENCODED_LEN, 0);
    assert_eq!(Newtype::MAX_ENCODED_LEN, 5);
    // Bounds match postcard's real output at the extremes.
    let pair = Pair {
        left: u32::MAX,
        right: u32::MAX,
    };
    assert_eq!(
        postcard::to_allocvec(&pair).unwrap().len(),
        Pair::<u32>::MAX_ENCODED_LEN
    );
    let theme = Theme::Custom {
        accent: [255; 3],
        name: BoundedString::try_from("x".repeat(12).as_str()).unwrap(),
    };
    assert_eq!(
        postcard::to_allocvec(&theme).unwrap().len(),
        Theme::MAX_ENCODED_LEN
    );
}
