//! serde attributes and the cookie's layout (docs/serde-attributes.md): an
//! attribute either leaves the postcard bytes alone, or is folded into both the
//! schema fingerprint and the size bound, or is a compile error (tests/ui).

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use session_runtime::{
    BoundedString, BoundedVec, CookieSession, MaxEncodedLen, Rejection, SessionConfig,
};
use session_tests::key;

/// The layout deployed first.
mod before {
    use super::*;
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "s", version = 1)]
    pub struct S {
        pub cart_open: bool,
        pub user_id: Option<u32>,
    }
}

/// The same name and version redeployed with `cart_open` skipped: without the
/// fold, the old payload `01 00` would decode as `user_id = Some(0)`.
mod after {
    use super::*;
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "s", version = 1)]
    pub struct S {
        #[serde(skip)]
        pub cart_open: bool,
        pub user_id: Option<u32>,
    }
}

fn encode<T: CookieSession>(data: &T) -> String {
    SessionConfig::<T>::new(key(5))
        .unwrap()
        .encode(data)
        .unwrap()
}

fn decode<T: CookieSession>(cookie: &str) -> Result<T, Rejection> {
    SessionConfig::<T>::new(key(5))
        .unwrap()
        .decode(cookie.as_bytes())
        .map(|session| session.into_inner())
}

#[test]
fn adding_skip_is_a_schema_change_so_old_cookies_are_refused() {
    let old = before::S {
        cart_open: true,
        user_id: None,
    };
    assert_eq!(postcard::to_allocvec(&old).unwrap(), [1, 0]);
    let cookie = encode(&old);
    // The skip attack (docs/serde-attributes.md): the same bytes read through the new layout.
    assert_eq!(
        postcard::from_bytes::<after::S>(&[1, 0]).unwrap().user_id,
        Some(0)
    );
    assert!(matches!(
        decode::<after::S>(&cookie),
        Err(Rejection::SchemaMismatch { .. })
    ));
    // And the other way round (rolling back the deploy).
    let new = after::S {
        cart_open: false,
        user_id: Some(7),
    };
    assert!(matches!(
        decode::<before::S>(&encode(&new)),
        Err(Rejection::SchemaMismatch { .. })
    ));
    assert_ne!(before::S::SCHEMA_FINGERPRINT, after::S::SCHEMA_FINGERPRINT);
}

#[test]
fn a_skipped_field_is_neither_stored_nor_counted() {
    // Option<u32>: 1 tag byte + 5 varint bytes; the bool is not stored.
    assert_eq!(after::S::MAX_PAYLOAD_LEN, 6);
    assert_eq!(before::S::MAX_PAYLOAD_LEN, 7);
    let data = after::S {
        cart_open: true,
        user_id: Some(9),
    };
    let back = decode::<after::S>(&encode(&data)).unwrap();
    assert_eq!(
        back,
        after::S {
            cart_open: false,
            user_id: Some(9)
        },
        "a skipped field comes back as its default"
    );
}

/// A skipped field needs no size bound: it never reaches the cookie.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, PartialEq)]
#[session(name = "cache", version = 1)]
struct WithCache {
    user_id: u32,
    #[serde(skip)]
    rendered_menu: String,
    #[serde(skip, default = "seven")]
    computed: u8,
}

fn seven() -> u8 {
    7
}

#[test]
fn a_skipped_field_may_be_unbounded_and_take_its_default() {
    assert_eq!(WithCache::MAX_PAYLOAD_LEN, 5);
    let data = WithCache {
        user_id: 3,
        rendered_menu: "x".repeat(10_000),
        computed: 1,
    };
    let cookie = encode(&data);
    assert!(WithCache::NAME.len() + cookie.len() <= WithCache::MAX_COOKIE_LEN);
    let back = decode::<WithCache>(&cookie).unwrap();
    assert_eq!(back.user_id, 3);
    assert_eq!(back.rendered_menu, "");
    assert_eq!(
        back.computed, 7,
        "`default = \"...\"` supplies a skipped field"
    );
}

/// Nested types fold `skip` and `other` the same way.
mod nested {
    use super::*;

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, PartialEq)]
    pub struct Plain {
        pub a: u8,
        pub b: u16,
    }

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, PartialEq)]
    pub struct Skipping {
        pub a: u8,
        #[serde(skip)]
        pub b: u16,
    }

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    pub enum Mode {
        #[default]
        Light,
        Dark,
        Custom(u8, #[serde(skip)] u32),
    }

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, PartialEq)]
    pub enum ModeNoSkip {
        #[default]
        Light,
        Dark,
        Custom(u8, u32),
    }

    /// A newtype variant whose only field is skipped encodes as a unit variant.
    #[derive(MaxEncodedLen, Serialize, Deserialize, Debug, PartialEq)]
    pub enum Wrapped {
        Solo(#[serde(skip)] u32),
        Pair(u8),
    }

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, PartialEq)]
    pub enum ModeWithOther {
        #[default]
        Light,
        Dark,
        #[serde(other)]
        Unknown,
    }

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, PartialEq)]
    pub enum ModeWithoutOther {
        #[default]
        Light,
        Dark,
        Unknown,
    }
}

