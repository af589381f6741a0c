//! Cache safety: a response that carries the session's `Set-Cookie` must not
//! be stored by a shared cache and replayed to another user.
//!
//! HTTP caches may store a response whatever its `Set-Cookie` says ("The
//! presence of a Cookie or a Set-Cookie header field does not preclude HTTP
//! caches from storing and reusing a response", draft-ietf-httpbis-layered-
//! cookies-02, "Set-Cookie"). A cache that stores such a response hands the
//! first visitor's session cookie to everyone who gets the cached copy. The
//! response itself has to say "not for shared caches": `Cache-Control:
//! private` (RFC 9111 §5.2.2.7, "a shared cache MUST NOT store the response")
//! or `no-store` (§5.2.2.5). [`CacheProtection`] says which; the rewriting
//! rules are on its variants, and docs/operations.md ("Caches in front") has
//! what each kind of cache does with them.
//!
//! The rewriting is text in, text out, so the `http` glue (`http.rs`, which
//! the tower/axum layer goes through) and the actix-web middleware (whose
//! header types are `http` 0.2) share it. Without the `http` feature there is
//! no response to protect: only the setting exists.

#[cfg(feature = "http")]
use std::borrow::Cow;

#[cfg(feature = "http")]
use crate::response::{Field, ResponseHeaders};

/// What [`SessionConfig::store`](crate::SessionConfig::store), and through it
/// the tower/axum layer and the actix-web middleware, do to a response's
/// caching headers when they append the session's `Set-Cookie` (a changed,
/// renewed, re-keyed, refreshed or cleared session). Responses without the
/// session's `Set-Cookie` are left alone. Set it with
/// [`SessionConfigBuilder::cache_protection`](crate::SessionConfigBuilder::cache_protection).
///
/// ```
/// use http::{header, HeaderMap, HeaderValue};
/// use session_runtime::{CacheProtection, CookieSession, Key, SessionConfig};
///
/// #[derive(CookieSession, serde::Serialize, serde::Deserialize, Default)]
/// #[session(name = "__Host-app", version = 1)]
/// struct App { visits: u32 }
///
/// let config = SessionConfig::<App>::new(Key::from_secret(&[3; 32]).unwrap()).unwrap();
/// assert_eq!(config.cache_protection(), CacheProtection::Private);
/// let mut session = config.load(&HeaderMap::new());
/// session.set_visits(1);
///
/// // The handler asked every cache to keep the page for ten minutes.
/// let mut response = HeaderMap::new();
/// response.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=600"));
/// config.store(&session, &mut response).unwrap();
/// // The browser may keep it; no shared cache may.
/// assert_eq!(response[header::CACHE_CONTROL], "max-age=600, private");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CacheProtection {
    /// The default: the response becomes `private`, so that no shared cache
    /// (proxy, CDN) stores it while the user's own browser still may.
    ///
    /// - no `Cache-Control`: `Cache-Control: private` is added;
    /// - a `Cache-Control` with `private` or `no-store`: kept as it is;
    /// - any other `Cache-Control` (`public, max-age=600`, `no-cache`,
    ///   `s-maxage=60`, ...): `public` and `s-maxage` are removed, the rest is
    ///   kept in order (`max-age` still applies to the browser) and `private`
    ///   is appended;
    /// - a CDN-targeted field, `CDN-Cache-Control` (RFC 9213) or
    ///   `Surrogate-Control` (W3C Edge Architecture), without `no-store`
    ///   becomes `no-store`: a CDN that reads such a field ignores
    ///   `Cache-Control` (RFC 9213, "Cache Behavior"), so leaving it would let
    ///   the CDN store the response. Vendor fields outside these two are not
    ///   touched.
    #[default]
    Private,
    /// As [`Private`](Self::Private), with `no-store` instead of `private`:
    /// no cache stores the response, the browser's included (RFC 9111
    /// §5.2.2.5). A `Cache-Control` that already has `no-store` is kept.
    /// Costs the browser's cache (and, in some browsers, the back/forward
    /// cache) for these responses.
    NoStore,
    /// Caching headers are left as the handler set them. For apps whose
    /// caches are configured never to store responses with `Set-Cookie`
    /// (docs/operations.md says how), or that set their own.
    Off,
}

