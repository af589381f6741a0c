//! Which `#[serde(...)]` attributes a cookie session may carry.
//!
//! The payload is postcard, a format without field names or type tags: a
//! struct is its fields in order, an enum is `varint(variant index)` and the
//! variant's fields. An attribute is therefore judged by what it does to those
//! bytes. It is an **allowlist**: a key is accepted only if it is listed here as
//! having no effect on the bytes (names, bounds, error messages), or as one
//! whose effect the derive folds into both the size bound and the schema hash
//! (`skip` on a field, `other` on a variant). Every other key, including keys a
//! future serde adds, is refused with one error at the key. The decision for
//! each key, and why, is the table in `docs/serde-attributes.md`; keep the two
//! in step.
//!
//! `#[cfg_attr(predicate, serde(...))]` needs no code here: rustc evaluates
//! `cfg` and `cfg_attr` on the item before it calls a derive, so the derive sees
//! a `#[serde(...)]` exactly when the predicate holds (pinned by
//! `tests/ui/serde_cfg_attr.rs` and `tests/serde_layouts.rs`).

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::Attribute;

use crate::errors::Errors;

/// Where an attribute sits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Container,
    Variant,
    Field,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Container => "container",
            Level::Variant => "variant",
            Level::Field => "field",
        }
    }
}

/// What serde's attributes on one field mean for the bytes.
#[derive(Default, Clone, Copy)]
pub(crate) struct FieldLayout {
    /// `#[serde(skip)]`: the field is neither written nor read. It contributes
    /// 0 bytes to the bound and a marker to the schema hash, and its type needs
    /// no size bound.
    pub skip: bool,
}

/// What serde's attributes on one enum variant mean for the bytes.
#[derive(Default, Clone, Copy)]
pub(crate) struct VariantLayout {
    /// `#[serde(other)]`: an unknown variant index decodes as this variant
    /// instead of failing. Encoding is unchanged; the schema hash records it.
    pub other: bool,
}

