//! Code generation for `#[derive(CookieSession)]`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned as _;
use syn::{Data, DeriveInput, Fields, Path};

use crate::ast::{session_struct, SessionStruct};
use crate::attr::{parse_session_attrs, SameSite};
use crate::errors::Errors;
use crate::fallback;
use crate::max_len::{fields_max_len, fields_schema_hash};
use crate::valid::{check_serde_attrs, runtime_path, validate, CookieAttrs, ValidAttrs};

pub(crate) fn derive_cookie_session(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let Some(session) = session_struct(input, &mut errors) else {
        return errors.to_compile_errors();
    };
    let attrs = parse_session_attrs(&input.attrs, &mut errors);
    check_serde_attrs(&input.attrs, &mut errors);
    if let Data::Struct(data) = &input.data {
        for field in &data.fields {
            check_serde_attrs(&field.attrs, &mut errors);
        }
    }
    let krate_override = attrs.krate.clone();
    let valid = validate(attrs, input.ident.span(), &mut errors);
    match valid {
        Some(valid) if errors.is_empty() => {
            let Data::Struct(data) = &input.data else {
                unreachable!("session_struct accepts structs only")
            };
            generate(&session, &data.fields, &valid)
        }
        _ => {
            let krate = runtime_path(krate_override);
            let fallback = fallback::cookie_session(&krate, &session);
            let errors = errors.to_compile_errors();
            quote!(#errors #fallback)
        }
    }
}

fn generate(session: &SessionStruct<'_>, fields: &Fields, valid: &ValidAttrs) -> TokenStream {
    let krate = &valid.krate;
    let ident = session.ident;
    let type_name = ident.to_string();
    let name = &valid.name;
    let version = valid.version;
    let budget = valid.budget;
    let max_len = fields_max_len(krate, fields);
    let schema_hash = fields_schema_hash(krate, "session", fields);
    let attributes = cookie_attributes(krate, &valid.cookie);
    let accessors = accessors(session);
    let envelope = if valid.encrypted {
        // Spanned at the struct name: without the runtime's `encrypted`
        // feature, the `Envelope` trait's message is reported there, once.
        let spanned_krate = respan(krate.to_token_stream(), ident.span());
        quote_spanned! {ident.span()=> #spanned_krate::__private::Aes256GcmSiv }
    } else {
        quote!(#krate::__private::HmacSha256)
    };
    let version_chain = match &valid.migrate_from {
        Some(older) => migration(krate, older),
        // The trait's defaults read the type's own version only.
        None => TokenStream::new(),
    };
    let migration_check = valid
        .migrate_from
        .as_ref()
        .map(|older| migration_check(krate, ident, older))
        .unwrap_or_default();
    // Every token of the compile-time checks, including the runtime path,
    // carries the struct name's span: rustc points a failed const evaluation at
    // the whole call, and a call made of mixed-origin spans would be reported
    // at the derive instead.
    let spanned_krate = respan(krate.to_token_stream(), ident.span());
    let budget_check = quote_spanned! {ident.span()=>
        #[allow(unused_qualifications)]
        const _: () = #spanned_krate::__private::assert_cookie_fits(
            #type_name,
            <#ident as #spanned_krate::__private::CookieSession>::MAX_COOKIE_LEN,
            <#ident as #spanned_krate::__private::CookieSession>::BUDGET,
        );
    };
    quote! {
        #accessors
        #[allow(unused_qualifications)]
        const _: () = {
            #[automatically_derived]
            impl #krate::__private::MaxEncodedLen for #ident {
                const MAX_ENCODED_LEN: usize = #max_len;
                const SCHEMA_HASH: u64 = #schema_hash;
            }
            #[automatically_derived]
            impl #krate::__private::CookieSession for #ident {
                const NAME: &'static str = #name;
                const VERSION: u16 = #version;
                const SCHEMA_FINGERPRINT: u64 = #krate::__private::schema_hash_u64(
                    #krate::__private::schema_hash_u64(
                        #krate::__private::schema_hash_leaf("cookie-session"),
                        #version as u64,
                    ),
                    <#ident as #krate::__private::MaxEncodedLen>::SCHEMA_HASH,
                );
                const BUDGET: usize = #budget;
                const MAX_PAYLOAD_LEN: usize = <#ident as #krate::__private::MaxEncodedLen>::MAX_ENCODED_LEN;
                const MAX_COOKIE_LEN: usize = #krate::__private::max_cookie_len(
                    #name.len(),
                    <#ident as #krate::__private::CookieSession>::MAX_PAYLOAD_LEN,
                    <<#ident as #krate::__private::CookieSession>::Envelope as #krate::__private::Envelope>::OVERHEAD,
                );
                #attributes
                type Envelope = #envelope;
            }
            #[automatically_derived]
            impl #krate::__private::VersionChain for #ident {
                #version_chain
            }
        };
        #migration_check
        #budget_check
    }
}

