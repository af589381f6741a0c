//! Code generation for `#[derive(CookieSession)]`.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned as _;
use syn::{Data, DeriveInput, Fields, Path};

use crate::accessors::{accessors, check_accessor_names};
use crate::ast::{session_struct, SessionStruct};
use crate::attr::{parse_session_attrs, SameSite};
use crate::errors::Errors;
use crate::fallback;
use crate::max_len::{field_max_len, fields_schema_hash};
use crate::serde_attrs::{self, FieldLayout};
use crate::valid::{runtime_path, validate, CookieAttrs, ValidAttrs};

pub(crate) fn derive_cookie_session(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let Some(session) = session_struct(input, &mut errors) else {
        return errors.to_compile_errors();
    };
    let attrs = parse_session_attrs(&input.attrs, &mut errors);
    serde_attrs::container(&input.attrs, &mut errors);
    check_accessor_names(&session, &mut errors);
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
    let layouts: Vec<FieldLayout> = session.fields.iter().map(|field| field.layout).collect();
    let schema_hash = fields_schema_hash(krate, "session", fields, &layouts);
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
    let chunks = valid.chunks;
    let envelope = if chunks > 1 {
        quote!(#krate::__private::Chunked<#envelope>)
    } else {
        envelope
    };
    let version_chain = match &valid.migrate_from {
        Some(older) => migration(krate, older),
        // The trait's defaults read the type's own version only.
        None => TokenStream::new(),
    };
    let migration_check = valid
        .migrate_from
        .as_ref()
        .map(|older| migration_check(krate, session, valid, older))
        .unwrap_or_default();
    // The constants and the budget check below name the session's size only
    // through `FIELD_LENS`, never through `<T as CookieSession>::CONST`: a
    // struct that lacks `Serialize`, `Deserialize` or `Default` fails
    // `CookieSession`'s supertraits, and every such path would repeat that
    // error (measured: three copies per missing trait before, one now). Each
    // field type is named once, spanned at the field, so a type without a size
    // bound is one error there.
    let field_lens = field_lens(krate, session);
    let (rotate_csrf, csrf_session) = csrf_impls(krate, session);
    let (restart_binding, dbsc_session) = crate::dbsc::dbsc_impls(krate, session);
    let payload_len = quote! { #krate::__private::sum_lens(__SESSION_FIELD_LENS) };
    let overhead = quote!(<#envelope as #krate::__private::Envelope>::OVERHEAD);
    // One cookie: its name + value. Chunked: the largest chunk's (chunk 0's),
    // and the sum over the chunks (docs/wire-format.md, "Chunked sessions").
    let (cookie_len, total_len, budget_check) = if chunks > 1 {
        let envelope_len = quote!(#krate::__private::add(#overhead, #payload_len));
        let cookie_len = quote! {
            #krate::__private::max_chunk_len(#name.len(), #budget, #chunks, #envelope_len)
        };
        let total_len = quote! {
            #krate::__private::max_total_len(#name.len(), #budget, #chunks, #envelope_len)
        };
        let check = quote! {
            const _: () = #krate::__private::assert_chunks_fit(
                #type_name,
                #name.len(),
                #budget,
                #chunks,
                #envelope_len,
                __SESSION_FIELD_LENS,
            );
        };
        (cookie_len, total_len, check)
    } else {
        let cookie_len = quote! {
            #krate::__private::max_cookie_len(#name.len(), #payload_len, #overhead)
        };
        let check = quote! {
            const _: () = #krate::__private::assert_cookie_fits(
                #type_name,
                #cookie_len,
                #budget,
                __SESSION_FIELD_LENS,
            );
        };
        (cookie_len.clone(), cookie_len, check)
    };
    let budget_check = respan(budget_check, ident.span());
    let partition_check = if valid.cookie.partitioned {
        partition_check(krate, &type_name, &total_len, chunks, ident.span())
    } else {
        TokenStream::new()
    };
    let chunk_consts = if chunks > 1 {
        quote! {
            const CHUNKS: usize = #chunks;
            const MAX_TOTAL_LEN: usize = #total_len;
        }
    } else {
        TokenStream::new()
    };
    quote! {
        #accessors
        #[allow(unused_qualifications)]
        const _: () = {
            const __SESSION_FIELD_LENS: &[(&str, usize)] = &[#(#field_lens),*];
            #[automatically_derived]
            impl #krate::__private::MaxEncodedLen for #ident {
                const MAX_ENCODED_LEN: usize = #payload_len;
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
                const MAX_PAYLOAD_LEN: usize = #payload_len;
                const MAX_COOKIE_LEN: usize = #cookie_len;
                #chunk_consts
                #attributes
                type Envelope = #envelope;
                #version_chain
                #rotate_csrf
                #restart_binding
            }
            #csrf_session
            #dbsc_session
            #budget_check
            #partition_check
        };
        #migration_check
    }
}

/// For a session with a CSRF token field: the `CookieSession` hook that
/// `Session::renew` calls to replace the token, and the `CsrfSession` impl
/// the CSRF layers read and write it through. The field's type is named
/// (spanned at it) in a `CsrfField` bound, so a `#[session(csrf)]` field of
/// another type is one error there.
pub(crate) fn csrf_impls(krate: &Path, session: &SessionStruct<'_>) -> (TokenStream, TokenStream) {
    let Some(index) = session.csrf else {
        return (TokenStream::new(), TokenStream::new());
    };
    let ident = session.ident;
    let field = &session.fields[index];
    let name = field.ident;
    let ty = field.ty;
    let as_field = quote_spanned! {ty.span()=> <#ty as #krate::__private::CsrfField> };
    let rotate = quote! {
        fn __rotate_csrf_token(&mut self) {
            #as_field::__set(&mut self.#name, #krate::__private::rotated_csrf_token());
        }
    };
    let csrf_session = quote! {
        #[automatically_derived]
        impl #krate::__private::CsrfSession for #ident {
            fn __csrf_token(&self) -> #krate::__private::CsrfToken {
                #as_field::__get(&self.#name)
            }
            fn __set_csrf_token(&mut self, token: #krate::__private::CsrfToken) {
                #as_field::__set(&mut self.#name, token);
            }
        }
    };
    (rotate, csrf_session)
}

/// `("field", <Type as MaxEncodedLen>::MAX_ENCODED_LEN)` per stored field, in
/// order: summed into the payload bound, and named in the over-budget message
/// ("largest fields"). A skipped field stores nothing and is left out.
fn field_lens<'a>(
    krate: &'a Path,
    session: &'a SessionStruct<'_>,
) -> impl Iterator<Item = TokenStream> + 'a {
    session.fields.iter().filter_map(move |field| {
        let name = field.plain_name();
        let len = field_max_len(krate, field.ty, field.layout)?;
        Some(quote!((#name, #len)))
    })
}

/// The `migrate_from = Older` hooks: accept `Older`'s cookies (and, through
/// it, older ones) and convert them with `From<Older>`. The compile-time check
/// is spanned at the `Older` tokens.
fn migration(krate: &Path, older: &syn::Type) -> TokenStream {
    let span = older.span();
    // Spanned at the `Older` tokens: a missing `CookieSession` or `From` impl is
    // reported there, once (every use is the same `<Older as CookieSession>`
    // obligation, which rustc reports once).
    let spanned_krate = respan(krate.to_token_stream(), span);
    let older_session =
        quote_spanned! {span=> <#older as #spanned_krate::__private::CookieSession> };
    let decode = quote_spanned! {span=>
        fn __decode_version(
            version: u16,
            payload: &[u8],
        ) -> #spanned_krate::__private::Result<Self, #spanned_krate::__private::Rejection> {
            if version == <Self as #spanned_krate::__private::CookieSession>::VERSION {
                return #spanned_krate::__private::decode_own::<Self>(version, payload);
            }
            match #older_session::__decode_version(version, payload) {
                #spanned_krate::__private::Result::Ok(older) => #spanned_krate::__private::Result::Ok(
                    #spanned_krate::__private::convert_migrated::<#older, Self>(older),
                ),
                #spanned_krate::__private::Result::Err(reason) => #spanned_krate::__private::Result::Err(reason),
            }
        }
    };
    quote! {
        fn __fingerprint_for(version: u16) -> #krate::__private::Option<u64> {
            match #krate::__private::own_fingerprint::<Self>(version) {
                #krate::__private::Some(fingerprint) => #krate::__private::Some(fingerprint),
                #krate::__private::None => #older_session::__fingerprint_for(version),
            }
        }
        #decode
        fn __max_cookie_len_any_version() -> usize {
            #krate::__private::max(
                <Self as #krate::__private::CookieSession>::MAX_COOKIE_LEN,
                #older_session::__max_cookie_len_any_version(),
            )
        }
    }
}

