//! The cookie rules a session's attributes must follow, checked at compile time.

use proc_macro2::Span;
use syn::{Attribute, Path};

use crate::attr::{SameSite, SessionAttrs, Spanned};
use crate::errors::Errors;

/// Browsers drop a cookie whose name + value exceed 4096 bytes (RFC 6265bis
/// §5.6; Chromium `kMaxCookieNamePlusValueSize`, Firefox `kMaxBytesPerCookie`).
const BROWSER_COOKIE_LIMIT: usize = 4096;
/// RFC 6265bis §5.6: attribute values longer than this are ignored by browsers.
const MAX_ATTRIBUTE_VALUE_LEN: usize = 1024;

/// Attributes that passed every check.
pub(crate) struct ValidAttrs {
    pub name: String,
    pub version: u16,
    pub budget: usize,
    pub krate: Path,
    pub cookie: CookieAttrs,
    pub encrypted: bool,
    pub migrate_from: Option<syn::Type>,
}

pub(crate) struct CookieAttrs {
    pub path: String,
    pub domain: Option<String>,
    pub secure: bool,
    pub http_only: bool,
    pub same_site: SameSite,
}

impl CookieAttrs {
    pub fn is_default(&self) -> bool {
        self.path == "/"
            && self.domain.is_none()
            && self.secure
            && self.http_only
            && self.same_site == SameSite::Lax
    }
}

/// The runtime crate path: `crate = "..."` or `::session_runtime`.
pub(crate) fn runtime_path(krate: Option<Path>) -> Path {
    krate.unwrap_or_else(|| syn::parse_quote!(::session_runtime))
}