/// Whether a key is accepted at a level, and why not.
enum Decision {
    /// No effect on the postcard bytes or on how they map to values.
    Allowed,
    /// Changes the bytes in a way the derive accounts for (see [`FieldLayout`],
    /// [`VariantLayout`]).
    Folded,
    /// Refused, with the sentence that says why and what to write instead.
    Refused(&'static str),
    /// A serde key that serde itself refuses at this level: serde's error is
    /// the one the user needs, so no second error is added.
    SerdeRejects,
    /// Not a serde key this derive knows (a typo, or a key from a newer serde):
    /// its effect on the bytes is unknown, so it is refused.
    Unknown,
}

/// Every key serde_derive 1.0's attribute parser knows, at any level
/// (`serde_derive/src/internals/attr.rs`). A key outside this list is unknown
/// to the derive and refused, even if a newer serde accepts it.
const SERDE_KEYS: &[&str] = &[
    "alias",
    "borrow",
    "bound",
    "content",
    "crate",
    "default",
    "deny_unknown_fields",
    "deserialize_with",
    "expecting",
    "field_identifier",
    "flatten",
    "from",
    "getter",
    "into",
    "other",
    "remote",
    "rename",
    "rename_all",
    "rename_all_fields",
    "serialize_with",
    "skip",
    "skip_deserializing",
    "skip_serializing",
    "skip_serializing_if",
    "tag",
    "transparent",
    "try_from",
    "untagged",
    "variant_identifier",
    "with",
];

const CUSTOM_CODEC: &str = "runs custom (de)serialization code, whose bytes neither the \
     compile-time size bound nor the schema fingerprint can see; use a field type with its own \
     `Serialize`, `Deserialize` and `MaxEncodedLen` impls instead";

const SELF_DESCRIBING: &str = "needs a self-describing format (serde's `deserialize_any`), and \
     postcard is not one: the cookie could be written but never read back; remove it (postcard \
     writes the variant index, which is all an enum needs)";

const CONVERSION: &str = "makes the cookie carry the bytes of another type, which the \
     compile-time size bound and the schema fingerprint do not see; store that type as the field \
     instead, or convert in your own code";

fn decide(level: Level, key: &str) -> Decision {
    use Decision::{Allowed, Folded, Refused, SerdeRejects, Unknown};
    match (level, key) {
        // Names: postcard writes neither field nor variant names, and reads
        // variants by index, so renaming and aliases change nothing.
        (Level::Container, "rename" | "rename_all" | "rename_all_fields")
        | (Level::Variant, "rename" | "rename_all" | "alias")
        | (Level::Field, "rename" | "alias") => Allowed,
        // Generated-code details with no effect on the bytes.
        (Level::Container, "bound" | "crate" | "expecting" | "deny_unknown_fields")
        | (Level::Variant | Level::Field, "bound" | "borrow") => Allowed,
        // `default` fills fields missing from the input; postcard never reports a
        // missing field (a struct is a fixed-length sequence), so it only
        // supplies the value of a `skip`ped field.
        (Level::Container | Level::Field, "default") => Allowed,
        // A struct and its single field encode identically in postcard.
        (Level::Container, "transparent") => Allowed,
        (Level::Field, "skip") => Folded,
        (Level::Variant, "other") => Folded,

        (Level::Container, "tag") => Refused(
            "adds a tag entry to a struct, and makes an enum internally tagged (or, with \
             `content`, adjacently tagged): layouts the size bound does not describe, and that \
             postcard cannot read back (they need serde's `deserialize_any`); remove it (postcard \
             writes the variant index, which is all an enum needs)",
        ),
        (Level::Container, "content") => Refused(
            "makes an enum adjacently tagged: a layout the size bound does not describe; remove \
             `tag` and `content` (postcard writes the variant index, which is all an enum needs)",
        ),
        (Level::Container | Level::Variant, "untagged") => Refused(SELF_DESCRIBING),
        (Level::Container, "from" | "try_from" | "into") => Refused(CONVERSION),
        (Level::Container, "remote") => Refused(
            "derives serde functions for another type instead of `Serialize`/`Deserialize` for \
             this one; define a local type with the fields you store",
        ),
        (Level::Container, "field_identifier" | "variant_identifier") => Refused(
            "makes the enum deserialize from a name or index through `deserialize_identifier`, \
             which postcard does not implement; remove it",
        ),
        (Level::Variant, "skip" | "skip_deserializing") => Refused(
            "renumbers the variants when decoding (serde leaves skipped variants out of the \
             index) but not when encoding, so every later variant would decode as its neighbour; \
             remove the variant instead, and bump the session `version`",
        ),
        (Level::Variant, "skip_serializing") => Refused(
            "makes storing that variant fail at run time (serde refuses to serialize it); remove \
             the variant instead, and bump the session `version`",
        ),
        (Level::Variant | Level::Field, "with" | "serialize_with" | "deserialize_with") => {
            Refused(CUSTOM_CODEC)
        }
        (Level::Field, "skip_serializing") => Refused(
            "leaves the field out when encoding but still reads it when decoding, so encode and \
             decode disagree; use `#[serde(skip)]`, which leaves it out both ways",
        ),
        (Level::Field, "skip_deserializing") => Refused(
            "writes the field when encoding but does not read it when decoding, so encode and \
             decode disagree; use `#[serde(skip)]`, which leaves it out both ways",
        ),
        (Level::Field, "skip_serializing_if") => Refused(
            "leaves the field out only sometimes, and postcard has no field names to notice: \
             decoding would read the next field's bytes as this one; drop it and store an \
             `Option<T>` (`None` costs one byte)",
        ),
        (Level::Field, "flatten") => Refused(
            "needs a self-describing format (serde's `deserialize_map`), and postcard is not \
             one; store the inner struct as an ordinary field without `flatten`",
        ),
        (Level::Field, "getter") => Refused(
            "only works with `#[serde(remote = \"...\")]`, which a cookie session cannot use; \
             remove it",
        ),
        (_, key) if SERDE_KEYS.contains(&key) => SerdeRejects,
        (_, _) => Unknown,
    }
}

/// Checks the `#[serde(...)]` attributes of a container (struct or enum).
pub(crate) fn container(attrs: &[Attribute], errors: &mut Errors) {
    // No container key is folded: `decide` allows or refuses each one.
    let _ = visit(attrs, Level::Container, errors);
}

/// Checks the `#[serde(...)]` attributes of an enum variant.
pub(crate) fn variant(attrs: &[Attribute], errors: &mut Errors) -> VariantLayout {
    let folded = visit(attrs, Level::Variant, errors);
    VariantLayout {
        other: folded.iter().any(|(key, _)| key == "other"),
    }
}

/// Checks the `#[serde(...)]` attributes of a field. `newtype` is true for the
/// only field of a tuple struct (`struct Id(u64);`): serde encodes and decodes
/// that field even when it is marked `skip`, so the attribute is refused there
/// rather than counted as 0 bytes.
pub(crate) fn field(attrs: &[Attribute], newtype: bool, errors: &mut Errors) -> FieldLayout {
    let mut layout = FieldLayout::default();
    for (key, span) in visit(attrs, Level::Field, errors) {
        if key != "skip" {
            continue;
        }
        if newtype {
            errors.push(syn::Error::new(
                span,
                "`#[serde(skip)]` has no effect on the only field of a tuple struct: serde still \
                 encodes and decodes it; remove `skip`, or give the struct named fields",
            ));
        } else {
            layout.skip = true;
        }
    }
    layout
}

/// Reports refused and unknown keys; returns the folded ones with their spans.
fn visit(attrs: &[Attribute], level: Level, errors: &mut Errors) -> Vec<(String, Span)> {
    let mut folded = Vec::new();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        // A malformed attribute is serde's to report; what was read up to the
        // error has been checked.
        let _ = attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(ToString::to_string);
            match key.map(|key| {
                let decision = decide(level, &key);
                (key, decision)
            }) {
                Some((_, Decision::Allowed | Decision::SerdeRejects)) => {}
                Some((key, Decision::Folded)) => folded.push((key, span_of(&meta))),
                Some((key, Decision::Refused(why))) => errors.push_spanned(
                    &meta.path,
                    format!("`#[serde({key})]` cannot be used in a cookie session: it {why}"),
                ),
                Some((key, Decision::Unknown)) => errors.push_spanned(
                    &meta.path,
                    format!(
                        "`#[serde({key})]` is not a serde {} attribute this derive knows, so it \
                         cannot tell what it does to the cookie's bytes; remove it (the accepted \
                         attributes are listed in docs/serde-attributes.md)",
                        level.name()
                    ),
                ),
                None => errors.push_spanned(
                    &meta.path,
                    "this serde attribute is not one this derive knows, so it cannot tell what it \
                     does to the cookie's bytes; remove it (the accepted attributes are listed in \
                     docs/serde-attributes.md)",
                ),
            }
            skip_value(&meta)
        });
    }
    folded
}

fn span_of(meta: &ParseNestedMeta<'_>) -> Span {
    meta.path
        .get_ident()
        .map_or_else(Span::call_site, proc_macro2::Ident::span)
}

/// Consumes `= value` or `(...)` after a key so the next key can be read.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<proc_macro2::TokenStream>()?;
    }
    Ok(())
}
