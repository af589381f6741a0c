//! Genuine cookies written by a changed struct, and cookies moved to another
//! cookie name.

use std::fmt::Debug;

use serde::{Deserialize, Serialize};
use session_runtime::{BoundedString, BoundedVec, CookieSession, LoadStatus};
use session_tests::reference::{hint, reference_base64, Header};
use session_tests::{
    config_on, issue, shop_sample, AppNext, AppSession, AppWider, AtBudget, ShopSession, Tiny,
};

use crate::ctx::Ctx;
use crate::report::Report;
use crate::{app_sample, at_budget_sample, enc, enc_sample};

// --- genuine cookies written by a changed struct ----------------------------

mod changed {
    use super::*;

    /// `Tiny` with its field widened.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "t", version = 1)]
    pub struct TinyWide {
        pub n: u16,
    }

    /// `Tiny` with its field renamed.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "t", version = 1)]
    pub struct TinyRenamed {
        pub m: u8,
    }

    /// `AppSession` with two fields swapped.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "__Host-app", version = 2)]
    pub struct AppReordered {
        pub display_name: BoundedString<32>,
        pub user_id: Option<u64>,
        pub roles: BoundedVec<u16, 8>,
        pub csrf: [u8; 32],
    }
}

/// A genuine cookie (right key, right name) written by a struct of another
/// shape or version: refused after the MAC by the version or fingerprint.
fn changed_case<
    S: CookieSession + Clone + PartialEq + Debug,
    T: CookieSession + Clone + PartialEq + Debug,
>(
    report: &mut Report,
    ctx: &Ctx<T>,
    data: S,
) {
    let writer = config_on::<S>(1, &ctx.clock);
    let value = issue(&writer, data);
    let expected = if S::VERSION != T::VERSION {
        "wrong_version"
    } else {
        "schema_mismatch"
    };
    report.case(
        ctx,
        "genuine cookie of a changed struct",
        value.as_bytes(),
        Some(expected),
    );
}

#[test]
fn a_genuine_cookie_of_a_changed_struct_is_rejected() {
    use changed::*;
    let mut report = Report::new("genuine cookies of changed structs (same name, same key)");
    let tiny = Ctx::<Tiny>::new("Tiny", 1, &[]);
    let app = Ctx::<AppSession>::new("AppSession", 1, &[]);
    changed_case(&mut report, &tiny, TinyWide { n: 3 });
    changed_case(&mut report, &tiny, TinyRenamed { m: 3 });
    changed_case(&mut report, &app, AppWider::default());
    changed_case(&mut report, &app, AppReordered::default());
    changed_case(&mut report, &app, AppNext::default());
    // And the other way round: the old struct's cookie after a deploy.
    changed_case(
        &mut report,
        &Ctx::<TinyWide>::new("TinyWide", 1, &[]),
        Tiny { n: 3 },
    );
    changed_case(
        &mut report,
        &Ctx::<TinyRenamed>::new("TinyRenamed", 1, &[]),
        Tiny { n: 3 },
    );
    changed_case(
        &mut report,
        &Ctx::<AppWider>::new("AppWider", 1, &[]),
        app_sample(),
    );
    changed_case(
        &mut report,
        &Ctx::<AppReordered>::new("AppReordered", 1, &[]),
        app_sample(),
    );
    changed_case(
        &mut report,
        &Ctx::<AppNext>::new("AppNext", 1, &[]),
        app_sample(),
    );
    report.note(
        "genuine cookie of a changed struct",
        "Tiny ↔ widened / renamed field; AppSession ↔ wider bound / reordered fields / version 3",
    );
    report.finish();
}

// --- genuine cookies of structs that differ only by serde attributes --------

mod serde_layouts {
    use super::*;
    use session_runtime::MaxEncodedLen;

    /// The deploy before: every field on the wire.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "__Host-cart", version = 1)]
    pub struct Cart {
        pub cart_open: bool,
        pub user_id: Option<u32>,
    }

    /// The deploy after, same name and version: `cart_open` skipped. Without
    /// the skip in the fingerprint, `{cart_open: true, user_id: None}`
    /// (payload `01 00`) would load as `user_id = Some(0)`.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "__Host-cart", version = 1)]
    pub struct CartSkip {
        #[serde(skip)]
        pub cart_open: bool,
        pub user_id: Option<u32>,
    }

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    pub struct Pair {
        pub a: u8,
        pub b: u8,
    }

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    pub struct PairSkip {
        #[serde(skip)]
        pub a: u8,
        pub b: u8,
    }

