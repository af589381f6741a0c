//! `#[derive(MaxEncodedLen)]`, and the per-field sums the session derive reuses.
//!
//! Like postcard's `MaxSize`, each field contributes
//! `<FieldType as MaxEncodedLen>::MAX_ENCODED_LEN`, spanned at the field's type, so
//! an unbounded field (`String`, `Vec<T>`) is reported at that field with the
//! trait's `on_unimplemented` message.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{Data, DeriveInput, Fields, Path, Type};

use crate::attr::reject_session_attrs;
use crate::errors::Errors;
use crate::fallback;
use crate::serde_attrs::{self, FieldLayout};
use crate::valid::runtime_path;

/// Checks the serde attributes of `fields` and returns what they mean for the
/// bytes, one entry per field. `is_struct` is false for enum variants, where
/// serde honours `skip` even on a single unnamed field.
pub(crate) fn field_layouts(
    fields: &Fields,
    is_struct: bool,
    errors: &mut Errors,
) -> Vec<FieldLayout> {
    let newtype =
        is_struct && matches!(fields, Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1);
    fields
        .iter()
        .map(|field| serde_attrs::field(&field.attrs, newtype, errors))
        .collect()
}

/// The bound of one field: `<Type as MaxEncodedLen>::MAX_ENCODED_LEN`, spanned
/// at the type so a missing bound is reported there. `None` for a skipped field,
/// whose type then needs no bound.
pub(crate) fn field_max_len(krate: &Path, ty: &Type, layout: FieldLayout) -> Option<TokenStream> {
    if layout.skip {
        return None;
    }
    Some(quote_spanned! {ty.span()=>
        <#ty as #krate::__private::MaxEncodedLen>::MAX_ENCODED_LEN
    })
}

/// `MAX_ENCODED_LEN` of a list of fields: their bounds added up (a skipped
/// field adds nothing: serde neither writes nor reads it).
pub(crate) fn fields_max_len(
    krate: &Path,
    fields: &Fields,
    layouts: &[FieldLayout],
) -> TokenStream {
    let terms = fields
        .iter()
        .zip(layouts)
        .filter_map(|(field, layout)| field_max_len(krate, &field.ty, *layout));
    quote! {{
        let len: usize = 0;
        #( let len: usize = #krate::__private::add(len, #terms); )*
        len
    }}
}

/// `SCHEMA_HASH` of a list of fields: names (or positions) and nested hashes, in
/// order. A skipped field contributes its name and a marker of its own instead
/// of its type's hash, so adding or removing `#[serde(skip)]` changes the hash.
pub(crate) fn fields_schema_hash(
    krate: &Path,
    kind: &str,
    fields: &Fields,
    layouts: &[FieldLayout],
) -> TokenStream {
    let terms = fields
        .iter()
        .zip(layouts)
        .enumerate()
        .map(|(index, (field, layout))| {
            let ty = &field.ty;
            let name = field.ident.as_ref().map_or_else(
                || index.to_string(),
                |ident| ident.to_string().trim_start_matches("r#").to_owned(),
            );
            let nested = if layout.skip {
                quote!(#krate::__private::schema_hash_leaf("serde(skip)"))
            } else {
                quote_spanned! {ty.span()=>
                    <#ty as #krate::__private::MaxEncodedLen>::SCHEMA_HASH
                }
            };
            quote! {
                let hash: u64 = #krate::__private::schema_hash_bytes(hash, #name.as_bytes());
                let hash: u64 = #krate::__private::schema_hash_u64(hash, #nested);
            }
        });
    let fields_kind = match fields {
        Fields::Named(_) => "named",
        Fields::Unnamed(_) => "tuple",
        Fields::Unit => "unit",
    };
    quote! {{
        let hash: u64 = #krate::__private::schema_hash_leaf(#kind);
        let hash: u64 = #krate::__private::schema_hash_bytes(hash, #fields_kind.as_bytes());
        #(#terms)*
        hash
    }}
}

/// Reads `#[session(crate = "...")]`: the only `session` key that means
/// something on a type deriving just `MaxEncodedLen`.
fn crate_override(input: &DeriveInput, errors: &mut Errors) -> Path {
    let mut krate = None;
    for attr in input
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("session"))
    {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let lit: syn::LitStr = meta.value()?.parse()?;
                krate = Some(lit.parse::<Path>()?);
                Ok(())
            } else {
                Err(meta.error(
                    "only `#[session(crate = \"...\")]` applies to `MaxEncodedLen`; the cookie attributes belong on the `CookieSession` struct",
                ))
            }
        });
        if let Err(err) = result {
            errors.push(err);
        }
    }
    runtime_path(krate)
}

