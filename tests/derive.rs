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
    // 1 (name) + base64url(16 header + 1 payload + 16 tag = 33 bytes) = 1 + 44.
    assert_eq!(Tiny::MAX_COOKIE_LEN, 1 + 44);
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

/// A session for a cross-site `<iframe>`: `__Host-Http-`, partitioned.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(
    name = "__Host-Http-embed",
    version = 1,
    same_site = "None",
    partitioned
)]
struct Embedded {
    visits: u32,
}

#[test]
fn partitioned_sessions_render_partitioned_cookies() {
    let attributes = Embedded::ATTRIBUTES;
    assert!(attributes.partitioned);
    assert_eq!(attributes.same_site, SameSite::None);
    assert!(attributes.secure && attributes.http_only);
    for unpartitioned in [Preferences::ATTRIBUTES, CookieAttributes::SECURE_DEFAULTS] {
        assert!(!unpartitioned.partitioned);
    }
    let config = session_runtime::SessionConfig::<Embedded>::new(session_tests::key(1)).unwrap();
    let mut session = config.load(&http::HeaderMap::new());
    session.set_visits(1);
    let set_cookie = config.set_cookie(&session).unwrap().unwrap();
    assert!(set_cookie.starts_with("__Host-Http-embed="), "{set_cookie}");
    assert!(
        set_cookie.ends_with("; Path=/; Secure; HttpOnly; SameSite=None; Partitioned"),
        "{set_cookie}"
    );
    // Logging out must address the partitioned cookie, not an unpartitioned
    // one of the same name.
    session.clear();
    let removal = config.set_cookie(&session).unwrap().unwrap();
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert!(
        removal.ends_with("; SameSite=None; Partitioned"),
        "{removal}"
    );
    // One cookie of at most 4096 bytes always fits a CHIPS partition.
    assert!(session_runtime::limits::fits_partition(
        Embedded::MAX_COOKIE_LEN,
        1
    ));
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

/// A session defined in another module, as an app would: accessors follow each
/// field's visibility.
mod shop {
    use super::*;

    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "__Host-cart", version = 1)]
    pub struct CartSession {
        pub cart: BoundedVec<u32, 4>,
        pub(crate) visits: u16,
        pub(super) theme: u8,
        pub(in crate::shop) internal: u8,
        secret: u8,
    }

    impl CartSession {
        /// The private field's accessors are usable here, in the defining module.
        pub fn bump_secret(&mut self) -> u8 {
            *self.internal_mut() += 1;
            *self.secret_mut() += *self.internal();
            self.set_secret(self.secret().wrapping_mul(2));
            *self.secret()
        }
    }
}

#[test]
fn in_place_accessors_edit_through_a_session_and_mark_it_changed() {
    let config =
        session_runtime::SessionConfig::<shop::CartSession>::new(session_tests::key(4)).unwrap();
    let mut session = config.load(&http::HeaderMap::new());
    assert_eq!(session.pending_write(), None);
    session.cart_mut().try_push(7).unwrap();
    session.cart_mut().try_push(8).unwrap();
    assert_eq!(
        session.pending_write(),
        Some(session_runtime::WriteReason::Changed)
    );
    *session.visits_mut() += 1;
    session.set_theme(2);
    assert_eq!(session.bump_secret(), 2);
    let cookie = config.encode(&session).unwrap();
    let loaded = config.decode(cookie.as_bytes()).unwrap();
    assert_eq!(&**loaded.cart(), &[7, 8]);
    assert_eq!(loaded.visits(), &1);
    assert_eq!(loaded.theme(), &2);
    // Reading through the handle does not mark it changed.
    assert_eq!(loaded.pending_write(), None);
    let _: &u16 = loaded.visits();
    assert_eq!(loaded.pending_write(), None);
}

/// A session whose fields use every method-shaped name the handle does not own.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "names", version = 1)]
struct NearMisses {
    state: u8,
    renewed: bool,
    clear_at: u64,
    /// `Session::new` takes no `self`, so it cannot shadow this getter. (Under
    /// `cargo clippy -D warnings` this also pins that generated accessors are
    /// not linted as hand-written code: `new(&self) -> &bool` would trip
    /// `new_ret_no_self`.)
    new: bool,
}

