//! The cookie rules that both `session-derive` (at compile time) and
//! `session-runtime` (when a configuration is built) enforce, written once as
//! `const fn`s: the browser's size limits (one cookie, one CHIPS partition),
//! the cookie-name token, the `__Host-`/`__Secure-`/`__Http-`/`__Host-Http-`
//! prefix rules, the `Partitioned` rules and the attribute-value syntax.
//!
//! A crate of its own rather than a file included with `#[path]`: a path
//! outside a crate's directory is left out when that crate is packaged, so
//! `cargo package` of the derive or the runtime would fail.
//!
//! ```
//! use session_cookie_rules::{is_cookie_name, prefix_problems, CookiePrefix};
//!
//! assert!(is_cookie_name("__Host-app"));
//! assert!(!is_cookie_name("bad name"));
//! assert_eq!(CookiePrefix::of("__host-app"), Some(CookiePrefix::Host));
//! assert_eq!(CookiePrefix::of("__Host-Http-app"), Some(CookiePrefix::HostHttp));
//! // secure, http_only, path, has_domain
//! let problems = prefix_problems("__Host-app", true, true, "/app", false);
//! assert!(problems.path_not_root && !problems.any_but_path());
//! let problems = prefix_problems("__Http-app", true, false, "/", false);
//! assert!(problems.not_http_only);
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Browsers store a cookie only when `len(name) + len(value)` is at most this
/// many bytes (RFC 6265bis §5.6; Chromium `kMaxCookieNamePlusValueSize`,
/// Firefox `kMaxBytesPerCookie`). A larger cookie is dropped silently and the
/// old cookie of that name stays.
pub const BROWSER_COOKIE_LIMIT: usize = 4096;

/// Chromium keeps at most this many bytes of `len(name) + len(value)`, summed
/// over the `Partitioned` cookies of one site (the cookies' registrable
/// domain) in one partition (the top-level site they were set under):
/// `CookieMonster::kPerPartitionDomainMaxCookieBytes = 10240` in
/// `net/cookies/cookie_monster.cc`, summed by its `NameValueSizeBytes`. Past
/// it, storing a partitioned cookie evicts that site's least recently used
/// partitioned cookies of the partition until the rest fits
/// (`CookieMonster::GarbageCollectPartitionedCookies`): nothing is refused,
/// older cookies silently disappear. One session cookie (at most
/// [`BROWSER_COOKIE_LIMIT`]) always fits; a session split over several
/// cookies, or sharing its partition with the app's other partitioned
/// cookies, must stay under the sum: see [`fits_partition`].
pub const PARTITION_NAME_VALUE_LIMIT: usize = 10_240;

/// Chromium keeps at most this many `Partitioned` cookies of one site in one
/// partition (`CookieMonster::kPerPartitionDomainMaxCookies = 180` in
/// `net/cookies/cookie_monster.cc`), evicting the least recently used
/// beyond it, as for [`PARTITION_NAME_VALUE_LIMIT`].
pub const PARTITION_COOKIE_LIMIT: usize = 180;

/// Whether `cookies` partitioned cookies whose `len(name) + len(value)` add up
/// to `total_name_value_len` fit one CHIPS partition without Chromium evicting
/// any of them: at most [`PARTITION_NAME_VALUE_LIMIT`] bytes and
/// [`PARTITION_COOKIE_LIMIT`] cookies.
///
/// ```
/// use session_cookie_rules::{fits_partition, BROWSER_COOKIE_LIMIT};
///
/// assert!(fits_partition(BROWSER_COOKIE_LIMIT, 1));
/// assert!(fits_partition(2 * 4096 + 2048, 3));
/// assert!(!fits_partition(3 * 4096, 3));
/// ```
pub const fn fits_partition(total_name_value_len: usize, cookies: usize) -> bool {
    total_name_value_len <= PARTITION_NAME_VALUE_LIMIT && cookies <= PARTITION_COOKIE_LIMIT
}

