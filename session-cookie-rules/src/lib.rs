//! The cookie rules that both `session-derive` (at compile time) and
//! `session-runtime` (when a configuration is built) enforce, written once as
//! `const fn`s: the browser's size limit, the cookie-name token, the
//! `__Host-`/`__Secure-` prefix rules and the attribute-value syntax.
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
//! let problems = prefix_problems("__Host-app", true, "/app", false);
//! assert!(problems.path_not_root && !problems.any_but_path());
//! ```
#![no_std]
#![forbid(unsafe_code)]

/// Browsers store a cookie only when `len(name) + len(value)` is at most this
/// many bytes (RFC 6265bis §5.6; Chromium `kMaxCookieNamePlusValueSize`,
/// Firefox `kMaxBytesPerCookie`). A larger cookie is dropped silently and the
/// old cookie of that name stays.
pub const BROWSER_COOKIE_LIMIT: usize = 4096;

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

/// A cookie-name prefix that browsers enforce (RFC 6265bis §4.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookiePrefix {
    /// `__Host-`: `Secure`, `Path=/` and no `Domain`.
    Host,
    /// `__Secure-`: `Secure`.
    Secure,
}

impl CookiePrefix {
    /// The prefix `name` starts with. Browsers match prefixes
    /// case-insensitively (RFC 6265bis §5.7), so `__host-x` is a `__Host-` name.
    pub const fn of(name: &str) -> Option<CookiePrefix> {
        if starts_with_ignore_case(name.as_bytes(), CookiePrefix::Host.as_str().as_bytes()) {
            Some(CookiePrefix::Host)
        } else if starts_with_ignore_case(name.as_bytes(), CookiePrefix::Secure.as_str().as_bytes())
        {
            Some(CookiePrefix::Secure)
        } else {
            None
        }
    }

    /// The prefix as usually written: `"__Host-"` or `"__Secure-"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            CookiePrefix::Host => "__Host-",
            CookiePrefix::Secure => "__Secure-",
        }
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
    /// A `__Host-` or `__Secure-` cookie without `Secure`.
    pub not_secure: bool,
    /// A `__Host-` cookie with a `Domain`.
    pub has_domain: bool,
    /// A `__Host-` cookie whose `Path` is not `/`.
    pub path_not_root: bool,
    /// The name is the prefix alone (`__Host-`), naming nothing.
    pub bare_prefix: bool,
}

impl PrefixProblems {
    /// Whether any rule is broken.
    pub const fn any(self) -> bool {
        self.not_secure || self.has_domain || self.path_not_root || self.bare_prefix
    }

    /// Whether a rule other than `path_not_root` is broken.
    pub const fn any_but_path(self) -> bool {
        self.not_secure || self.has_domain || self.bare_prefix
    }
}

/// The prefix rules of RFC 6265bis §4.1.3 for a cookie `name` with these
/// attributes: `__Secure-` needs `Secure`; `__Host-` needs `Secure`, `Path=/`
/// and no `Domain`. Either prefix must be followed by a name.
pub const fn prefix_problems(
    name: &str,
    secure: bool,
    path: &str,
    has_domain: bool,
) -> PrefixProblems {
    let Some(prefix) = CookiePrefix::of(name) else {
        return PrefixProblems {
            not_secure: false,
            has_domain: false,
            path_not_root: false,
            bare_prefix: false,
        };
    };
    let host = matches!(prefix, CookiePrefix::Host);
    PrefixProblems {
        not_secure: !secure,
        has_domain: host && has_domain,
        path_not_root: host && !(path.len() == 1 && path.as_bytes()[0] == b'/'),
        bare_prefix: name.len() == prefix.as_str().len(),
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
        assert_eq!(CookiePrefix::of("__Host"), None);
        assert_eq!(CookiePrefix::of("plain"), None);
    }

    #[test]
    fn prefix_rules() {
        assert!(!prefix_problems("__Host-a", true, "/", false).any());
        assert!(!prefix_problems("plain", false, "/x", true).any());
        let host = prefix_problems("__Host-a", false, "/x", true);
        assert!(host.not_secure && host.has_domain && host.path_not_root && !host.bare_prefix);
        let secure = prefix_problems("__Secure-a", false, "/x", true);
        assert!(secure.not_secure && !secure.has_domain && !secure.path_not_root);
        assert!(prefix_problems("__Secure-", true, "/", false).bare_prefix);
        assert!(prefix_problems("__host-", true, "/", false).bare_prefix);
    }
}