/// The free `const _` item that checks a `migrate_from` pair at compile time
/// (an associated const would never be evaluated). The newer session's values
/// are written as literals, not read through `CookieSession`, so a struct that
/// lacks a supertrait is not reported here a second time.
fn migration_check(
    krate: &Path,
    session: &SessionStruct<'_>,
    valid: &ValidAttrs,
    older: &syn::Type,
) -> TokenStream {
    let span = older.span();
    let spanned_krate = respan(krate.to_token_stream(), span);
    let newer_type = session.ident.to_string();
    let newer_name = &valid.name;
    let newer_version = valid.version;
    let newer_encrypted = valid.encrypted;
    let newer_chunks = valid.chunks;
    let older_name = quote!(#older).to_string().replace(' ', "");
    let older_session =
        quote_spanned! {span=> <#older as #spanned_krate::__private::CookieSession> };
    quote_spanned! {span=>
        #[allow(unused_qualifications)]
        const _: () = #spanned_krate::__private::assert_migration(
            #newer_type,
            #newer_name,
            #newer_version,
            #newer_encrypted,
            #newer_chunks,
            #older_name,
            #older_session::NAME,
            #older_session::VERSION,
            #older_session::ENCRYPTED,
            #older_session::CHUNKS,
        );
    }
}

/// The compile-time check that a `partitioned` session fits one CHIPS
/// partition (`session_cookie_rules::PARTITION_NAME_VALUE_LIMIT`, Chromium's
/// 10,240 bytes): the sum of `len(name) + len(value)` over all of the
/// session's cookies (one, or its chunks) and their count. A session of one
/// cookie (at most 4096 bytes) passes by construction.
fn partition_check(
    krate: &Path,
    type_name: &str,
    total_len: &TokenStream,
    cookies: usize,
    span: Span,
) -> TokenStream {
    respan(
        quote! {
            const _: () = #krate::__private::assert_partition_fits(#type_name, #total_len, #cookies);
        },
        span,
    )
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
    let partitioned = cookie.partitioned;
    quote! {
        const ATTRIBUTES: #krate::__private::CookieAttributes = #krate::__private::CookieAttributes {
            path: #krate::__private::Cow::Borrowed(#path),
            domain: #domain,
            secure: #secure,
            http_only: #http_only,
            same_site: #krate::__private::SameSite::#same_site,
            partitioned: #partitioned,
        };
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