/// RFC 6265bis §5.6: browsers ignore an attribute value longer than this.
pub const MAX_ATTRIBUTE_VALUE_LEN: usize = 1024;

/// The separators RFC 2616 §2.2 excludes from a `token` (besides space and
/// control characters), as the derive's error message spells them.
pub const NAME_SEPARATORS: &str = "()<>@,;:\\\"/[]?={}";

/// Whether `byte` may appear in a cookie name: RFC 6265 §4.1.1
/// `cookie-name = token`, i.e. visible ASCII except the separators.
pub const fn is_name_byte(byte: u8) -> bool {
    if byte < 0x21 || byte >= 0x7f {
        return false;
    }
    let separators = NAME_SEPARATORS.as_bytes();
    let mut i = 0;
    while i < separators.len() {
        if separators[i] == byte {
            return false;
        }
        i += 1;
    }
    true
}

/// The index of the first byte of `name` that a cookie name cannot contain.
pub const fn first_invalid_name_byte(name: &str) -> Option<usize> {
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !is_name_byte(bytes[i]) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Whether `name` is a valid cookie name: a non-empty RFC 6265 token.
pub const fn is_cookie_name(name: &str) -> bool {
    !name.is_empty() && first_invalid_name_byte(name).is_none()
}

/// Whether `value` can be a `Path` or `Domain` value: printable ASCII without
/// `;`, at most [`MAX_ATTRIBUTE_VALUE_LEN`] bytes.
pub const fn is_attribute_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    if bytes.len() > MAX_ATTRIBUTE_VALUE_LEN {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte < 0x20 || byte >= 0x7f || byte == b';' {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `path` can be the cookie's `Path`: starts with `/` and is an
/// attribute value.
pub const fn is_path_value(path: &str) -> bool {
    !path.is_empty() && path.as_bytes()[0] == b'/' && is_attribute_value(path)
}

/// Whether `domain` can be the cookie's `Domain`: non-empty attribute value.
pub const fn is_domain_value(domain: &str) -> bool {
    !domain.is_empty() && is_attribute_value(domain)
}

/// A cookie-name prefix that browsers enforce: `__Secure-` and `__Host-`
/// (RFC 6265bis §4.1.3), `__Http-` and `__Host-Http-`
/// (draft-ietf-httpbis-layered-cookies-02, "Cookie Name Prefixes").
///
/// `__Host-Http-` also starts with `__Host-`; it is its own prefix, with the
/// rules of both `__Host-` and `__Http-` (the draft's "Store a Cookie" checks
/// both `__host-` and `__host-http-` against such a name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CookiePrefix {
    /// `__Host-`: `Secure`, `Path=/` and no `Domain`.
    Host,
    /// `__Secure-`: `Secure`.
    Secure,
    /// `__Http-`: `Secure` and `HttpOnly`, so the cookie was set by an HTTP
    /// response, never by a page script.
    Http,
    /// `__Host-Http-`: `Secure`, `HttpOnly`, `Path=/` and no `Domain`.
    HostHttp,
}

impl CookiePrefix {
    /// The prefix `name` starts with. Browsers match prefixes
    /// case-insensitively (RFC 6265bis §5.7; the layered-cookies draft
    /// lower-cases the name before its prefix checks, "to protect servers
    /// that process these values in a case-insensitive manner"; Chromium's
    /// `cookie_util::GetCookiePrefix` compares with `INSENSITIVE_ASCII`), so
    /// `__host-x` is a `__Host-` name and `__HTTP-x` an `__Http-` one.
    pub const fn of(name: &str) -> Option<CookiePrefix> {
        let name = name.as_bytes();
        // Longest first: every `__Host-Http-` name also starts with `__Host-`.
        let prefixes = [
            CookiePrefix::HostHttp,
            CookiePrefix::Host,
            CookiePrefix::Http,
            CookiePrefix::Secure,
        ];
        let mut i = 0;
        while i < prefixes.len() {
            if starts_with_ignore_case(name, prefixes[i].as_str().as_bytes()) {
                return Some(prefixes[i]);
            }
            i += 1;
        }
        None
    }

    /// The prefix as the specifications write it: `"__Host-"`, `"__Secure-"`,
    /// `"__Http-"` or `"__Host-Http-"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CookiePrefix::Host => "__Host-",
            CookiePrefix::Secure => "__Secure-",
            CookiePrefix::Http => "__Http-",
            CookiePrefix::HostHttp => "__Host-Http-",
        }
    }

    /// Whether the prefix pins the cookie to its host: `Path=/` and no
    /// `Domain` (`__Host-` and `__Host-Http-`).
    pub const fn requires_host_scope(self) -> bool {
        matches!(self, CookiePrefix::Host | CookiePrefix::HostHttp)
    }

    /// Whether the prefix requires `HttpOnly` (`__Http-` and `__Host-Http-`).
    pub const fn requires_http_only(self) -> bool {
        matches!(self, CookiePrefix::Http | CookiePrefix::HostHttp)
    }
}

