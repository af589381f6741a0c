//! Cookie attributes, their prefix and `Partitioned` rules, `Set-Cookie`
//! rendering and `Cookie` header scanning (RFC 6265 §4.1.1 / §5.4, RFC 6265bis
//! §4.1.3, draft-ietf-httpbis-layered-cookies-02, CHIPS).

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use session_cookie_rules::{self as rules, CookiePrefix};

use crate::codec::expiry::Timeouts;
use crate::lifetime::Lifetime;

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// Sent on same-site requests only.
    Strict,
    /// Sent on same-site requests and top-level cross-site navigations (the
    /// browsers' default and ours: it blocks CSRF on POST while keeping links working).
    Lax,
    /// Sent on every request; browsers require `Secure` with it.
    None,
}

impl SameSite {
    fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

/// The attributes of the session cookie.
///
/// The defaults suit a `__Host-` or `__Host-Http-` cookie: `Path=/`, `Secure`,
/// `HttpOnly`, `SameSite=Lax`, no `Domain`, not `Partitioned`. A session type
/// sets its own with `#[session(path = "...", domain = "...", secure = ...,
/// http_only = ..., same_site = "...", partitioned)]`, and
/// [`SessionConfigBuilder::attributes`](crate::SessionConfigBuilder::attributes)
/// can replace them at run time (for instance `secure = false` in local development
/// without a prefixed name).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CookieAttributes {
    /// `Path`; must start with `/`.
    pub path: Cow<'static, str>,
    /// `Domain`; `None` makes a host-only cookie (required by `__Host-`).
    pub domain: Option<Cow<'static, str>>,
    /// `Secure`: only sent over HTTPS (browsers treat `http://localhost` as secure).
    pub secure: bool,
    /// `HttpOnly`: hidden from page scripts, so XSS cannot read the session.
    pub http_only: bool,
    /// `SameSite`.
    pub same_site: SameSite,
    /// `Partitioned` (CHIPS): the browser keeps a separate cookie per
    /// top-level site the app is embedded under, so the session works in a
    /// cross-site `<iframe>` where third-party cookies are blocked. Needs
    /// `Secure` and `SameSite=None`; docs/cookies.md has what Chromium does
    /// with it.
    pub partitioned: bool,
}

impl CookieAttributes {
    /// `Path=/; Secure; HttpOnly; SameSite=Lax`, no `Domain`, not `Partitioned`.
    pub const SECURE_DEFAULTS: CookieAttributes = CookieAttributes {
        path: Cow::Borrowed("/"),
        domain: None,
        secure: true,
        http_only: true,
        same_site: SameSite::Lax,
        partitioned: false,
    };

    /// Checks these attributes against the cookie name's prefix rules, the
    /// `Partitioned` rules and the attribute syntax (the same rules the
    /// derive checks at compile time);
    /// [`SessionConfigBuilder::build`](crate::SessionConfigBuilder::build)
    /// calls it for you.
    pub fn validate_for(&self, name: &str) -> Result<(), AttributeError> {
        validate_name(name)?;
        if !rules::is_path_value(&self.path) {
            return Err(AttributeError::InvalidPath);
        }
        if let Some(domain) = &self.domain {
            if !rules::is_domain_value(domain) {
                return Err(AttributeError::InvalidDomain);
            }
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err(AttributeError::SameSiteNoneNeedsSecure);
        }
        let partitioned = rules::partitioned_problems(
            self.partitioned,
            self.secure,
            self.same_site == SameSite::None,
        );
        if partitioned.not_secure {
            return Err(AttributeError::PartitionedNeedsSecure);
        }
        if partitioned.not_same_site_none {
            return Err(AttributeError::PartitionedNeedsSameSiteNone);
        }
        let problems = rules::prefix_problems(
            name,
            self.secure,
            self.http_only,
            &self.path,
            self.domain.is_some(),
        );
        if problems.bare_prefix {
            return Err(AttributeError::InvalidName);
        }
        match CookiePrefix::of(name) {
            _ if !problems.any() => Ok(()),
            Some(CookiePrefix::Host) => Err(AttributeError::HostPrefix),
            Some(CookiePrefix::Secure) => Err(AttributeError::SecurePrefix),
            Some(CookiePrefix::Http) => Err(AttributeError::HttpPrefix),
            Some(CookiePrefix::HostHttp) => Err(AttributeError::HostHttpPrefix),
            // A prefix this crate does not know yet has no rule here.
            _ => Ok(()),
        }
    }
}