/// The field [`CacheProtection`] adds its directive to, lower-case.
#[cfg(feature = "http")]
const CACHE_CONTROL: &str = Field::CacheControl.name();

/// Every field a response's caching is read from, `Cache-Control` first:
/// `CDN-Cache-Control` is RFC 9213's field for CDNs, `Surrogate-Control` the
/// W3C Edge Architecture Specification's for surrogates (CDNs).
#[cfg(feature = "http")]
const FIELDS: [Field; 3] = [
    Field::CacheControl,
    Field::CdnCacheControl,
    Field::SurrogateControl,
];

#[cfg(feature = "http")]
impl CacheProtection {
    /// The directive this protection puts into `Cache-Control`.
    fn directive(self) -> Option<&'static str> {
        match self {
            CacheProtection::Private => Some("private"),
            CacheProtection::NoStore => Some("no-store"),
            CacheProtection::Off => None,
        }
    }

    /// The new value of `field` (one of [`FIELDS`]) for a response that
    /// carries the session's `Set-Cookie`, given its current lines
    /// (`lines` empty when the field is absent), or `None` to leave the field
    /// as it is. A replacement replaces every line of the field.
    pub(crate) fn rewrite<'a>(
        self,
        field: &str,
        lines: impl IntoIterator<Item = &'a [u8]>,
    ) -> Option<Cow<'static, str>> {
        let ours = self.directive()?;
        let mut lines = lines.into_iter().peekable();
        if field != CACHE_CONTROL {
            // A targeted field only matters when present; `no-store` is a
            // directive every cache that reads one implements (RFC 9213,
            // "Cache Behavior").
            lines.peek()?;
            return match Directives::parse(lines) {
                Some(directives) if directives.has("no-store") => None,
                _ => Some(Cow::Borrowed("no-store")),
            };
        }
        if lines.peek().is_none() {
            return Some(Cow::Borrowed(ours));
        }
        let Some(directives) = Directives::parse(lines) else {
            // Not text we can read (obs-text or a broken quoted string): a
            // cache cannot read it reliably either, so it is replaced.
            return Some(Cow::Borrowed(ours));
        };
        if directives.forbids_shared_storage(self) {
            return None;
        }
        let mut out = String::new();
        for directive in directives
            .items
            .iter()
            .filter(|d| !d.grants_shared_storage())
        {
            out.push_str(directive.text);
            out.push_str(", ");
        }
        out.push_str(ours);
        Some(Cow::Owned(out))
    }
}

#[cfg(feature = "http")]
/// One `Cache-Control` directive as written (`max-age=600`,
/// `no-cache="Set-Cookie, X"`), with its name lower-cased for matching.
struct Directive<'a> {
    text: &'a str,
    name: String,
    has_value: bool,
}

#[cfg(feature = "http")]
impl Directive<'_> {
    /// `public` and `s-maxage` let a shared cache store a response that
    /// otherwise could not be (RFC 9111 §5.2.2.9, §5.2.2.10); they go when
    /// the response becomes private.
    fn grants_shared_storage(&self) -> bool {
        self.name == "public" || self.name == "s-maxage"
    }
}

/// The directives of every line of one field, in order.
#[cfg(feature = "http")]
struct Directives<'a> {
    items: Vec<Directive<'a>>,
}