const fn starts_with_ignore_case(text: &[u8], prefix: &[u8]) -> bool {
    if text.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if !text[i].eq_ignore_ascii_case(&prefix[i]) {
            return false;
        }
        i += 1;
    }
    true
}

/// Which prefix rules a cookie breaks; all `false` when it breaks none or has
/// no prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrefixProblems {
    /// A prefixed cookie (every prefix) without `Secure`.
    pub not_secure: bool,
    /// A `__Http-` or `__Host-Http-` cookie without `HttpOnly`.
    pub not_http_only: bool,
    /// A `__Host-` or `__Host-Http-` cookie with a `Domain`.
    pub has_domain: bool,
    /// A `__Host-` or `__Host-Http-` cookie whose `Path` is not `/`.
    pub path_not_root: bool,
    /// The name is the prefix alone (`__Host-`), naming nothing.
    pub bare_prefix: bool,
}

impl PrefixProblems {
    /// Whether any rule is broken.
    pub const fn any(self) -> bool {
        self.not_secure
            || self.not_http_only
            || self.has_domain
            || self.path_not_root
            || self.bare_prefix
    }

    /// Whether a rule other than `path_not_root` is broken.
    pub const fn any_but_path(self) -> bool {
        self.not_secure || self.not_http_only || self.has_domain || self.bare_prefix
    }
}

/// The prefix rules for a cookie `name` with these attributes: every prefix
/// needs `Secure`; `__Host-` and `__Host-Http-` need `Path=/` and no
/// `Domain`; `__Http-` and `__Host-Http-` need `HttpOnly` (RFC 6265bis
/// §4.1.3; draft-ietf-httpbis-layered-cookies-02, "Cookie Name Prefixes" and
/// "Store a Cookie"). A prefix must be followed by a name.
pub const fn prefix_problems(
    name: &str,
    secure: bool,
    http_only: bool,
    path: &str,
    has_domain: bool,
) -> PrefixProblems {
    let Some(prefix) = CookiePrefix::of(name) else {
        return PrefixProblems {
            not_secure: false,
            not_http_only: false,
            has_domain: false,
            path_not_root: false,
            bare_prefix: false,
        };
    };
    let host = prefix.requires_host_scope();
    PrefixProblems {
        not_secure: !secure,
        not_http_only: prefix.requires_http_only() && !http_only,
        has_domain: host && has_domain,
        path_not_root: host && !(path.len() == 1 && path.as_bytes()[0] == b'/'),
        bare_prefix: name.len() == prefix.as_str().len(),
    }
}