impl Default for CookieAttributes {
    fn default() -> Self {
        Self::SECURE_DEFAULTS
    }
}

/// Cookie attributes or name that a browser would refuse or ignore.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttributeError {
    /// The name is empty, has characters outside the RFC 6265 `token` set, or
    /// is a prefix (`__Host-`, `__Secure-`, `__Http-`, `__Host-Http-`) with
    /// nothing after it.
    InvalidName,
    /// `Path` does not start with `/`, has `;` or control characters, or is over
    /// 1024 bytes (RFC 6265bis §5.6: longer attribute values are ignored).
    InvalidPath,
    /// `Domain` is empty, has `;` or control characters, or is over 1024 bytes.
    InvalidDomain,
    /// A `__Host-` cookie needs `Secure`, `Path=/` and no `Domain`.
    HostPrefix,
    /// A `__Secure-` cookie needs `Secure`.
    SecurePrefix,
    /// A `__Http-` cookie needs `Secure` and `HttpOnly`
    /// (draft-ietf-httpbis-layered-cookies).
    HttpPrefix,
    /// A `__Host-Http-` cookie needs `Secure`, `HttpOnly`, `Path=/` and no
    /// `Domain` (draft-ietf-httpbis-layered-cookies).
    HostHttpPrefix,
    /// Browsers drop `SameSite=None` cookies that are not `Secure`.
    SameSiteNoneNeedsSecure,
    /// Chromium refuses a `Partitioned` cookie that is not `Secure` (CHIPS).
    PartitionedNeedsSecure,
    /// A `Partitioned` cookie is for cross-site frames, where browsers neither
    /// store nor send a `SameSite=Lax` or `Strict` cookie: it needs
    /// `SameSite=None`.
    PartitionedNeedsSameSiteNone,
}

impl fmt::Display for AttributeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AttributeError::InvalidName => {
                "cookie name must be a non-empty RFC 6265 token (no spaces, controls or ()<>@,;:\\\"/[]?={}), and more than a `__Host-`/`__Secure-`/`__Http-`/`__Host-Http-` prefix"
            }
            AttributeError::InvalidPath => {
                "cookie Path must start with `/`, have no `;` or control characters, and be at most 1024 bytes"
            }
            AttributeError::InvalidDomain => {
                "cookie Domain must be non-empty, have no `;` or control characters, and be at most 1024 bytes"
            }
            AttributeError::HostPrefix => {
                "a `__Host-` cookie must be Secure, have Path=/ and no Domain (RFC 6265bis §4.1.3.2)"
            }
            AttributeError::SecurePrefix => {
                "a `__Secure-` cookie must be Secure (RFC 6265bis §4.1.3.1)"
            }
            AttributeError::HttpPrefix => {
                "a `__Http-` cookie must be Secure and HttpOnly (draft-ietf-httpbis-layered-cookies)"
            }
            AttributeError::HostHttpPrefix => {
                "a `__Host-Http-` cookie must be Secure and HttpOnly, have Path=/ and no Domain (draft-ietf-httpbis-layered-cookies)"
            }
            AttributeError::SameSiteNoneNeedsSecure => {
                "SameSite=None cookies must be Secure, or browsers drop them"
            }
            AttributeError::PartitionedNeedsSecure => {
                "Partitioned cookies must be Secure, or Chromium refuses them (CHIPS)"
            }
            AttributeError::PartitionedNeedsSameSiteNone => {
                "a Partitioned session needs SameSite=None: browsers neither store nor send SameSite=Lax or Strict cookies in the cross-site frames partitioning is for"
            }
        })
    }
}