#[test]
fn nested_skip_and_other_change_the_hash_and_the_bound() {
    use nested::*;
    assert_eq!(Plain::MAX_ENCODED_LEN, 1 + 3);
    assert_eq!(Skipping::MAX_ENCODED_LEN, 1);
    assert_ne!(Plain::SCHEMA_HASH, Skipping::SCHEMA_HASH);
    assert_eq!(ModeNoSkip::MAX_ENCODED_LEN, 1 + 1 + 5);
    assert_eq!(Mode::MAX_ENCODED_LEN, 1 + 1);
    assert_ne!(Mode::SCHEMA_HASH, ModeNoSkip::SCHEMA_HASH);
    assert_eq!(
        postcard::to_allocvec(&Mode::Custom(255, u32::MAX))
            .unwrap()
            .len(),
        Mode::MAX_ENCODED_LEN
    );
    assert_eq!(Wrapped::MAX_ENCODED_LEN, 1 + 1);
    assert_eq!(postcard::to_allocvec(&Wrapped::Solo(5)).unwrap(), [0]);
    assert_eq!(
        postcard::from_bytes::<Wrapped>(&[0]).unwrap(),
        Wrapped::Solo(0)
    );
    // `other` turns an unknown index into a value instead of an error.
    assert_eq!(
        postcard::from_bytes::<ModeWithOther>(&[9]).unwrap(),
        ModeWithOther::Unknown
    );
    assert!(postcard::from_bytes::<ModeWithoutOther>(&[9]).is_err());
    assert_ne!(ModeWithOther::SCHEMA_HASH, ModeWithoutOther::SCHEMA_HASH);
    assert_eq!(
        ModeWithOther::MAX_ENCODED_LEN,
        ModeWithoutOther::MAX_ENCODED_LEN
    );
}

/// The allowed attributes, all at once.
mod plain {
    use super::*;

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    pub struct Inner {
        pub x: u32,
    }

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    pub enum Kind {
        #[default]
        First,
        Second {
            value: u16,
        },
    }

    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "allowed", version = 1)]
    pub struct S {
        pub user_id: Option<u64>,
        pub name: BoundedString<8>,
        pub inner: Inner,
        pub kind: Kind,
        pub roles: BoundedVec<u8, 3>,
    }
}

mod annotated {
    use super::*;

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[serde(transparent)]
    pub struct Inner {
        pub x: u32,
    }

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[serde(
        rename = "Sort",
        rename_all = "UPPERCASE",
        rename_all_fields = "camelCase"
    )]
    #[serde(expecting = "a kind", bound(serialize = "", deserialize = ""))]
    pub enum Kind {
        #[default]
        #[serde(rename = "one", alias = "uno")]
        First,
        #[serde(rename_all = "kebab-case", bound = "")]
        Second {
            #[serde(rename = "v", alias = "val", default, bound = "")]
            value: u16,
        },
    }

    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "allowed", version = 1)]
    #[serde(
        rename = "Session",
        rename_all = "SCREAMING_SNAKE_CASE",
        deny_unknown_fields
    )]
    #[serde(default, crate = "serde", expecting = "a session")]
    pub struct S {
        #[serde(rename = "uid", alias = "user")]
        pub user_id: Option<u64>,
        #[serde(default = "default_name")]
        pub name: BoundedString<8>,
        // Not applied: the predicate is false, so the field keeps its layout.
        #[cfg_attr(any(), serde(skip))]
        pub inner: Inner,
        #[serde(alias = "sort")]
        pub kind: Kind,
        #[serde(default)]
        pub roles: BoundedVec<u8, 3>,
    }

    fn default_name() -> BoundedString<8> {
        BoundedString::try_from("anon").unwrap()
    }
}

fn plain_value() -> plain::S {
    plain::S {
        user_id: Some(u64::MAX),
        name: BoundedString::try_from("Ada").unwrap(),
        inner: plain::Inner { x: 300 },
        kind: plain::Kind::Second { value: 513 },
        roles: BoundedVec::try_from([1, 2]).unwrap(),
    }
}

fn annotated_value() -> annotated::S {
    annotated::S {
        user_id: Some(u64::MAX),
        name: BoundedString::try_from("Ada").unwrap(),
        inner: annotated::Inner { x: 300 },
        kind: annotated::Kind::Second { value: 513 },
        roles: BoundedVec::try_from([1, 2]).unwrap(),
    }
}