/// Checks the attributes; reports every problem, and returns `None` if any.
pub(crate) fn validate(
    attrs: SessionAttrs,
    struct_span: Span,
    errors: &mut Errors,
) -> Option<ValidAttrs> {
    let missing_span = attrs.attr_span.unwrap_or(struct_span);
    let mut ok = true;
    let name_missing = !attrs.name_written;
    let version_missing = !attrs.version_written;
    if attrs.name.is_none() || attrs.version.is_none() {
        ok = false;
    }
    if name_missing || version_missing {
        let missing: Vec<&str> = [
            ("name = \"...\"", name_missing),
            ("version = N", version_missing),
        ]
        .into_iter()
        .filter_map(|(key, missing)| missing.then_some(key))
        .collect();
        errors.push(syn::Error::new(
            missing_span,
            format!(
                "a `CookieSession` needs `#[session({})]`: the cookie name and the schema version are required",
                missing.join(", ")
            ),
        ));
        ok = false;
    }
    if let Some(budget) = &attrs.budget {
        if budget.value == 0 || budget.value > BROWSER_COOKIE_LIMIT {
            errors.push(syn::Error::new(
                budget.span,
                format!(
                    "`budget` is {} bytes, but it must be from 1 to 4096: browsers silently drop cookies whose name + value exceed 4096 bytes (RFC 6265bis §5.6)",
                    budget.value
                ),
            ));
            ok = false;
        }
    }
    if let Some(name) = &attrs.name {
        ok &= check_name(name, errors);
    }
    let cookie = CookieAttrs {
        path: attrs
            .path
            .as_ref()
            .map_or_else(|| "/".to_owned(), |p| p.value.clone()),
        domain: attrs.domain.as_ref().map(|d| d.value.clone()),
        secure: attrs.secure.as_ref().is_none_or(|s| s.value),
        http_only: attrs.http_only.as_ref().is_none_or(|h| h.value),
        same_site: attrs.same_site.as_ref().map_or(SameSite::Lax, |s| s.value),
    };
    ok &= check_attribute_values(&attrs, errors);
    if let Some(name) = &attrs.name {
        ok &= check_prefix_rules(name, &attrs, &cookie, errors);
    }
    if let Some(same_site) = &attrs.same_site {
        if same_site.value == SameSite::None && !cookie.secure {
            errors.push(syn::Error::new(
                same_site.span,
                "`same_site = \"None\"` requires `secure = true`: browsers drop SameSite=None cookies that are not Secure",
            ));
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    Some(ValidAttrs {
        name: attrs.name?.value,
        version: attrs.version?.value,
        budget: attrs.budget.map_or(BROWSER_COOKIE_LIMIT, |b| b.value),
        krate: runtime_path(attrs.krate),
        cookie,
        encrypted: attrs.encrypted.is_some_and(|e| e.value),
        migrate_from: attrs.migrate_from,
    })
}

/// RFC 6265 §4.1.1: `cookie-name = token`, i.e. visible ASCII except the
/// separators `( ) < > @ , ; : \ " / [ ] ? = { }` and space.
fn check_name(name: &Spanned<String>, errors: &mut Errors) -> bool {
    if name.value.is_empty() {
        errors.push(syn::Error::new(
            name.span,
            "the cookie `name` cannot be empty",
        ));
        return false;
    }
    if let Some(bad) = name.value.chars().find(|&c| {
        !c.is_ascii() || c.is_ascii_control() || c == ' ' || "()<>@,;:\\\"/[]?={}".contains(c)
    }) {
        errors.push(syn::Error::new(
            name.span,
            format!(
                "{bad:?} is not allowed in a cookie name: a name must be an RFC 6265 token (visible ASCII \
                 except spaces and ()<>@,;:\\\"/[]?={{}})"
            ),
        ));
        return false;
    }
    if name.value.len() >= BROWSER_COOKIE_LIMIT {
        errors.push(syn::Error::new(
            name.span,
            "the cookie `name` leaves no room for a value in 4096 bytes",
        ));
        return false;
    }
    true
}

fn check_attribute_values(attrs: &SessionAttrs, errors: &mut Errors) -> bool {
    let mut ok = true;
    if let Some(path) = &attrs.path {
        if !path.value.starts_with('/') || !is_attribute_value(&path.value) {
            errors.push(syn::Error::new(
                path.span,
                "`path` must start with `/`, contain no `;` or control characters, and be at most 1024 bytes",
            ));
            ok = false;
        }
    }
    if let Some(domain) = &attrs.domain {
        if domain.value.is_empty() || !is_attribute_value(&domain.value) {
            errors.push(syn::Error::new(
                domain.span,
                "`domain` must be a host name with no `;` or control characters, at most 1024 bytes",
            ));
            ok = false;
        }
    }
    ok
}

fn is_attribute_value(value: &str) -> bool {
    value.len() <= MAX_ATTRIBUTE_VALUE_LEN
        && value
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b';')
}

/// RFC 6265bis §4.1.3: `__Secure-` needs `Secure`; `__Host-` needs `Secure`,
/// `Path=/` and no `Domain`. Browsers match the prefixes case-insensitively.
fn check_prefix_rules(
    name: &Spanned<String>,
    attrs: &SessionAttrs,
    cookie: &CookieAttrs,
    errors: &mut Errors,
) -> bool {
    let lower = name.value.to_ascii_lowercase();
    let is_host = lower.starts_with("__host-");
    let is_secure = lower.starts_with("__secure-");
    if !is_host && !is_secure {
        return true;
    }
    let prefix = if is_host { "__Host-" } else { "__Secure-" };
    let mut ok = true;
    if !cookie.secure {
        let span = attrs.secure.as_ref().map_or(name.span, |s| s.span);
        errors.push(syn::Error::new(
            span,
            format!("a `{prefix}` cookie must be Secure (RFC 6265bis §4.1.3); remove `secure = false` or rename the cookie"),
        ));
        ok = false;
    }
    if is_host {
        if let Some(domain) = &attrs.domain {
            errors.push(syn::Error::new(
                domain.span,
                "a `__Host-` cookie cannot have a Domain (RFC 6265bis §4.1.3.2); remove `domain` or use a `__Secure-` name",
            ));
            ok = false;
        }
        if cookie.path != "/" {
            let span = attrs.path.as_ref().map_or(name.span, |p| p.span);
            errors.push(syn::Error::new(
                span,
                "a `__Host-` cookie must have `Path=/` (RFC 6265bis §4.1.3.2); remove `path` or use a `__Secure-` name",
            ));
            ok = false;
        }
    }
    if name.value.len() == prefix.len() {
        errors.push(syn::Error::new(
            name.span,
            format!("the cookie name needs something after `{prefix}`"),
        ));
        ok = false;
    }
    ok
}

/// serde attributes that change the encoded form in ways the size bound cannot
/// follow (or that postcard cannot decode): refused at compile time rather than
/// discovered as an oversize or undecodable cookie in production.
const UNBOUNDABLE_SERDE_KEYS: &[&str] = &[
    "flatten",
    "with",
    "serialize_with",
    "deserialize_with",
    "skip_serializing_if",
    "tag",
    "content",
    "untagged",
    "from",
    "into",
    "try_from",
    "remote",
];

/// Reports serde attributes from [`UNBOUNDABLE_SERDE_KEYS`].
pub(crate) fn check_serde_attrs(attrs: &[Attribute], errors: &mut Errors) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        // Attributes serde itself cannot parse are serde's to report, not ours.
        let _ = attr.parse_nested_meta(|meta| {
            if let Some(key) = meta.path.get_ident().map(ToString::to_string) {
                if UNBOUNDABLE_SERDE_KEYS.contains(&key.as_str()) {
                    errors.push_spanned(
                        &meta.path,
                        format!(
                            "`#[serde({key})]` changes the encoding in a way the compile-time size bound cannot \
                             follow (or postcard cannot decode); it is not supported in a cookie session"
                        ),
                    );
                }
            }
            if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            } else if meta.input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in meta.input);
                content.parse::<proc_macro2::TokenStream>()?;
            }
            Ok(())
        });
    }
}