impl std::error::Error for AttributeError {}

/// RFC 6265 §4.1.1 `cookie-name = token` (RFC 2616 §2.2): visible ASCII except
/// separators; the rule itself lives in `session-cookie-rules`, shared with
/// the derive.
pub(crate) fn validate_name(name: &str) -> Result<(), AttributeError> {
    if rules::is_cookie_name(name) {
        Ok(())
    } else {
        Err(AttributeError::InvalidName)
    }
}

/// Renders the attribute part of `Set-Cookie` (`; Path=/; Secure; ...`) without
/// `Max-Age`, once per configuration.
pub(crate) fn render_attributes(attributes: &CookieAttributes) -> String {
    let mut out = String::with_capacity(64);
    let _ = write!(out, "; Path={}", attributes.path);
    if let Some(domain) = &attributes.domain {
        let _ = write!(out, "; Domain={domain}");
    }
    if attributes.secure {
        out.push_str("; Secure");
    }
    if attributes.http_only {
        out.push_str("; HttpOnly");
    }
    let _ = write!(out, "; SameSite={}", attributes.same_site.as_str());
    if attributes.partitioned {
        // Also on the removal cookie: a Set-Cookie without `Partitioned`
        // would address the unpartitioned cookie of that name instead.
        out.push_str("; Partitioned");
    }
    out
}

/// The value-part of every `name=value` pair named `name` in the `Cookie`
/// headers, in header order.
///
/// Pairs are split on `;`, optional whitespace around a pair is dropped (RFC
/// 6265 §5.4 puts `"; "` between pairs; some proxies add more), and everything
/// after the first `=` is the value, verbatim: a quoted or space-padded value is
/// left as is, and the decoder rejects it as non-canonical.
pub(crate) fn cookie_values<'a, I: Iterator<Item = &'a [u8]>>(
    headers: I,
    name: &'a str,
) -> CookieValues<'a, I> {
    CookieValues {
        headers,
        rest: &[],
        name: name.as_bytes(),
    }
}

/// The iterator of [`cookie_values`]. Written out rather than a `flat_map`
/// of `filter_map`s: the adapters' nested state lived in memory and the
/// one-cookie check after the first candidate stalled on it (perf, `load`).
pub(crate) struct CookieValues<'a, I> {
    headers: I,
    /// What is left of the current header.
    rest: &'a [u8],
    name: &'a [u8],
}

impl<'a, I: Iterator<Item = &'a [u8]>> Iterator for CookieValues<'a, I> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            while self.rest.is_empty() {
                self.rest = self.headers.next()?;
            }
            let pair = match find_byte(self.rest, b';') {
                Some(at) => {
                    let pair = &self.rest[..at];
                    self.rest = &self.rest[at + 1..];
                    pair
                }
                None => core::mem::take(&mut self.rest),
            };
            if let Some((pair_name, value)) = split_once(trim_ows(pair), b'=') {
                if pair_name == self.name {
                    return Some(value);
                }
            }
        }
    }
}

/// Index of the first `needle` in `haystack`. A cookie value is long and
/// separators are sparse: the byte-by-byte scan was the largest cost of `load`
/// after SHA-256 and base64 (perf, medium session). `memchr` (SIMD) replaced
/// a hand-written eight-bytes-at-a-time loop; BENCHMARKS.md has the figures.
fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    memchr::memchr(needle, haystack)
}

fn split_once(bytes: &[u8], separator: u8) -> Option<(&[u8], &[u8])> {
    let at = find_byte(bytes, separator)?;
    Some((&bytes[..at], &bytes[at + 1..]))
}

