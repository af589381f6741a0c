//! The shape of the input: which items can be sessions, and their fields.

use syn::{Data, DeriveInput, Fields, Ident, Type, Visibility};

use crate::errors::Errors;
use crate::serde_attrs::{self, FieldLayout};

/// A session struct: non-generic, with named fields.
pub(crate) struct SessionStruct<'a> {
    pub ident: &'a Ident,
    pub fields: Vec<SessionField<'a>>,
    /// Index of the field holding the CSRF token, if any (see [`csrf_field`]).
    pub csrf: Option<usize>,
    /// Index of the field holding the device binding (DBSC), if any (see
    /// [`crate::dbsc::dbsc_field`]).
    pub dbsc: Option<usize>,
}

pub(crate) struct SessionField<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub ty: &'a Type,
    /// What the field's `#[serde(...)]` attributes do to the bytes.
    pub layout: FieldLayout,
    /// `#[session(csrf)]` on the field.
    pub csrf_marked: bool,
    /// `#[session(dbsc)]` on the field.
    pub dbsc_marked: bool,
}

impl SessionField<'_> {
    /// The field name without a raw-identifier prefix (`r#type` -> `type`).
    pub fn plain_name(&self) -> String {
        self.ident.to_string().trim_start_matches("r#").to_owned()
    }
}

/// Checks that `input` can be a session. `None` means the shape is unusable and
/// the errors say why; no impl is generated then.
pub(crate) fn session_struct<'a>(
    input: &'a DeriveInput,
    errors: &mut Errors,
) -> Option<SessionStruct<'a>> {
    let ident = &input.ident;
    let fields = match &input.data {
        Data::Struct(data) => &data.fields,
        Data::Enum(data) => {
            errors.push_spanned(
                data.enum_token,
                format!(
                    "`CookieSession` can only be derived for a struct with named fields, not the enum \
                     `{ident}`; wrap it in a struct (`struct Session {{ state: {ident} }}`) and derive \
                     `MaxEncodedLen` on the enum"
                ),
            );
            return None;
        }
        Data::Union(data) => {
            errors.push_spanned(
                data.union_token,
                "`CookieSession` cannot be derived for a union: its encoded form is unknown; use a struct with named fields",
            );
            return None;
        }
    };
    let named = match fields {
        Fields::Named(named) => named,
        Fields::Unnamed(_) | Fields::Unit => {
            errors.push_spanned(
                ident,
                format!(
                    "`CookieSession` needs named fields to generate accessors; write `struct {ident} {{ field: Type, .. }}`"
                ),
            );
            return None;
        }
    };
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.push_spanned(
            &input.generics,
            format!(
                "a session struct cannot be generic: its cookie name, version and size bound must be fixed at \
                 compile time; use a concrete struct (e.g. `struct {ident} {{ field: Concrete }}`)"
            ),
        );
        return None;
    }
    let fields: Vec<SessionField<'_>> = named
        .named
        .iter()
        .map(|field| {
            let marks = parse_field_attrs(&field.attrs, errors);
            SessionField {
                ident: field.ident.as_ref().expect("named field"),
                vis: &field.vis,
                ty: &field.ty,
                // Named fields: never the only field of a tuple struct.
                layout: serde_attrs::field(&field.attrs, false, errors),
                csrf_marked: marks.csrf,
                dbsc_marked: marks.dbsc,
            }
        })
        .collect();
    let csrf = csrf_field(ident, &fields, errors);
    let dbsc = crate::dbsc::dbsc_field(ident, &fields, errors);
    Some(SessionStruct {
        ident,
        fields,
        csrf,
        dbsc,
    })
}