/// Every reserved accessor name that is a method of `Session<T>` today, called
/// on a real handle: if one is renamed or removed, this stops compiling and
/// `session-derive/src/reserved.rs` must follow.
#[test]
fn every_existing_reserved_name_is_a_session_method() {
    let mut session = session_runtime::Session::<Tiny>::new();
    let _ = session.status();
    let _ = session.rejection();
    let _ = session.is_new();
    session.get_mut().n = 1;
    session.set(Tiny { n: 2 });
    session.renew();
    let _ = session.created_at();
    let _ = session.issued_at();
    let _ = session.pending_write();
    session.clear();
    // `into`/`try_into` are reserved because every type, the handle included,
    // has them: the point here is that they resolve on the handle.
    #[allow(clippy::useless_conversion)]
    let session: session_runtime::Session<Tiny> = session.into();
    #[allow(clippy::useless_conversion)]
    let session: Result<session_runtime::Session<Tiny>, _> = session.try_into();
    let _ = session.unwrap().into_inner();
    // `RequestSession::config`, type-checked only (building one needs a layer).
    fn _request_session(
        session: &session_runtime::RequestSession<Tiny>,
    ) -> &session_runtime::SessionConfig<Tiny> {
        session.config()
    }
    // Names close to the handle's methods reach the accessors through it.
    let mut near = session_runtime::Session::<NearMisses>::new();
    near.set_state(1);
    near.set_renewed(true);
    near.set_clear_at(3);
    near.set_new(true);
    assert_eq!(
        (near.state(), near.renewed(), near.clear_at(), near.new()),
        (&1, &true, &3, &true)
    );
}

/// The other direction: every public method of `Session<T>` and
/// `RequestSession<T>` in the runtime's sources is in the derive's reserved
/// list.
#[test]
fn reserved_names_cover_every_session_handle_method() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let reserved_src =
        std::fs::read_to_string(root.join("session-derive/src/reserved.rs")).unwrap();
    let entries = |marker: &str| -> Vec<String> {
        reserved_src
            .split(marker)
            .skip(1)
            .filter_map(|rest| rest.split('"').next().map(str::to_owned))
            .collect()
    };
    let existing = entries("    r(\"");
    assert!(existing.contains(&"status".to_owned()), "{existing:?}");

    let methods = handle_methods(&root.join("session-runtime/src"));
    assert!(
        methods.contains(&"renew".to_owned()),
        "scan found {methods:?}"
    );
    assert!(
        methods.contains(&"config".to_owned()),
        "scan found {methods:?}"
    );
    for method in &methods {
        assert!(
            existing.contains(method),
            "`{method}` is a session handle method but not in session-derive/src/reserved.rs: \
             a field named after it would be shadowed silently"
        );
    }
    for name in &existing {
        assert!(
            methods.contains(name) || name == "into" || name == "try_into",
            "reserved.rs lists `{name}`, which is no longer a session handle method"
        );
    }
}

/// Names of `pub fn` methods (with a `self` receiver) inside inherent
/// `impl .. Session<T>` / `RequestSession<T>` blocks of every `.rs` file under
/// `dir`. Associated functions without `self` cannot shadow a field's getter.
fn handle_methods(dir: &std::path::Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            names.extend(handle_methods(&path));
            continue;
        }
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut depth: Option<i32> = None;
        for line in text.lines() {
            let trimmed = line.trim();
            if depth.is_none() {
                let is_handle_impl = trimmed.starts_with("impl")
                    && !trimmed.contains(" for ")
                    && (trimmed.contains(" Session<") || trimmed.contains(" RequestSession<"))
                    && trimmed.ends_with('{');
                if is_handle_impl {
                    depth = Some(0);
                } else {
                    continue;
                }
            }
            if let Some(rest) = trimmed.strip_prefix("pub fn ") {
                let name = rest.split(['(', '<']).next().unwrap_or_default();
                let receiver = rest.split_once('(').map_or("", |(_, args)| args);
                if ["self", "&self", "&mut self", "mut self"]
                    .iter()
                    .any(|form| receiver.starts_with(form))
                {
                    names.push(name.to_owned());
                }
            }
            let level = depth.unwrap() + line.matches('{').count() as i32
                - line.matches('}').count() as i32;
            depth = (level > 0).then_some(level);
        }
    }
    names
}