#[cfg(feature = "http")]
impl<'a> Directives<'a> {
    /// Splits each line on the commas outside quoted strings (RFC 9110 §5.6.1
    /// lists, §5.6.4 quoted strings); empty elements are dropped. `None` when
    /// a line is not visible ASCII or leaves a quoted string open.
    fn parse(lines: impl Iterator<Item = &'a [u8]>) -> Option<Directives<'a>> {
        let mut items = Vec::new();
        for line in lines {
            let line = core::str::from_utf8(line).ok()?;
            if !line
                .bytes()
                .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
            {
                return None;
            }
            let mut start = 0;
            let mut quoted = false;
            let mut escaped = false;
            for (at, byte) in line.bytes().enumerate() {
                match byte {
                    _ if escaped => escaped = false,
                    b'\\' if quoted => escaped = true,
                    b'"' => quoted = !quoted,
                    b',' if !quoted => {
                        items.extend(Directive::new(&line[start..at]));
                        start = at + 1;
                    }
                    _ => {}
                }
            }
            if quoted {
                return None;
            }
            items.extend(Directive::new(&line[start..]));
        }
        Some(Directives { items })
    }

    /// Whether a directive called `name` is present (with a value or not).
    fn has(&self, name: &str) -> bool {
        self.items.iter().any(|d| d.name == name)
    }

    /// Whether the directives already keep the response out of shared caches
    /// as `protection` asks: `no-store` always does; unqualified `private`
    /// does for [`CacheProtection::Private`] (a qualified
    /// `private="Set-Cookie"` lets a shared cache store the rest).
    fn forbids_shared_storage(&self, protection: CacheProtection) -> bool {
        self.items.iter().any(|d| {
            d.name == "no-store"
                || (d.name == "private" && !d.has_value && protection == CacheProtection::Private)
        })
    }
}

#[cfg(feature = "http")]
impl<'a> Directive<'a> {
    fn new(element: &'a str) -> Option<Directive<'a>> {
        let text = element.trim_matches([' ', '\t']);
        if text.is_empty() {
            return None;
        }
        let (name, has_value) = match text.split_once('=') {
            Some((name, _)) => (name.trim_end_matches([' ', '\t']), true),
            None => (text, false),
        };
        Some(Directive {
            text,
            name: name.to_ascii_lowercase(),
            has_value,
        })
    }
}

#[cfg(feature = "http")]
impl CacheProtection {
    /// Applies [`rewrite`](Self::rewrite) to every caching field of
    /// `headers`: the store path's, whichever framework's map it writes.
    pub(crate) fn protect(self, headers: &mut impl ResponseHeaders) {
        let Some(ours) = self.directive() else {
            return;
        };
        // The usual response has none of the fields: one pass over its names
        // (a handful) instead of a hash look-up per field (with the directive
        // as a new `String`, ≈ 70 ns of a write in the in-process HTTP
        // benchmark's profile), then the directive, static.
        let present = headers
            .names()
            .any(|name| FIELDS.iter().any(|field| field.name() == name));
        if !present {
            let _ = headers.replace(Field::CacheControl, Cow::Borrowed(ours));
            return;
        }
        for field in FIELDS {
            if let Some(value) = self.rewrite(field.name(), headers.lines(field)) {
                // Built from visible ASCII only: always a valid header value.
                let _ = headers.replace(field, value);
            }
        }
    }
}

#[cfg(all(test, feature = "http"))]
mod tests {
    use super::*;

    fn rewrite(
        protection: CacheProtection,
        field: &str,
        lines: &[&str],
    ) -> Option<Cow<'static, str>> {
        protection.rewrite(field, lines.iter().map(|l| l.as_bytes()))
    }

    fn private(lines: &[&str]) -> Option<Cow<'static, str>> {
        rewrite(CacheProtection::Private, CACHE_CONTROL, lines)
    }

    #[test]
    fn private_is_added_when_there_is_no_cache_control() {
        assert_eq!(private(&[]).as_deref(), Some("private"));
        assert_eq!(
            rewrite(CacheProtection::NoStore, CACHE_CONTROL, &[]).as_deref(),
            Some("no-store")
        );
        assert_eq!(rewrite(CacheProtection::Off, CACHE_CONTROL, &[]), None);
    }

    #[test]
    fn private_or_no_store_is_kept() {
        assert_eq!(private(&["private"]), None);
        assert_eq!(private(&["PRIVATE, max-age=60"]), None);
        assert_eq!(private(&["max-age=0", " no-store "]), None);
        assert_eq!(
            rewrite(CacheProtection::NoStore, CACHE_CONTROL, &["no-store"]),
            None
        );
        // `private` is not enough for NoStore.
        assert_eq!(
            rewrite(
                CacheProtection::NoStore,
                CACHE_CONTROL,
                &["private, max-age=60"]
            )
            .as_deref(),
            Some("private, max-age=60, no-store")
        );
    }

