//! Parsing of `#[session(...)]`: syntax only; the cookie rules live in `valid`.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitBool, LitInt, LitStr, Path};

use crate::errors::Errors;

/// A parsed value with the span of the user's tokens, for error messages.
pub(crate) struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SameSite {
    Strict,
    Lax,
    None,
}

/// Everything `#[session(...)]` can say about a session struct.
#[derive(Default)]
pub(crate) struct SessionAttrs {
    /// Span of the first `#[session]` attribute, for "missing key" errors.
    pub attr_span: Option<Span>,
    /// `name` / `version` were written, even if their value was refused: then
    /// the value's error is enough, without a second "missing" error.
    pub name_written: bool,
    pub version_written: bool,
    pub name: Option<Spanned<String>>,
    pub version: Option<Spanned<u16>>,
    pub budget: Option<Spanned<usize>>,
    pub krate: Option<Path>,
    pub path: Option<Spanned<String>>,
    pub domain: Option<Spanned<String>>,
    pub secure: Option<Spanned<bool>>,
    pub http_only: Option<Spanned<bool>>,
    pub same_site: Option<Spanned<SameSite>>,
    pub partitioned: Option<Spanned<bool>>,
    pub encrypted: Option<Spanned<bool>>,
    pub chunks: Option<Spanned<usize>>,
    pub migrate_from: Option<syn::Type>,
}

const SESSION_KEYS: &str = "`name`, `version`, `budget`, `crate`, `path`, `domain`, `secure`, \
     `http_only`, `same_site`, `partitioned`, `encrypted`, `chunks`, `migrate_from`";

/// Parses every `#[session(...)]` on the session struct, reporting each bad key
/// and continuing with the next one.
pub(crate) fn parse_session_attrs(attrs: &[Attribute], errors: &mut Errors) -> SessionAttrs {
    let mut out = SessionAttrs::default();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("session")) {
        out.attr_span.get_or_insert(
            attr.path()
                .get_ident()
                .map_or_else(Span::call_site, |i| i.span()),
        );
        let result = attr.parse_nested_meta(|meta| {
            let key = meta.path.clone();
            let Some(ident) = key.get_ident().map(ToString::to_string) else {
                errors.push_spanned(
                    &key,
                    format!("unknown `session` attribute; expected one of {SESSION_KEYS}"),
                );
                return skip_value(&meta);
            };
            match ident.as_str() {
                "name" => {
                    out.name_written = true;
                    set_once(&mut out.name, &key, parse_str(&meta), errors);
                }
                "version" => {
                    out.version_written = true;
                    set_once(&mut out.version, &key, parse_version(&meta), errors);
                }
                "budget" => set_once(&mut out.budget, &key, parse_budget(&meta), errors),
                "crate" => {
                    let parsed = parse_str(&meta).and_then(|lit| {
                        syn::parse_str::<Path>(&lit.value).map_err(|_| {
                            syn::Error::new(
                                lit.span,
                                "`crate` must be a path such as \"::session_runtime\"",
                            )
                        })
                    });
                    match parsed {
                        Ok(_) if out.krate.is_some() => {
                            errors.push_spanned(&key, "duplicate `session` attribute `crate`")
                        }
                        Ok(path) => out.krate = Some(path),
                        Err(err) => errors.push(err),
                    }
                }
                "path" => set_once(&mut out.path, &key, parse_str(&meta), errors),
                "domain" => set_once(&mut out.domain, &key, parse_str(&meta), errors),
                "secure" => set_once(&mut out.secure, &key, parse_bool(&meta), errors),
                "http_only" => set_once(&mut out.http_only, &key, parse_bool(&meta), errors),
                "same_site" => set_once(&mut out.same_site, &key, parse_same_site(&meta), errors),
                "partitioned" => {
                    set_once(&mut out.partitioned, &key, parse_flag(&meta, &key), errors)
                }
                "encrypted" => set_once(&mut out.encrypted, &key, parse_flag(&meta, &key), errors),
                "chunks" => set_once(&mut out.chunks, &key, parse_chunks(&meta), errors),
                "migrate_from" => match meta.value().and_then(|value| value.parse::<syn::Type>()) {
                    Ok(_) if out.migrate_from.is_some() => {
                        errors.push_spanned(&key, "duplicate `session` attribute `migrate_from`")
                    }
                    Ok(ty) => out.migrate_from = Some(ty),
                    Err(err) => errors.push(err),
                },
                _ => {
                    errors.push_spanned(
                        &key,
                        format!(
                            "unknown `session` attribute `{ident}`; expected one of {SESSION_KEYS}"
                        ),
                    );
                    return skip_value(&meta);
                }
            }
            Ok(())
        });
        if let Err(err) = result {
            errors.push(err);
        }
    }
    out
}