pub(crate) fn derive_max_encoded_len(input: &DeriveInput) -> TokenStream {
    let mut errors = Errors::default();
    let krate = crate_override(input, &mut errors);
    serde_attrs::container(&input.attrs, &mut errors);
    let (max_len, schema_hash) = match &input.data {
        Data::Struct(data) => {
            for field in &data.fields {
                reject_session_attrs(&field.attrs, "fields", &mut errors);
            }
            let layouts = field_layouts(&data.fields, true, &mut errors);
            (
                fields_max_len(&krate, &data.fields, &layouts),
                fields_schema_hash(&krate, "struct", &data.fields, &layouts),
            )
        }
        Data::Enum(data) => {
            let mut variant_lens = Vec::new();
            let mut variant_hashes = Vec::new();
            for variant in &data.variants {
                reject_session_attrs(&variant.attrs, "variants", &mut errors);
                let variant_layout = serde_attrs::variant(&variant.attrs, &mut errors);
                for field in &variant.fields {
                    reject_session_attrs(&field.attrs, "fields", &mut errors);
                }
                let layouts = field_layouts(&variant.fields, false, &mut errors);
                variant_lens.push(fields_max_len(&krate, &variant.fields, &layouts));
                let name = variant.ident.to_string();
                let fields = fields_schema_hash(&krate, "variant", &variant.fields, &layouts);
                // `other` widens what decodes (any unknown index becomes this
                // variant), so it is part of the shape.
                let other = variant_layout.other.then(|| {
                    quote! {
                        let hash: u64 = #krate::__private::schema_hash_bytes(hash, b"serde(other)");
                    }
                });
                variant_hashes.push(quote! {
                    let hash: u64 = #krate::__private::schema_hash_bytes(hash, #name.as_bytes());
                    #other
                    let hash: u64 = #krate::__private::schema_hash_u64(hash, #fields);
                });
            }
            // postcard writes the variant index as varint(u32) before the fields.
            let last_index = data.variants.len().saturating_sub(1) as u128;
            let max_len = if data.variants.is_empty() {
                quote!(0)
            } else {
                quote! {{
                    let widest: usize = 0;
                    #( let widest: usize = #krate::__private::max(widest, #variant_lens); )*
                    #krate::__private::add(#krate::__private::varint_len(#last_index), widest)
                }}
            };
            let schema_hash = quote! {{
                let hash: u64 = #krate::__private::schema_hash_leaf("enum");
                #(#variant_hashes)*
                hash
            }};
            (max_len, schema_hash)
        }
        Data::Union(data) => {
            errors.push_spanned(
                data.union_token,
                "`MaxEncodedLen` cannot be derived for a union: serde has no encoding for it",
            );
            return errors.to_compile_errors();
        }
    };
    if !errors.is_empty() {
        let fallback = fallback::max_encoded_len(&krate, input);
        let errors = errors.to_compile_errors();
        return quote!(#errors #fallback);
    }
    let ident = &input.ident;
    let mut generics = input.generics.clone();
    for param in generics.type_params_mut() {
        param
            .bounds
            .push(syn::parse_quote!(#krate::__private::MaxEncodedLen));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        #[allow(unused_qualifications)]
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::__private::MaxEncodedLen for #ident #ty_generics #where_clause {
                const MAX_ENCODED_LEN: usize = #max_len;
                const SCHEMA_HASH: u64 = #schema_hash;
            }
        };
    }
}
