//! The device-binding field (DBSC, the runtime's feature `dbsc`): which
//! field it is, and the hooks generated for it.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Ident, Path};

use crate::ast::{is_type_named, special_field, SessionField, SessionStruct, SpecialField};
use crate::errors::Errors;

/// The field that holds the session's device binding, which
/// `Session::renew` starts over and the DBSC endpoints read and write: the
/// one marked `#[session(dbsc)]`, else the one whose type is named
/// `DeviceBinding`. As for the CSRF token, two candidates are an error
/// (which one would be bound?), and so is a skipped one (it would never
/// reach the cookie, so every request would look unbound).
pub(crate) fn dbsc_field(
    ident: &Ident,
    fields: &[SessionField<'_>],
    errors: &mut Errors,
) -> Option<usize> {
    special_field(
        fields,
        SpecialField {
            marked: |field| field.dbsc_marked,
            by_type: |field| is_type_named(field.ty, "DeviceBinding"),
            skipped: "the device-binding field cannot be `#[serde(skip)]`: it must travel in the \
                      cookie",
        },
        || {
            format!(
                "`{ident}` has more than one device-binding field; mark the one DBSC uses \
                 (and `renew()` starts over) with `#[session(dbsc)]`"
            )
        },
        errors,
    )
}

/// For a session with a device-binding field: the `CookieSession` hook that
/// `Session::renew` calls, and the `DbscSession` impl the configuration and
/// the endpoints reach the field through. The field's type is named (spanned
/// at it) in a `DbscField` bound, so a `#[session(dbsc)]` field of another
/// type is one error there.
pub(crate) fn dbsc_impls(krate: &Path, session: &SessionStruct<'_>) -> (TokenStream, TokenStream) {
    let Some(index) = session.dbsc else {
        return (TokenStream::new(), TokenStream::new());
    };
    let ident = session.ident;
    let field = &session.fields[index];
    let name = field.ident;
    let ty = field.ty;
    let as_field = quote_spanned! {ty.span()=> <#ty as #krate::__private::DbscField> };
    let restart = quote! {
        fn __restart_device_binding(&mut self, now: #krate::__private::Option<u64>) {
            #as_field::__restart(&mut self.#name, now);
        }
    };
    let dbsc_session = quote! {
        #[automatically_derived]
        impl #krate::__private::DbscSession for #ident {
            fn __device_binding(&self) -> &#krate::__private::DeviceBinding {
                #as_field::__get(&self.#name)
            }
            fn __device_binding_mut(&mut self) -> &mut #krate::__private::DeviceBinding {
                #as_field::__get_mut(&mut self.#name)
            }
        }
    };
    (restart, dbsc_session)
}