/// The field that holds the session's CSRF token, which `Session::renew`
/// replaces and the CSRF layers check: the one marked `#[session(csrf)]`,
/// else the one whose type is named `CsrfToken`. Two candidates are an
/// error (which one would be rotated?), and so is a skipped one (it would
/// never reach the cookie).
fn csrf_field(ident: &Ident, fields: &[SessionField<'_>], errors: &mut Errors) -> Option<usize> {
    special_field(
        fields,
        SpecialField {
            marked: |field| field.csrf_marked,
            by_type: |field| is_csrf_token_type(field.ty),
            skipped:
                "the CSRF token field cannot be `#[serde(skip)]`: it must travel in the cookie",
        },
        || {
            format!(
                "`{ident}` has more than one CSRF token field; mark the one the CSRF check \
                 uses (and `renew()` replaces) with `#[session(csrf)]`"
            )
        },
        errors,
    )
}

/// How to find a field the runtime reaches through a hook (the CSRF token,
/// the device binding).
pub(crate) struct SpecialField {
    /// Marked with its `#[session(...)]` flag.
    pub marked: fn(&SessionField<'_>) -> bool,
    /// Recognised by its type's name when no field is marked.
    pub by_type: fn(&SessionField<'_>) -> bool,
    /// The error for a `#[serde(skip)]` one (it would never reach the cookie).
    pub skipped: &'static str,
}

/// The one field `rule` picks: the marked ones, else the ones of the type;
/// none is `None`; a skipped one or a second candidate is an error (spanned
/// at that field, `many` says which flag settles it).
pub(crate) fn special_field(
    fields: &[SessionField<'_>],
    rule: SpecialField,
    many: impl FnOnce() -> String,
    errors: &mut Errors,
) -> Option<usize> {
    let marked: Vec<usize> = (0..fields.len())
        .filter(|&index| (rule.marked)(&fields[index]))
        .collect();
    let candidates = if marked.is_empty() {
        (0..fields.len())
            .filter(|&index| (rule.by_type)(&fields[index]))
            .collect()
    } else {
        marked
    };
    match candidates.as_slice() {
        [] => None,
        [index] if fields[*index].layout.skip => {
            errors.push_spanned(fields[*index].ident, rule.skipped);
            None
        }
        [index] => Some(*index),
        [_, second, ..] => {
            errors.push_spanned(fields[*second].ident, many());
            None
        }
    }
}

/// Whether a field's type is (a path ending in) `CsrfToken`.
fn is_csrf_token_type(ty: &Type) -> bool {
    is_type_named(ty, "CsrfToken")
}

/// Whether a field's type is a path whose last segment is `name`, without
/// generic arguments.
pub(crate) fn is_type_named(ty: &Type, name: &str) -> bool {
    match ty {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == name && last.arguments.is_none()),
        _ => false,
    }
}

/// The field-level `session` keys found on one field.
struct FieldMarks {
    /// `#[session(csrf)]`: this field holds the CSRF token.
    csrf: bool,
    /// `#[session(dbsc)]`: this field holds the device binding.
    dbsc: bool,
}

/// `#[session(csrf)]` and `#[session(dbsc)]` on a field: the only
/// field-level keys.
fn parse_field_attrs(attrs: &[syn::Attribute], errors: &mut Errors) -> FieldMarks {
    let mut marks = FieldMarks {
        csrf: false,
        dbsc: false,
    };
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("session")) {
        let result = attr.parse_nested_meta(|meta| {
            let bare = !meta.input.peek(syn::Token![=]) && !meta.input.peek(syn::token::Paren);
            let mark = if !bare {
                None
            } else if meta.path.is_ident("csrf") {
                Some((&mut marks.csrf, "csrf"))
            } else if meta.path.is_ident("dbsc") {
                Some((&mut marks.dbsc, "dbsc"))
            } else {
                None
            };
            if let Some((mark, key)) = mark {
                if *mark {
                    errors
                        .push_spanned(&meta.path, format!("duplicate `session` attribute `{key}`"));
                }
                *mark = true;
            } else {
                errors.push_spanned(
                    &meta.path,
                    "unknown `session` attribute on a field; the only ones are `#[session(csrf)]` \
                     (this field holds the CSRF token) and `#[session(dbsc)]` (this field holds \
                     the device binding)",
                );
                if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<syn::Expr>()?;
                }
            }
            Ok(())
        });
        if let Err(err) = result {
            errors.push(err);
        }
    }
    marks
}
