//! Derive macros for `session-runtime`. Depend on `session-runtime` (which
//! re-exports them), not on this crate.
//!
//! The stages follow thiserror's layout: `attr` parses `#[session(...)]`,
//! `ast` checks the shape of the input, `valid` enforces the cookie rules,
//! `serde_attrs` decides which `#[serde(...)]` attributes a cookie can carry,
//! `expand`, `accessors` and `max_len` generate code (`reserved` lists the
//! accessor names a session handle owns), `fallback` keeps one mistake from
//! cascading into many errors.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod accessors;
mod ast;
mod attr;
mod dbsc;
mod errors;
mod expand;
mod fallback;
mod max_len;
mod reserved;
mod serde_attrs;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Implements `CookieSession` and `MaxEncodedLen` for a struct with named
/// fields and generates typed accessors (`field()`, `set_field(value)`,
/// `field_mut()`), each with the field's own visibility.
///
/// Attributes: `#[session(name = "...", version = N)]` (required) and optional
/// `budget = N` (at most 4096, the default), `crate = "path"`, and the cookie
/// attributes `path`, `domain`, `secure`, `http_only`, `same_site`.
///
/// A field whose accessor would be shadowed by a method of the session handle
/// (`status`, `clear`, `renew`, ...) is a compile error at the field. serde
/// attributes are checked against an allowlist: `#[serde(skip)]` counts as 0
/// bytes and changes the schema fingerprint, and attributes that change the
/// encoding in ways the size bound cannot follow are compile errors (the table
/// is in `docs/serde-attributes.md`).
#[proc_macro_derive(CookieSession, attributes(session))]
pub fn derive_cookie_session(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive_cookie_session(&input).into()
}

/// Implements `MaxEncodedLen` for a struct or enum used inside a session: the
/// bound is the sum of the fields' bounds (the largest variant, for enums).
/// serde attributes follow the same allowlist as on a session struct.
#[proc_macro_derive(MaxEncodedLen, attributes(session))]
pub fn derive_max_encoded_len(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    max_len::derive_max_encoded_len(&input).into()
}