/// The `migrate_from = Older` hooks: accept `Older`'s cookies (and, through
/// it, older ones) and convert them with `From<Older>`. The compile-time check
/// is spanned at the `Older` tokens.
fn migration(krate: &Path, older: &syn::Type) -> TokenStream {
    let span = older.span();
    // Spanned at the `Older` tokens: a missing `CookieSession` or `From` impl is
    // reported there, once.
    let spanned_krate = respan(krate.to_token_stream(), span);
    // The whole hook is spanned at `Older`, so a missing `From<Older>` impl is
    // one error, pointing there.
    let decode = quote_spanned! {span=>
        fn __decode_version(
            version: u16,
            payload: &[u8],
        ) -> #spanned_krate::__private::Result<Self, #spanned_krate::__private::Rejection> {
            #spanned_krate::__private::decode_migrated::<Self, #older>(version, payload)
        }
    };
    quote! {
        fn __fingerprint_for(version: u16) -> #krate::__private::Option<u64> {
            #krate::__private::migrated_fingerprint::<Self, #older>(version)
        }
        #decode
        fn __max_cookie_len_any_version() -> usize {
            #krate::__private::max(
                <Self as #krate::__private::CookieSession>::MAX_COOKIE_LEN,
                <#older as #krate::__private::VersionChain>::__max_cookie_len_any_version(),
            )
        }
    }
}

/// The free `const _` item that checks a `migrate_from` pair at compile time
/// (an associated const would never be evaluated).
fn migration_check(krate: &Path, ident: &syn::Ident, older: &syn::Type) -> TokenStream {
    let span = older.span();
    let spanned_krate = respan(krate.to_token_stream(), span);
    let newer_name = ident.to_string();
    let older_name = quote!(#older).to_string().replace(' ', "");
    let older_session =
        quote_spanned! {span=> <#older as #spanned_krate::__private::CookieSession> };
    let newer_session =
        quote_spanned! {span=> <#ident as #spanned_krate::__private::CookieSession> };
    quote_spanned! {span=>
        #[allow(unused_qualifications)]
        const _: () = #spanned_krate::__private::assert_migration(
            #newer_name,
            #newer_session::NAME,
            #newer_session::VERSION,
            #newer_session::ENCRYPTED,
            #older_name,
            #older_session::NAME,
            #older_session::VERSION,
            #older_session::ENCRYPTED,
        );
    }
}

/// `const ATTRIBUTES` when the struct declares non-default cookie attributes.
fn cookie_attributes(krate: &Path, cookie: &CookieAttrs) -> TokenStream {
    if cookie.is_default() {
        return TokenStream::new();
    }
    let path = &cookie.path;
    let domain = match &cookie.domain {
        Some(domain) => quote!(#krate::__private::Some(#krate::__private::Cow::Borrowed(#domain))),
        None => quote!(#krate::__private::None),
    };
    let secure = cookie.secure;
    let http_only = cookie.http_only;
    let same_site = match cookie.same_site {
        SameSite::Strict => quote!(Strict),
        SameSite::Lax => quote!(Lax),
        SameSite::None => quote!(None),
    };
    quote! {
        const ATTRIBUTES: #krate::__private::CookieAttributes = #krate::__private::CookieAttributes {
            path: #krate::__private::Cow::Borrowed(#path),
            domain: #domain,
            secure: #secure,
            http_only: #http_only,
            same_site: #krate::__private::SameSite::#same_site,
        };
    }
}

/// `fn field(&self) -> &T` and `fn set_field(&mut self, value: T)` per field,
/// with the struct's visibility.
pub(crate) fn accessors(session: &SessionStruct<'_>) -> TokenStream {
    let ident = session.ident;
    let vis = session.vis;
    let methods = session.fields.iter().map(|field| {
        let getter = field.ident;
        let plain = getter.to_string().trim_start_matches("r#").to_owned();
        let setter = format_ident!("set_{}", plain, span = getter.span());
        let ty = field.ty;
        let get_doc = format!("Returns the session's `{plain}`.");
        let set_doc = format!(
            "Replaces the session's `{plain}`; through a `Session` handle this marks it changed."
        );
        quote! {
            #[doc = #get_doc]
            #[inline]
            #[must_use]
            #vis fn #getter(&self) -> &#ty {
                &self.#getter
            }
            #[doc = #set_doc]
            #[inline]
            #vis fn #setter(&mut self, value: #ty) {
                self.#getter = value;
            }
        }
    });
    quote! {
        // Generated accessors are API the application may or may not use.
        #[allow(dead_code)]
        #[automatically_derived]
        impl #ident {
            #(#methods)*
        }
    }
}

/// `tokens` with every span replaced by `span` (groups included).
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                return TokenTree::Group(inner);
            }
            token.set_span(span);
            token
        })
        .collect()
}
