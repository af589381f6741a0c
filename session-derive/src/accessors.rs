//! The typed accessors of a session struct: `x()`, `set_x(value)` and
//! `x_mut()` per field, each with the field's own visibility, and the check
//! that none of them is shadowed by a method of the session handle or collides
//! with another field's accessor.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ast::{SessionField, SessionStruct};
use crate::errors::Errors;
use crate::reserved;

/// Which accessor of a field a name belongs to.
#[derive(Clone, Copy)]
enum Kind {
    Getter,
    Setter,
    Mut,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Getter => "getter",
            Kind::Setter => "setter",
            Kind::Mut => "in-place accessor",
        }
    }
}

/// The accessor names of one field, in generation order.
fn names(field: &SessionField<'_>) -> [(String, Kind); 3] {
    let plain = field.plain_name();
    [
        (plain.clone(), Kind::Getter),
        (format!("set_{plain}"), Kind::Setter),
        (format!("{plain}_mut"), Kind::Mut),
    ]
}

/// Reports, with one error at the field, every accessor name of that field
/// that a session handle method owns, or that an earlier field's
/// accessor already takes.
pub(crate) fn check_accessor_names(session: &SessionStruct<'_>, errors: &mut Errors) {
    let mut taken: HashMap<String, (String, Kind)> = HashMap::new();
    for field in &session.fields {
        let plain = field.plain_name();
        let mut clashes = Vec::new();
        for (name, kind) in names(field) {
            if let Some(reserved) = reserved::lookup(&name) {
                let owner = reserved.owner;
                clashes.push(format!(
                    "the {} `{name}()` would be shadowed by the session handle's `{owner}`: \
                     `session.{name}()` calls that method, not the accessor",
                    kind.describe()
                ));
            } else if let Some((other, other_kind)) = taken.get(&name) {
                clashes.push(format!(
                    "the {} `{name}()` is already the {} of field `{other}`",
                    kind.describe(),
                    other_kind.describe()
                ));
            } else {
                taken.insert(name, (plain.clone(), kind));
            }
        }
        if !clashes.is_empty() {
            errors.push_spanned(
                field.ident,
                format!(
                    "field `{plain}` cannot get its accessors: {}; rename the field (for example \
                     to `{plain}_value`)",
                    clashes.join("; ")
                ),
            );
        }
    }
}

/// `fn x(&self) -> &T`, `fn set_x(&mut self, value: T)` and
/// `fn x_mut(&mut self) -> &mut T` per field, each with the field's own
/// visibility: a private field's accessors are private to the module that
/// defines the struct, a `pub(crate)` field's are `pub(crate)`, and so on.
///
/// A name that another field's accessor already took is left out: the error
/// from [`check_accessor_names`] says why, and a second definition would only
/// add a "duplicate definitions" error.
pub(crate) fn accessors(session: &SessionStruct<'_>) -> TokenStream {
    let ident = session.ident;
    let mut generated = std::collections::HashSet::new();
    let mut methods = Vec::new();
    for field in &session.fields {
        let member = field.ident;
        let vis = field.vis;
        let ty = field.ty;
        let plain = field.plain_name();
        // The method bodies keep the derive's call-site span (only the names
        // carry the field's): spanned at the field, they would count as
        // hand-written code, and clippy would lint them (`new_ret_no_self`
        // for a field named `new`, `wrong_self_convention` for `into_*`).
        for (name, kind) in names(field) {
            if !generated.insert(name.clone()) {
                continue;
            }
            let method = match kind {
                // The getter keeps the field's own spelling (`r#type`).
                Kind::Getter => member.clone(),
                Kind::Setter | Kind::Mut => format_ident!("{}", name, span = member.span()),
            };
            methods.push(match kind {
                Kind::Getter => {
                    let doc = format!("Returns the session's `{plain}`.");
                    quote! {
                        #[doc = #doc]
                        #[inline]
                        #[must_use]
                        #vis fn #method(&self) -> &#ty {
                            &self.#member
                        }
                    }
                }
                Kind::Setter => {
                    let doc = format!(
                        "Replaces the session's `{plain}`; through a `Session` handle this marks it changed."
                    );
                    quote! {
                        #[doc = #doc]
                        #[inline]
                        #vis fn #method(&mut self, value: #ty) {
                            self.#member = value;
                        }
                    }
                }
                Kind::Mut => {
                    let doc = format!(
                        "The session's `{plain}`, to edit in place; through a `Session` handle this marks it changed."
                    );
                    quote! {
                        #[doc = #doc]
                        #[inline]
                        #[must_use]
                        #vis fn #method(&mut self) -> &mut #ty {
                            &mut self.#member
                        }
                    }
                }
            });
        }
    }
    quote! {
        // Generated accessors are API the application may or may not use.
        #[allow(dead_code)]
        #[automatically_derived]
        impl #ident {
            #(#methods)*
        }
    }
}
