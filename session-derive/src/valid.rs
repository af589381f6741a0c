//! The cookie rules a session's attributes must follow, checked at compile time.

use proc_macro2::Span;
use syn::Path;

use session_cookie_rules::{
    self as rules, CookiePrefix, BROWSER_COOKIE_LIMIT, MAX_ATTRIBUTE_VALUE_LEN, NAME_SEPARATORS,
};

use crate::attr::{SameSite, SessionAttrs, Spanned};
use crate::errors::Errors;

/// Attributes that passed every check.
pub(crate) struct ValidAttrs {
    pub name: String,
    pub version: u16,
    pub budget: usize,
    pub krate: Path,
    pub cookie: CookieAttrs,
    pub encrypted: bool,
    /// `chunks = N`, or 1 for a session of one cookie.
    pub chunks: usize,
    pub migrate_from: Option<syn::Type>,
}

pub(crate) struct CookieAttrs {
    pub path: String,
    pub domain: Option<String>,
    pub secure: bool,
    pub http_only: bool,
    pub same_site: SameSite,
    pub partitioned: bool,
}

impl CookieAttrs {
    pub fn is_default(&self) -> bool {
        self.path == "/"
            && self.domain.is_none()
            && self.secure
            && self.http_only
            && self.same_site == SameSite::Lax
            && !self.partitioned
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
    if let Some(chunks) = &attrs.chunks {
        // docs/wire-format.md, "Chunked sessions": chunk names carry one
        // digit, and eight full cookies are already 32 KB per request.
        if !(2..=8).contains(&chunks.value) {
            errors.push(syn::Error::new(
                chunks.span,
                format!(
                    "`chunks` is {}, but it must be from 2 to 8: the most cookies one session may be \
                     spread over (leave it out for a session of one cookie)",
                    chunks.value
                ),
            ));
            ok = false;
        }
    }
    if let Some(budget) = &attrs.budget {
        if budget.value == 0 || budget.value > BROWSER_COOKIE_LIMIT {
            errors.push(syn::Error::new(
                budget.span,
                format!(
                    "`budget` is {} bytes, but it must be from 1 to {BROWSER_COOKIE_LIMIT}: browsers silently drop cookies whose name + value exceed {BROWSER_COOKIE_LIMIT} bytes (RFC 6265bis §5.6)",
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
        partitioned: attrs.partitioned.as_ref().is_some_and(|p| p.value),
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
    ok &= check_partitioned(&attrs, &cookie, errors);
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
        chunks: attrs.chunks.as_ref().map_or(1, |c| c.value),
        migrate_from: attrs.migrate_from,
    })
}

/// RFC 6265 §4.1.1: `cookie-name = token`, i.e. visible ASCII except the
/// separators `( ) < > @ , ; : \ " / [ ] ? = { }` and space (the rule is
/// `session_cookie_rules::is_cookie_name`, shared with the runtime).
fn check_name(name: &Spanned<String>, errors: &mut Errors) -> bool {
    if name.value.is_empty() {
        errors.push(syn::Error::new(
            name.span,
            "the cookie `name` cannot be empty",
        ));
        return false;
    }
    if let Some(at) = rules::first_invalid_name_byte(&name.value) {
        // `at` is where the offending character starts: every byte before it
        // is ASCII.
        let bad = name.value[at..].chars().next().unwrap_or_default();
        errors.push(syn::Error::new(
            name.span,
            format!(
                "{bad:?} is not allowed in a cookie name: a name must be an RFC 6265 token (visible ASCII \
                 except spaces and {NAME_SEPARATORS})"
            ),
        ));
        return false;
    }
    if name.value.len() >= BROWSER_COOKIE_LIMIT {
        errors.push(syn::Error::new(
            name.span,
            format!("the cookie `name` leaves no room for a value in {BROWSER_COOKIE_LIMIT} bytes"),
        ));
        return false;
    }
    true
}

/// An attribute's value (if given), its rule, and the error when it breaks it.
type ValueCheck<'a> = (&'a Option<Spanned<String>>, fn(&str) -> bool, String);

fn check_attribute_values(attrs: &SessionAttrs, errors: &mut Errors) -> bool {
    let checks: [ValueCheck<'_>; 2] = [
        (
            &attrs.path,
            rules::is_path_value,
            format!("`path` must start with `/`, contain no `;` or control characters, and be at most {MAX_ATTRIBUTE_VALUE_LEN} bytes"),
        ),
        (
            &attrs.domain,
            rules::is_domain_value,
            format!("`domain` must be a host name with no `;` or control characters, at most {MAX_ATTRIBUTE_VALUE_LEN} bytes"),
        ),
    ];
    let mut ok = true;
    for (attr, is_valid, message) in checks {
        if let Some(attr) = attr {
            if !is_valid(&attr.value) {
                errors.push(syn::Error::new(attr.span, message));
                ok = false;
            }
        }
    }
    ok
}

/// RFC 6265bis §4.1.3: `__Secure-` needs `Secure`; `__Host-` needs `Secure`,
/// `Path=/` and no `Domain`; draft-ietf-httpbis-layered-cookies-02 ("Cookie
/// Name Prefixes"): `__Http-` needs `Secure` and `HttpOnly`, `__Host-Http-`
/// all four (`session_cookie_rules::prefix_problems`, shared with the
/// runtime). Each broken rule is reported at the attribute that breaks it.
fn check_prefix_rules(
    name: &Spanned<String>,
    attrs: &SessionAttrs,
    cookie: &CookieAttrs,
    errors: &mut Errors,
) -> bool {
    let Some(prefix) = CookiePrefix::of(&name.value) else {
        return true;
    };
    let problems = rules::prefix_problems(
        &name.value,
        cookie.secure,
        cookie.http_only,
        &cookie.path,
        cookie.domain.is_some(),
    );
    // Where each rule comes from, as the messages cite it: the section for
    // every prefix, and the `__Host-` one.
    let (spec, host_spec) = if prefix.requires_http_only() {
        (
            "draft-ietf-httpbis-layered-cookies",
            "draft-ietf-httpbis-layered-cookies",
        )
    } else {
        ("RFC 6265bis §4.1.3", "RFC 6265bis §4.1.3.2")
    };
    // The prefix without the host rules, for "use a ... name instead".
    let unhosted = if prefix.requires_http_only() {
        "__Http-"
    } else {
        "__Secure-"
    };
    let prefix = prefix.as_str();
    if problems.not_secure {
        let span = attrs.secure.as_ref().map_or(name.span, |s| s.span);
        errors.push(syn::Error::new(
            span,
            format!("a `{prefix}` cookie must be Secure ({spec}); remove `secure = false` or rename the cookie"),
        ));
    }
    if problems.not_http_only {
        let span = attrs.http_only.as_ref().map_or(name.span, |h| h.span);
        errors.push(syn::Error::new(
            span,
            format!("a `{prefix}` cookie must be HttpOnly ({spec}): the prefix promises that no page script set or can read it; remove `http_only = false` or rename the cookie"),
        ));
    }
    if problems.has_domain {
        let span = attrs.domain.as_ref().map_or(name.span, |d| d.span);
        errors.push(syn::Error::new(
            span,
            format!("a `{prefix}` cookie cannot have a Domain ({host_spec}); remove `domain` or use a `{unhosted}` name"),
        ));
    }
    if problems.path_not_root {
        let span = attrs.path.as_ref().map_or(name.span, |p| p.span);
        errors.push(syn::Error::new(
            span,
            format!("a `{prefix}` cookie must have `Path=/` ({host_spec}); remove `path` or use a `{unhosted}` name"),
        ));
    }
    if problems.bare_prefix {
        errors.push(syn::Error::new(
            name.span,
            format!("the cookie name needs something after `{prefix}`"),
        ));
    }
    !problems.any()
}

/// CHIPS: a `Partitioned` cookie needs `Secure` (Chromium refuses it
/// otherwise) and, to be of any use, `SameSite=None`: it exists for
/// cross-site frames, where browsers neither store nor send `Lax` or
/// `Strict` cookies (`session_cookie_rules::partitioned_problems`, shared
/// with the runtime). Reported at `secure = false` and at the `same_site`
/// value, or at `partitioned` when the default is the problem.
fn check_partitioned(attrs: &SessionAttrs, cookie: &CookieAttrs, errors: &mut Errors) -> bool {
    let Some(partitioned) = attrs.partitioned.as_ref().filter(|p| p.value) else {
        return true;
    };
    let problems = rules::partitioned_problems(
        cookie.partitioned,
        cookie.secure,
        cookie.same_site == SameSite::None,
    );
    if problems.not_secure {
        let span = attrs.secure.as_ref().map_or(partitioned.span, |s| s.span);
        errors.push(syn::Error::new(
            span,
            "a `partitioned` cookie must be Secure: Chromium refuses a Partitioned cookie without Secure (CHIPS); remove `secure = false`",
        ));
    }
    if problems.not_same_site_none {
        let span = attrs
            .same_site
            .as_ref()
            .map_or(partitioned.span, |s| s.span);
        errors.push(syn::Error::new(
            span,
            "a `partitioned` session needs `same_site = \"None\"`: a Partitioned cookie is for cross-site frames, where browsers neither store nor send SameSite=Lax or Strict cookies",
        ));
    }
    !problems.any()
}
