//! The shape of the input: which items can be sessions, and their fields.

use syn::{Data, DeriveInput, Fields, Ident, Type, Visibility};

use crate::attr::reject_session_attrs;
use crate::errors::Errors;
use crate::serde_attrs::{self, FieldLayout};

/// A session struct: non-generic, with named fields.
pub(crate) struct SessionStruct<'a> {
    pub ident: &'a Ident,
    pub fields: Vec<SessionField<'a>>,
}

pub(crate) struct SessionField<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub ty: &'a Type,
    /// What the field's `#[serde(...)]` attributes do to the bytes.
    pub layout: FieldLayout,
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
    let fields = named
        .named
        .iter()
        .map(|field| {
            reject_session_attrs(&field.attrs, "fields", errors);
            SessionField {
                ident: field.ident.as_ref().expect("named field"),
                vis: &field.vis,
                ty: &field.ty,
                // Named fields: never the only field of a tuple struct.
                layout: serde_attrs::field(&field.attrs, false, errors),
            }
        })
        .collect();
    Some(SessionStruct { ident, fields })
}