/// Which rules a `Partitioned` (CHIPS) cookie breaks; all `false` when it
/// breaks none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PartitionedProblems {
    /// Without `Secure`: Chromium refuses the cookie
    /// (`cookie_util::IsCookiePartitionedValid` requires the `Secure`
    /// attribute and a secure scheme; the CHIPS explainer, privacycg/CHIPS:
    /// "Partitioned cookies must be set with Secure").
    pub not_secure: bool,
    /// `SameSite` other than `None`: a partitioned cookie exists for
    /// cross-site frames, and a browser neither stores nor sends a
    /// `SameSite=Lax` or `Strict` cookie in a cross-site frame
    /// (draft-ietf-httpbis-layered-cookies-02, "Store a Cookie" refuses it
    /// when same-site cookies are not allowed; measured in Chromium 156 by
    /// `tests/browser/partitioned.rs`), so such a session would never reach
    /// the frame it is partitioned for.
    pub not_same_site_none: bool,
}

impl PartitionedProblems {
    /// Whether any rule is broken.
    pub const fn any(self) -> bool {
        self.not_secure || self.not_same_site_none
    }
}

/// The rules of the `Partitioned` attribute for a cookie with these
/// attributes; nothing to check when `partitioned` is `false`. `__Host-` (or
/// `__Host-Http-`) is recommended with it, not required: CHIPS dropped its
/// no-`Domain` rule so that sibling subdomains can share a partition.
pub const fn partitioned_problems(
    partitioned: bool,
    secure: bool,
    same_site_none: bool,
) -> PartitionedProblems {
    PartitionedProblems {
        not_secure: partitioned && !secure,
        not_same_site_none: partitioned && !same_site_none,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_rfc_6265_tokens() {
        assert!(is_cookie_name("__Host-app"));
        assert!(is_cookie_name("a!#$%&'*+-.^_`|~9"));
        assert!(!is_cookie_name(""));
        for bad in [
            "a b", "a\tb", "a;b", "a=b", "a,b", "a\"b", "é", "a\u{7f}", "(", "}",
        ] {
            assert!(!is_cookie_name(bad), "{bad:?}");
        }
        assert_eq!(first_invalid_name_byte("ab;c"), Some(2));
        assert_eq!(first_invalid_name_byte("abc"), None);
    }

    #[test]
    fn every_byte_agrees_with_the_rfc_grammar() {
        for byte in 0..=u8::MAX {
            let expected = byte.is_ascii_graphic() && !NAME_SEPARATORS.as_bytes().contains(&byte);
            assert_eq!(is_name_byte(byte), expected, "{byte:#x}");
        }
    }

    #[test]
    fn attribute_values() {
        assert!(is_path_value("/"));
        assert!(is_path_value("/a b"));
        assert!(!is_path_value("a"));
        assert!(!is_path_value(""));
        assert!(!is_path_value("/a;b"));
        assert!(!is_path_value("/a\nb"));
        assert!(is_domain_value("example.com"));
        assert!(!is_domain_value(""));
        let mut long = [b'a'; MAX_ATTRIBUTE_VALUE_LEN + 1];
        long[0] = b'/';
        let long = core::str::from_utf8(&long).unwrap();
        assert!(!is_path_value(long));
        assert!(is_path_value(&long[..MAX_ATTRIBUTE_VALUE_LEN]));
    }

    #[test]
    fn prefixes_match_case_insensitively() {
        assert_eq!(CookiePrefix::of("__Host-a"), Some(CookiePrefix::Host));
        assert_eq!(CookiePrefix::of("__HOST-a"), Some(CookiePrefix::Host));
        assert_eq!(CookiePrefix::of("__secure-a"), Some(CookiePrefix::Secure));
        assert_eq!(CookiePrefix::of("__Http-a"), Some(CookiePrefix::Http));
        assert_eq!(CookiePrefix::of("__hTTp-a"), Some(CookiePrefix::Http));
        assert_eq!(
            CookiePrefix::of("__Host-Http-a"),
            Some(CookiePrefix::HostHttp)
        );
        assert_eq!(
            CookiePrefix::of("__host-http-a"),
            Some(CookiePrefix::HostHttp)
        );
        // `__Host-Http` without its dash is a `__Host-` name whose rest is `Http`.
        assert_eq!(CookiePrefix::of("__Host-Http"), Some(CookiePrefix::Host));
        assert_eq!(CookiePrefix::of("__Host"), None);
        assert_eq!(CookiePrefix::of("__Http"), None);
        assert_eq!(CookiePrefix::of("_Http-a"), None);
        assert_eq!(CookiePrefix::of("plain"), None);
    }

    #[test]
    fn prefix_rules() {
        assert!(!prefix_problems("__Host-a", true, false, "/", false).any());
        assert!(!prefix_problems("plain", false, false, "/x", true).any());
        let host = prefix_problems("__Host-a", false, false, "/x", true);
        assert!(host.not_secure && host.has_domain && host.path_not_root && !host.bare_prefix);
        assert!(!host.not_http_only, "__Host- does not need HttpOnly");
        let secure = prefix_problems("__Secure-a", false, false, "/x", true);
        assert!(secure.not_secure && !secure.has_domain && !secure.path_not_root);
        assert!(!secure.not_http_only);
        assert!(prefix_problems("__Secure-", true, false, "/", false).bare_prefix);
        assert!(prefix_problems("__host-", true, false, "/", false).bare_prefix);
    }

    #[test]
    fn http_prefix_rules() {
        // `__Http-`: Secure and HttpOnly; Path and Domain are free.
        assert!(!prefix_problems("__Http-a", true, true, "/x", true).any());
        let http = prefix_problems("__Http-a", false, false, "/", false);
        assert!(http.not_secure && http.not_http_only);
        assert!(!http.has_domain && !http.path_not_root && !http.bare_prefix);
        assert!(!prefix_problems("__http-a", true, false, "/", false).not_secure);
        assert!(prefix_problems("__http-a", true, false, "/", false).not_http_only);
        assert!(prefix_problems("__Http-", true, true, "/", false).bare_prefix);
        // `__Host-Http-`: the `__Host-` rules and the `__Http-` rules.
        assert!(!prefix_problems("__Host-Http-a", true, true, "/", false).any());
        let both = prefix_problems("__HOST-HTTP-a", false, false, "/x", true);
        assert!(both.not_secure && both.not_http_only && both.has_domain && both.path_not_root);
        assert!(!both.bare_prefix);
        let only_http = prefix_problems("__Host-Http-a", true, false, "/", false);
        assert!(only_http.not_http_only && only_http.any_but_path());
        let only_path = prefix_problems("__Host-Http-a", true, true, "/x", false);
        assert!(only_path.path_not_root && !only_path.any_but_path());
        assert!(prefix_problems("__Host-Http-", true, true, "/", false).bare_prefix);
    }

    #[test]
    fn partitioned_rules() {
        assert!(!partitioned_problems(false, false, false).any());
        assert!(!partitioned_problems(true, true, true).any());
        let lax = partitioned_problems(true, true, false);
        assert!(lax.not_same_site_none && !lax.not_secure);
        let insecure = partitioned_problems(true, false, true);
        assert!(insecure.not_secure && !insecure.not_same_site_none);
    }

    #[test]
    fn partition_budget() {
        assert!(fits_partition(
            PARTITION_NAME_VALUE_LIMIT,
            PARTITION_COOKIE_LIMIT
        ));
        assert!(!fits_partition(PARTITION_NAME_VALUE_LIMIT + 1, 1));
        assert!(!fits_partition(1, PARTITION_COOKIE_LIMIT + 1));
        // One cookie at the browser limit always fits, so a single-cookie
        // session never needs the partition check to pass on its own.
        assert!(fits_partition(BROWSER_COOKIE_LIMIT, 1));
        assert_eq!(PARTITION_NAME_VALUE_LIMIT / BROWSER_COOKIE_LIMIT, 2);
    }
}