    #[test]
    fn shared_cache_grants_are_replaced() {
        assert_eq!(
            private(&["public, max-age=600"]).as_deref(),
            Some("max-age=600, private")
        );
        assert_eq!(
            private(&["s-maxage=60", "Public", "must-revalidate"]).as_deref(),
            Some("must-revalidate, private")
        );
        // `no-cache` allows storing (with revalidation): not enough.
        assert_eq!(private(&["no-cache"]).as_deref(), Some("no-cache, private"));
        // A qualified `private` still lets a shared cache store the rest.
        assert_eq!(
            private(&["private=\"Set-Cookie\""]).as_deref(),
            Some("private=\"Set-Cookie\", private")
        );
        assert_eq!(
            rewrite(
                CacheProtection::NoStore,
                CACHE_CONTROL,
                &["public, max-age=600"]
            )
            .as_deref(),
            Some("max-age=600, no-store")
        );
        assert_eq!(
            rewrite(
                CacheProtection::Off,
                CACHE_CONTROL,
                &["public, max-age=600"]
            ),
            None
        );
    }

    #[test]
    fn quoted_commas_and_empty_elements() {
        assert_eq!(
            private(&["no-cache=\"Set-Cookie, X-A\", public,, max-age=5"]).as_deref(),
            Some("no-cache=\"Set-Cookie, X-A\", max-age=5, private")
        );
        assert_eq!(
            private(&["x=\"a\\\"b, public\", public"]).as_deref(),
            Some("x=\"a\\\"b, public\", private")
        );
        assert_eq!(private(&[" , "]).as_deref(), Some("private"));
        // Unreadable values are replaced outright.
        assert_eq!(private(&["public, x=\"open"]).as_deref(), Some("private"));
        assert_eq!(
            CacheProtection::Private
                .rewrite(CACHE_CONTROL, [&b"public, max-age=9\xff"[..]])
                .as_deref(),
            Some("private")
        );
    }

    #[test]
    fn cdn_fields_stop_granting_storage() {
        for field in [
            Field::CdnCacheControl.name(),
            Field::SurrogateControl.name(),
        ] {
            for protection in [CacheProtection::Private, CacheProtection::NoStore] {
                assert_eq!(rewrite(protection, field, &[]), None, "absent stays absent");
                assert_eq!(
                    rewrite(protection, field, &["max-age=600"]).as_deref(),
                    Some("no-store")
                );
                assert_eq!(rewrite(protection, field, &["no-store"]), None);
                assert_eq!(
                    rewrite(protection, field, &["max-age=1, \"open"]).as_deref(),
                    Some("no-store")
                );
            }
            // `no-store` is the directive every cache that reads a targeted
            // field implements (RFC 9213); `private` is not relied on there.
            assert_eq!(
                rewrite(CacheProtection::Private, field, &["private"]).as_deref(),
                Some("no-store")
            );
            assert_eq!(rewrite(CacheProtection::Off, field, &["max-age=600"]), None);
        }
    }

    #[test]
    fn protect_rewrites_every_line_of_each_field() {
        use http::{HeaderMap, HeaderValue};
        let mut headers = HeaderMap::new();
        headers.append("cache-control", HeaderValue::from_static("public"));
        headers.append("cache-control", HeaderValue::from_static("max-age=600"));
        headers.append("cdn-cache-control", HeaderValue::from_static("max-age=600"));
        headers.append("x-other", HeaderValue::from_static("public"));
        CacheProtection::Private.protect(&mut headers);
        let all = |name: &str| -> Vec<&str> {
            headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().unwrap())
                .collect()
        };
        assert_eq!(all("cache-control"), ["max-age=600, private"]);
        assert_eq!(all("cdn-cache-control"), ["no-store"]);
        assert!(all("surrogate-control").is_empty());
        assert_eq!(all("x-other"), ["public"]);
    }
}
