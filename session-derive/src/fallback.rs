//! Impls emitted next to an error so that one bad attribute yields one error:
//! without them every use of the type (`SessionConfig<T>`, `session.user_id()`)
//! would add "trait not implemented" noise (thiserror's `fallback.rs` idea).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Path};

use crate::accessors::accessors;
use crate::ast::SessionStruct;

/// `MaxEncodedLen` with placeholder values.
pub(crate) fn max_encoded_len(krate: &Path, input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #[allow(unused_qualifications)]
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::__private::MaxEncodedLen for #ident #ty_generics #where_clause {
                const MAX_ENCODED_LEN: usize = 0;
                const SCHEMA_HASH: u64 = 0;
            }
        };
    }
}

/// `CookieSession` with placeholder values, plus the accessors, for a session
/// struct whose attributes were refused. No budget assertion is emitted.
pub(crate) fn cookie_session(krate: &Path, session: &SessionStruct<'_>) -> TokenStream {
    let ident = session.ident;
    let accessors = accessors(session);
    // The CSRF and DBSC hooks read the real fields, so a CSRF or DBSC layer
    // over this type adds no error of its own.
    let (rotate_csrf, csrf_session) = crate::expand::csrf_impls(krate, session);
    let (restart_binding, dbsc_session) = crate::dbsc::dbsc_impls(krate, session);
    quote! {
        #accessors
        #[allow(unused_qualifications)]
        const _: () = {
            #[automatically_derived]
            impl #krate::__private::MaxEncodedLen for #ident {
                const MAX_ENCODED_LEN: usize = 0;
                const SCHEMA_HASH: u64 = 0;
            }
            #[automatically_derived]
            impl #krate::__private::CookieSession for #ident {
                const NAME: &'static str = "invalid";
                const VERSION: u16 = 0;
                const SCHEMA_FINGERPRINT: u64 = 0;
                const BUDGET: usize = 0;
                const MAX_PAYLOAD_LEN: usize = 0;
                const MAX_COOKIE_LEN: usize = 0;
                type Envelope = #krate::__private::HmacSha256;
                #rotate_csrf
                #restart_binding
            }
            #csrf_session
            #dbsc_session
        };
    }
}