#[test]
fn allowed_attributes_leave_bytes_fingerprint_and_bound_alone() {
    let plain = plain_value();
    let annotated = annotated_value();
    assert_eq!(
        postcard::to_allocvec(&plain).unwrap(),
        postcard::to_allocvec(&annotated).unwrap(),
        "names, aliases, defaults, bounds and `transparent` do not reach postcard's bytes"
    );
    assert_eq!(
        plain::S::SCHEMA_FINGERPRINT,
        annotated::S::SCHEMA_FINGERPRINT
    );
    assert_eq!(plain::S::MAX_PAYLOAD_LEN, annotated::S::MAX_PAYLOAD_LEN);
    // So a cookie written by either reads back through the other.
    assert_eq!(decode::<annotated::S>(&encode(&plain)).unwrap(), annotated);
    assert_eq!(decode::<plain::S>(&encode(&annotated)).unwrap(), plain);
    assert_eq!(
        decode::<annotated::S>(&encode(&annotated)).unwrap(),
        annotated
    );
    let first = annotated::S {
        kind: annotated::Kind::First,
        ..annotated_value()
    };
    assert_eq!(decode::<annotated::S>(&encode(&first)).unwrap(), first);
}

/// `cfg_attr` reaches the derive already evaluated: under a true predicate the
/// attribute counts exactly like a plain one.
mod cfg_true {
    use super::*;
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "s", version = 1)]
    pub struct S {
        #[cfg_attr(all(), serde(skip))]
        pub cart_open: bool,
        pub user_id: Option<u32>,
    }
}

mod cfg_false {
    use super::*;
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "s", version = 1)]
    pub struct S {
        #[cfg_attr(any(), serde(skip))]
        pub cart_open: bool,
        pub user_id: Option<u32>,
    }
}

#[test]
fn cfg_attr_is_seen_exactly_when_its_predicate_holds() {
    assert_eq!(
        cfg_true::S::SCHEMA_FINGERPRINT,
        after::S::SCHEMA_FINGERPRINT
    );
    assert_eq!(cfg_true::S::MAX_PAYLOAD_LEN, after::S::MAX_PAYLOAD_LEN);
    assert_eq!(
        cfg_false::S::SCHEMA_FINGERPRINT,
        before::S::SCHEMA_FINGERPRINT
    );
    assert_eq!(cfg_false::S::MAX_PAYLOAD_LEN, before::S::MAX_PAYLOAD_LEN);
    let old = before::S {
        cart_open: true,
        user_id: None,
    };
    assert!(matches!(
        decode::<cfg_true::S>(&encode(&old)),
        Err(Rejection::SchemaMismatch { .. })
    ));
}

/// A session with skipped fields between stored ones, for the property test.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-skips", version = 3)]
struct Skips {
    #[serde(skip)]
    cache: Option<u64>,
    user_id: Option<u64>,
    #[serde(skip)]
    scratch: [u8; 16],
    name: BoundedString<24>,
    mode: nested::Mode,
    #[serde(skip)]
    notes: Vec<String>,
    tags: BoundedVec<u16, 6>,
}

fn mode() -> impl Strategy<Value = nested::Mode> {
    prop_oneof![
        Just(nested::Mode::Light),
        Just(nested::Mode::Dark),
        (any::<u8>(), any::<u32>()).prop_map(|(a, b)| nested::Mode::Custom(a, b)),
    ]
}

fn skips() -> impl Strategy<Value = Skips> {
    (
        any::<Option<u64>>(),
        any::<Option<u64>>(),
        any::<[u8; 16]>(),
        any::<String>(),
        mode(),
        prop::collection::vec(any::<String>(), 0..4),
        prop::collection::vec(any::<u16>(), 0..=6),
    )
        .prop_map(|(cache, user_id, scratch, name, mode, notes, tags)| Skips {
            cache,
            user_id,
            scratch,
            name: BoundedString::truncating(&name),
            mode,
            notes,
            tags: BoundedVec::try_from(tags).unwrap(),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn skip_fields_never_push_the_cookie_past_its_bound(data in skips()) {
        let payload = postcard::to_allocvec(&data).unwrap();
        prop_assert!(payload.len() <= Skips::MAX_PAYLOAD_LEN);
        let cookie = encode(&data);
        prop_assert!(Skips::NAME.len() + cookie.len() <= Skips::MAX_COOKIE_LEN);
        let back = decode::<Skips>(&cookie).unwrap();
        // The skipped fields come back at their defaults, the rest as written.
        let expected = Skips {
            cache: None,
            scratch: [0; 16],
            notes: Vec::new(),
            mode: match data.mode {
                nested::Mode::Custom(a, _) => nested::Mode::Custom(a, 0),
                ref other => other.clone(),
            },
            ..data.clone()
        };
        prop_assert_eq!(back, expected);
    }
}

#[test]
fn the_skips_session_bound_counts_only_stored_fields() {
    // Option<u64> 11 + BoundedString<24> 25 + Mode 2 + BoundedVec<u16, 6> 1 + 18.
    assert_eq!(Skips::MAX_PAYLOAD_LEN, 11 + 25 + 2 + 19);
}