fn trim_ows(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

/// The attribute that tells a persistent cookie's lifetime to the browser.
pub(crate) const MAX_AGE: &str = "; Max-Age=";

/// What follows the value in the `Set-Cookie` of a session that starts now
/// under one lifetime: `; Max-Age=N` (persistent lifetimes) and the
/// attributes. Rendered once per configuration: digits and three appends
/// per write were 3% of a small session's `set_cookie` (perf).
#[derive(Debug, Clone, Default)]
pub(crate) struct SetCookieTail {
    /// The `Max-Age` in `text`, if any.
    pub(crate) max_age_secs: Option<u64>,
    pub(crate) text: String,
}

impl SetCookieTail {
    /// The tail of each lifetime (indexed by its wire byte, like
    /// `lifetimes`); an undeclared lifetime gets an empty one, never used.
    pub(crate) fn per_lifetime(
        lifetimes: &[Option<Timeouts>; 3],
        attribute_suffix: &str,
    ) -> [SetCookieTail; 3] {
        let mut tails: [SetCookieTail; 3] = Default::default();
        for (byte, timeouts) in (0u8..).zip(lifetimes) {
            let (Some(lifetime), Some(timeouts)) = (Lifetime::from_byte(byte), timeouts) else {
                continue;
            };
            let max_age_secs = lifetime
                .is_persistent()
                .then(|| timeouts.new_session_max_age_secs());
            let mut text = String::new();
            if let Some(secs) = max_age_secs {
                text.push_str(MAX_AGE);
                push_decimal(&mut text, secs);
            }
            text.push_str(attribute_suffix);
            tails[usize::from(byte)] = SetCookieTail { max_age_secs, text };
        }
        tails
    }
}

/// Number of decimal digits of `value`.
pub(crate) fn decimal_len(mut value: u64) -> usize {
    let mut digits = 1;
    while value >= 10 {
        value /= 10;
        digits += 1;
    }
    digits
}

/// Appends `value` in decimal without going through `core::fmt` on every
/// write (callgrind: `write!` was the largest non-crypto cost of rendering).
pub(crate) fn push_decimal(out: &mut String, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.push_str(core::str::from_utf8(&digits[start..]).expect("ASCII digits"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(headers: &'a [&'a str], name: &'a str) -> Vec<&'a [u8]> {
        cookie_values(headers.iter().map(|h| h.as_bytes()), name).collect()
    }

    #[test]
    fn find_byte_agrees_with_a_plain_scan() {
        let text: Vec<u8> = (0..200u32).map(|i| (i * 37 % 251) as u8).collect();
        for start in 0..text.len() {
            for needle in [0u8, b';', b'=', 0x80, 0xff, 59, 200] {
                let hay = &text[start..];
                assert_eq!(
                    find_byte(hay, needle),
                    hay.iter().position(|&b| b == needle)
                );
            }
        }
    }

    #[test]
    fn scans_several_headers_and_pairs() {
        let headers = ["a=1; s=first;b=2", "s=second ;  c=3", "s"];
        assert_eq!(values(&headers, "s"), vec![&b"first"[..], b"second"]);
        assert_eq!(values(&headers, "c"), vec![&b"3"[..]]);
        assert!(values(&headers, "S").is_empty(), "names are case-sensitive");
    }

    #[test]
    fn keeps_values_verbatim() {
        let headers = ["s=\"quoted\"; t= padded; u=a=b"];
        assert_eq!(values(&headers, "s"), vec![&b"\"quoted\""[..]]);
        assert_eq!(values(&headers, "t"), vec![&b" padded"[..]]);
        assert_eq!(values(&headers, "u"), vec![&b"a=b"[..]]);
    }

    #[test]
    fn prefix_rules() {
        let mut attrs = CookieAttributes::SECURE_DEFAULTS;
        assert_eq!(attrs.validate_for("__Host-app"), Ok(()));
        attrs.path = Cow::Borrowed("/app");
        assert_eq!(
            attrs.validate_for("__Host-app"),
            Err(AttributeError::HostPrefix)
        );
        assert_eq!(
            attrs.validate_for("__host-app"),
            Err(AttributeError::HostPrefix)
        );
        assert_eq!(attrs.validate_for("__Secure-app"), Ok(()));
        attrs.secure = false;
        attrs.same_site = SameSite::Strict;
        assert_eq!(
            attrs.validate_for("__Secure-app"),
            Err(AttributeError::SecurePrefix)
        );
        assert_eq!(attrs.validate_for("plain"), Ok(()));
        assert_eq!(
            attrs.validate_for("bad name"),
            Err(AttributeError::InvalidName)
        );
        assert_eq!(attrs.validate_for(""), Err(AttributeError::InvalidName));
        assert_eq!(
            CookieAttributes::SECURE_DEFAULTS.validate_for("__Host-"),
            Err(AttributeError::InvalidName)
        );
    }

    #[test]
    fn http_prefix_rules() {
        let mut attrs = CookieAttributes::SECURE_DEFAULTS;
        assert_eq!(attrs.validate_for("__Http-app"), Ok(()));
        assert_eq!(attrs.validate_for("__Host-Http-app"), Ok(()));
        // `__Http-` leaves Path and Domain free; `__Host-Http-` does not.
        attrs.path = Cow::Borrowed("/app");
        attrs.domain = Some(Cow::Borrowed("example.com"));
        assert_eq!(attrs.validate_for("__Http-app"), Ok(()));
        assert_eq!(
            attrs.validate_for("__Host-Http-app"),
            Err(AttributeError::HostHttpPrefix)
        );
        attrs = CookieAttributes::SECURE_DEFAULTS;
        attrs.http_only = false;
        assert_eq!(
            attrs.validate_for("__http-app"),
            Err(AttributeError::HttpPrefix)
        );
        assert_eq!(
            attrs.validate_for("__HOST-HTTP-app"),
            Err(AttributeError::HostHttpPrefix)
        );
        assert_eq!(attrs.validate_for("__Host-app"), Ok(()));
        attrs.http_only = true;
        attrs.secure = false;
        attrs.same_site = SameSite::Strict;
        assert_eq!(
            attrs.validate_for("__Http-app"),
            Err(AttributeError::HttpPrefix)
        );
        assert_eq!(
            CookieAttributes::SECURE_DEFAULTS.validate_for("__Host-Http-"),
            Err(AttributeError::InvalidName)
        );
    }

    #[test]
    fn partitioned_rules() {
        let partitioned = CookieAttributes {
            same_site: SameSite::None,
            partitioned: true,
            ..CookieAttributes::SECURE_DEFAULTS
        };
        assert_eq!(partitioned.validate_for("__Host-embed"), Ok(()));
        assert_eq!(partitioned.validate_for("embed"), Ok(()));
        let lax = CookieAttributes {
            same_site: SameSite::Lax,
            ..partitioned.clone()
        };
        assert_eq!(
            lax.validate_for("embed"),
            Err(AttributeError::PartitionedNeedsSameSiteNone)
        );
        let strict = CookieAttributes {
            same_site: SameSite::Strict,
            ..partitioned.clone()
        };
        assert_eq!(
            strict.validate_for("embed"),
            Err(AttributeError::PartitionedNeedsSameSiteNone)
        );
        let insecure = CookieAttributes {
            secure: false,
            same_site: SameSite::Strict,
            ..partitioned
        };
        assert_eq!(
            insecure.validate_for("embed"),
            Err(AttributeError::PartitionedNeedsSecure)
        );
    }

    #[test]
    fn renders_attributes_in_a_stable_order() {
        assert_eq!(
            render_attributes(&CookieAttributes::SECURE_DEFAULTS),
            "; Path=/; Secure; HttpOnly; SameSite=Lax"
        );
        let partitioned = CookieAttributes {
            same_site: SameSite::None,
            partitioned: true,
            ..CookieAttributes::SECURE_DEFAULTS
        };
        assert_eq!(
            render_attributes(&partitioned),
            "; Path=/; Secure; HttpOnly; SameSite=None; Partitioned"
        );
    }
}