/// Rejects `#[session(...)]` where it has no meaning (on fields, variants, or on
/// a type deriving only `MaxEncodedLen`).
pub(crate) fn reject_session_attrs(attrs: &[Attribute], place: &str, errors: &mut Errors) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("session")) {
        errors.push_spanned(
            attr,
            format!("`#[session(...)]` is not supported on {place}"),
        );
    }
}

fn set_once<T>(
    slot: &mut Option<Spanned<T>>,
    key: &Path,
    parsed: syn::Result<Spanned<T>>,
    errors: &mut Errors,
) {
    match parsed {
        Ok(_) if slot.is_some() => {
            let name = key.get_ident().map(ToString::to_string).unwrap_or_default();
            errors.push_spanned(key, format!("duplicate `session` attribute `{name}`"));
        }
        Ok(value) => *slot = Some(value),
        Err(err) => errors.push(err),
    }
}

/// Consumes `= <expr>` after an unknown key so parsing can go on to the next key.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|nested| skip_value(&nested))?;
    }
    Ok(())
}

fn parse_str(meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<String>> {
    let lit: LitStr = meta.value()?.parse()?;
    Ok(Spanned {
        value: lit.value(),
        span: lit.span(),
    })
}

/// A bare flag (`encrypted`), spanned at the key, or `key = true/false`.
fn parse_flag(meta: &ParseNestedMeta<'_>, key: &Path) -> syn::Result<Spanned<bool>> {
    if meta.input.peek(syn::Token![=]) {
        parse_bool(meta)
    } else {
        Ok(Spanned {
            value: true,
            span: key.get_ident().map_or_else(Span::call_site, |i| i.span()),
        })
    }
}

fn parse_bool(meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<bool>> {
    let lit: LitBool = meta.value()?.parse()?;
    Ok(Spanned {
        value: lit.value,
        span: lit.span,
    })
}

/// An integer literal that fits `N`, else an error at the literal saying `message`.
fn parse_int<N>(meta: &ParseNestedMeta<'_>, message: &str) -> syn::Result<Spanned<N>>
where
    N: core::str::FromStr,
    N::Err: core::fmt::Display,
{
    let lit: LitInt = meta.value()?.parse()?;
    let value = lit
        .base10_parse::<N>()
        .map_err(|_| syn::Error::new(lit.span(), message))?;
    Ok(Spanned {
        value,
        span: lit.span(),
    })
}

fn parse_version(meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<u16>> {
    parse_int(
        meta,
        "`version` must be an integer from 0 to 65535 (it is stored in 2 bytes)",
    )
}

fn parse_budget(meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<usize>> {
    parse_int(
        meta,
        &format!(
            "`budget` must be a number of bytes from 1 to {}",
            session_cookie_rules::BROWSER_COOKIE_LIMIT
        ),
    )
}

fn parse_chunks(meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<usize>> {
    parse_int(
        meta,
        "`chunks` must be the most cookies the session may use, from 2 to 8",
    )
}

fn parse_same_site(meta: &ParseNestedMeta<'_>) -> syn::Result<Spanned<SameSite>> {
    let lit: LitStr = meta.value()?.parse()?;
    let value = match lit.value().to_ascii_lowercase().as_str() {
        "strict" => SameSite::Strict,
        "lax" => SameSite::Lax,
        "none" => SameSite::None,
        _ => {
            return Err(syn::Error::new(
                lit.span(),
                "`same_site` must be \"Strict\", \"Lax\" or \"None\"",
            ))
        }
    };
    Ok(Spanned {
        value,
        span: lit.span(),
    })
}