    /// A nested struct, before.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "__Host-nest", version = 1)]
    pub struct Nest {
        pub pair: Pair,
        pub n: u8,
    }

    /// The same session with a field of the nested struct skipped.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "__Host-nest", version = 1)]
    pub struct NestSkip {
        pub pair: PairSkip,
        pub n: u8,
    }

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    pub enum Mode {
        #[default]
        Light,
        Dark,
    }

    #[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    pub enum ModeOther {
        #[default]
        Light,
        Dark,
        #[serde(other)]
        Unknown,
    }

    /// An enum, before.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "__Host-mode", version = 1)]
    pub struct Modes {
        pub mode: Mode,
    }

    /// The same enum with a `#[serde(other)]` catch-all variant.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
    #[session(name = "__Host-mode", version = 1)]
    pub struct ModesOther {
        pub mode: ModeOther,
    }
}

#[test]
fn a_genuine_cookie_of_a_struct_with_other_serde_attributes_is_rejected() {
    use serde_layouts::*;
    let mut report = Report::new("genuine cookies of structs differing only by serde attributes");
    let category = "serde-attribute layouts";
    fn layout_case<
        S: CookieSession + Clone + PartialEq + Debug,
        T: CookieSession + Clone + PartialEq + Debug,
    >(
        report: &mut Report,
        label: &'static str,
        data: S,
        expected: &str,
    ) {
        let ctx = Ctx::<T>::new(label, 1, &[]);
        let writer = config_on::<S>(1, &ctx.clock);
        let value = issue(&writer, data);
        report.case(
            &ctx,
            "serde-attribute layouts",
            value.as_bytes(),
            Some(expected),
        );
    }
    layout_case::<Cart, CartSkip>(
        &mut report,
        "CartSkip",
        Cart {
            cart_open: true,
            user_id: None,
        },
        "schema_mismatch",
    );
    layout_case::<CartSkip, Cart>(
        &mut report,
        "Cart",
        CartSkip {
            cart_open: false,
            user_id: Some(7),
        },
        "schema_mismatch",
    );
    // The skip makes NestSkip's largest cookie one byte shorter: the full
    // cookie is refused on its length, before anything is decoded.
    layout_case::<Nest, NestSkip>(&mut report, "NestSkip", Nest::default(), "too_long");
    layout_case::<NestSkip, Nest>(&mut report, "Nest", NestSkip::default(), "schema_mismatch");
    layout_case::<Modes, ModesOther>(
        &mut report,
        "ModesOther",
        Modes { mode: Mode::Dark },
        "schema_mismatch",
    );
    layout_case::<ModesOther, Modes>(
        &mut report,
        "Modes",
        ModesOther::default(),
        "schema_mismatch",
    );
    report.note(
        category,
        "field `skip` (the issue's `cart_open` attack, both ways), `skip` inside a nested MaxEncodedLen struct, a `#[serde(other)]` variant",
    );
    report.finish();
}

// --- the cookie moved to every other cookie name ----------------------------

macro_rules! app_alias {
    ($($ty:ident = $name:literal),* $(,)?) => {$(
        /// `AppSession`'s fields and version under another cookie name.
        #[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
        #[session(name = $name, version = 2)]
        struct $ty {
            user_id: Option<u64>,
            display_name: BoundedString<32>,
            roles: BoundedVec<u16, 8>,
            csrf: [u8; 32],
        }
    )*};
}

app_alias!(
    AliasHost2 = "__Host-app2",
    AliasShort = "__Host-ap",
    AliasLowerPrefix = "__host-app",
    AliasUpperName = "__Host-App",
    AliasSecure = "__Secure-app",
    AliasPlain = "app",
    AliasNoPrefix = "Host-app",
);

/// An encrypted session under another name than `enc::Enc`.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-enc2", version = 1, encrypted)]
struct EncOtherName {
    user_id: Option<u64>,
    email: BoundedString<40>,
    roles: BoundedVec<u16, 4>,
}

