//! The derive's output resolves every name through absolute paths: it compiles
//! in a crate without the prelude.
#![no_implicit_prelude]

#[derive(
    ::session_runtime::CookieSession,
    ::serde::Serialize,
    ::serde::Deserialize,
    ::core::default::Default,
    ::core::fmt::Debug,
    ::core::cmp::PartialEq,
)]
#[session(name = "__Host-hygiene", version = 4, same_site = "Strict")]
struct Hygienic {
    id: ::core::option::Option<u64>,
    #[serde(skip)]
    cache: ::std::string::String,
    nested: Inner,
    name: ::session_runtime::BoundedString<8>,
}

#[derive(
    ::session_runtime::MaxEncodedLen,
    ::serde::Serialize,
    ::serde::Deserialize,
    ::core::default::Default,
    ::core::fmt::Debug,
    ::core::cmp::PartialEq,
)]
enum Inner {
    #[default]
    A,
    B(u8, ::session_runtime::BoundedVec<u16, 2>),
}

#[derive(
    ::session_runtime::CookieSession,
    ::serde::Serialize,
    ::serde::Deserialize,
    ::core::default::Default,
)]
#[session(name = "__Host-hygiene", version = 5, same_site = "Strict", migrate_from = Hygienic)]
struct HygienicNext {
    id: ::core::option::Option<u64>,
}

impl ::core::convert::From<Hygienic> for HygienicNext {
    fn from(old: Hygienic) -> Self {
        HygienicNext { id: old.id }
    }
}

#[test]
fn derive_needs_no_prelude() {
    let mut session = <Hygienic as ::core::default::Default>::default();
    session.set_id(::core::option::Option::Some(3));
    ::std::assert_eq!(session.id(), &::core::option::Option::Some(3));
    ::std::assert_eq!(session.nested(), &Inner::A);
    *session.nested_mut() = Inner::B(1, ::core::default::Default::default());
    ::std::assert_eq!(
        session.nested(),
        &Inner::B(1, ::core::default::Default::default())
    );
    ::std::assert_eq!(<Hygienic as ::session_runtime::CookieSession>::VERSION, 4);
    const { ::std::assert!(<Hygienic as ::session_runtime::CookieSession>::MAX_COOKIE_LEN < 4096) };
}