/// Presents `value` (issued for `source`, `encrypted` or not) to `ctx`: too
/// long for it, the other mode's format byte, a version it does not read, or
/// a tag that does not verify because the name is bound into it.
fn moved<T: CookieSession + Clone + PartialEq + Debug>(
    report: &mut Report,
    ctx: &Ctx<T>,
    (source, encrypted, value): &(&str, bool, String),
) {
    let (source, value) = (*source, value.as_str());
    if source == T::NAME {
        return;
    }
    // The documented order: length cap, envelope length, format byte; the
    // key is the same; then the version (before the MAC); then the MAC, which
    // binds the name and fails, named by the fingerprint hint.
    let raw = reference_base64(value.as_bytes()).expect("a genuine cookie");
    let expected = if value.len() > ctx.max_value_len() {
        "too_long"
    } else if raw.len() < ctx.mode().overhead() {
        "truncated"
    } else if *encrypted != T::ENCRYPTED {
        "unknown_format"
    } else {
        let header = Header::parse(&raw);
        match ctx.fingerprint_for(header.version) {
            None => "wrong_version",
            Some(fingerprint) if hint(fingerprint) != header.hint => "schema_mismatch",
            Some(_) => "bad_signature",
        }
    };
    report.case(
        ctx,
        "moved to another cookie name",
        value.as_bytes(),
        Some(expected),
    );
    // Sent under its own name, the cookie is not even a candidate here.
    let header = format!("{source}={value}");
    let session = ctx.config.load_cookies([header.as_bytes()]);
    assert_eq!(
        session.status(),
        &LoadStatus::Missing,
        "{source} -> {}",
        T::NAME
    );
}

#[test]
fn a_cookie_moved_to_any_other_name_is_rejected() {
    let mut report = Report::new("every shape's cookie under every other name");
    let tiny = Ctx::<Tiny>::new("Tiny", 1, &[]);
    let app = Ctx::<AppSession>::new("AppSession", 1, &[]);
    let shop = Ctx::<ShopSession>::new("ShopSession", 1, &[]);
    let big = Ctx::<AtBudget>::new("AtBudget", 1, &[]);
    let enc = Ctx::<enc::Enc>::new("Enc", 1, &[]);
    let enc2 = Ctx::<EncOtherName>::new("EncOtherName", 1, &[]);
    let aliases = (
        Ctx::<AliasHost2>::new("AliasHost2", 1, &[]),
        Ctx::<AliasShort>::new("AliasShort", 1, &[]),
        Ctx::<AliasLowerPrefix>::new("AliasLowerPrefix", 1, &[]),
        Ctx::<AliasUpperName>::new("AliasUpperName", 1, &[]),
        Ctx::<AliasSecure>::new("AliasSecure", 1, &[]),
        Ctx::<AliasPlain>::new("AliasPlain", 1, &[]),
        Ctx::<AliasNoPrefix>::new("AliasNoPrefix", 1, &[]),
    );
    // Same fields, same version: only the name in the MAC tells them apart.
    assert_eq!(
        AliasHost2::SCHEMA_FINGERPRINT,
        AppSession::SCHEMA_FINGERPRINT
    );
    let sources = [
        (Tiny::NAME, false, issue(&tiny.config, Tiny { n: 200 })),
        (AppSession::NAME, false, issue(&app.config, app_sample())),
        (ShopSession::NAME, false, issue(&shop.config, shop_sample())),
        (
            AtBudget::NAME,
            false,
            issue(&big.config, at_budget_sample()),
        ),
        (
            AliasHost2::NAME,
            false,
            issue(&aliases.0.config, AliasHost2::default()),
        ),
        (
            AliasUpperName::NAME,
            false,
            issue(&aliases.3.config, AliasUpperName::default()),
        ),
        (enc::Enc::NAME, true, issue(&enc.config, enc_sample())),
        (
            EncOtherName::NAME,
            true,
            issue(&enc2.config, EncOtherName::default()),
        ),
    ];
    for source in &sources {
        moved(&mut report, &tiny, source);
        moved(&mut report, &app, source);
        moved(&mut report, &shop, source);
        moved(&mut report, &big, source);
        moved(&mut report, &aliases.0, source);
        moved(&mut report, &aliases.1, source);
        moved(&mut report, &aliases.2, source);
        moved(&mut report, &aliases.3, source);
        moved(&mut report, &aliases.4, source);
        moved(&mut report, &aliases.5, source);
        moved(&mut report, &aliases.6, source);
        moved(&mut report, &enc, source);
        moved(&mut report, &enc2, source);
    }
    report.note(
        "moved to another cookie name",
        "8 sources (6 signed, 2 encrypted) × 13 names (4 shapes + 7 AppSession-shaped aliases: __Host-app2, __Host-ap, __host-app, __Host-App, __Secure-app, app, Host-app; __Host-enc, __Host-enc2)",
    );
    report.finish();
}
