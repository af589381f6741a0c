//! The response headers the store path writes: `Set-Cookie`, the caching
//! fields it rewrites, and with DBSC the registration offer. One trait,
//! [`ResponseHeaders`], implemented here for the `http` crate's `HeaderMap`
//! and in the actix-web adapter for actix-web's own (`http` 0.2), so each
//! framework's response gets its headers directly: a temporary `http` 1.x
//! map and a copy into actix-web's cost 55–85 ns per write (BENCHMARKS.md as of
//! commit `96b0bbd`, "Where our layer's time goes").

use std::borrow::Cow;

/// A response field the store path writes or rewrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    /// `Set-Cookie`.
    SetCookie,
    /// `Cache-Control`.
    CacheControl,
    /// `CDN-Cache-Control` (RFC 9213).
    CdnCacheControl,
    /// `Surrogate-Control` (W3C Edge Architecture).
    SurrogateControl,
    /// `Secure-Session-Registration` (DBSC, "DBSC Formats").
    #[cfg(feature = "dbsc")]
    SessionRegistration,
}

impl Field {
    /// The field's name, lower-case (as both `http` versions spell it).
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Field::SetCookie => "set-cookie",
            Field::CacheControl => "cache-control",
            Field::CdnCacheControl => "cdn-cache-control",
            Field::SurrogateControl => "surrogate-control",
            #[cfg(feature = "dbsc")]
            Field::SessionRegistration => "secure-session-registration",
        }
    }
}

/// A value the response's header map refused. Never for what the store path
/// writes (validated names and attributes, base64url, visible ASCII), but a
/// failure is an error, not a panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidValue;

impl core::fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("failed to parse header value")
    }
}

/// A response's header map, as the store path writes it.
pub(crate) trait ResponseHeaders {
    /// Appends a line of `field` (other lines of it are kept).
    fn append(&mut self, field: Field, value: String) -> Result<(), InvalidValue>;

    /// Replaces every line of `field` with `value`. A borrowed value is one
    /// of the store path's constants (`private`, `no-store`): a valid header
    /// value, taken without a copy.
    fn replace(&mut self, field: Field, value: Cow<'static, str>) -> Result<(), InvalidValue>;

    /// Every line of `field`, in order, as bytes.
    fn lines(&self, field: Field) -> impl Iterator<Item = &[u8]>;

    /// The name of every field the response has, lower-case, each once.
    fn names(&self) -> impl Iterator<Item = &str>;
}

#[cfg(feature = "http")]
impl Field {
    /// The `http` crate's name of the field (constants: a name made at run
    /// time is parsed each time).
    fn http_name(self) -> http::HeaderName {
        use http::header::{self, HeaderName};
        const CDN: HeaderName = HeaderName::from_static(Field::CdnCacheControl.name());
        const SURROGATE: HeaderName = HeaderName::from_static(Field::SurrogateControl.name());
        #[cfg(feature = "dbsc")]
        const REGISTRATION: HeaderName = HeaderName::from_static(Field::SessionRegistration.name());
        match self {
            Field::SetCookie => header::SET_COOKIE,
            Field::CacheControl => header::CACHE_CONTROL,
            Field::CdnCacheControl => CDN,
            Field::SurrogateControl => SURROGATE,
            #[cfg(feature = "dbsc")]
            Field::SessionRegistration => REGISTRATION,
        }
    }
}

#[cfg(feature = "http")]
impl ResponseHeaders for http::HeaderMap {
    fn append(&mut self, field: Field, value: String) -> Result<(), InvalidValue> {
        // `try_from(String)` keeps the allocation when it has no spare
        // capacity (the store renders at exact capacity).
        let value = http::HeaderValue::try_from(value).map_err(|_| InvalidValue)?;
        http::HeaderMap::append(self, field.http_name(), value);
        Ok(())
    }

    fn replace(&mut self, field: Field, value: Cow<'static, str>) -> Result<(), InvalidValue> {
        let value = match value {
            // Only the store path's constants are borrowed (`cache.rs`).
            Cow::Borrowed(text) => http::HeaderValue::from_static(text),
            Cow::Owned(text) => http::HeaderValue::try_from(text).map_err(|_| InvalidValue)?,
        };
        self.insert(field.http_name(), value);
        Ok(())
    }

    fn lines(&self, field: Field) -> impl Iterator<Item = &[u8]> {
        self.get_all(field.http_name())
            .into_iter()
            .map(http::HeaderValue::as_bytes)
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        self.keys().map(http::HeaderName::as_str)
    }
}

#[cfg(all(test, feature = "http"))]
mod tests {
    use super::*;

    #[test]
    fn the_http_map_appends_replaces_and_reads_lines() {
        let mut map = http::HeaderMap::new();
        ResponseHeaders::append(&mut map, Field::SetCookie, "a=1".to_owned()).unwrap();
        ResponseHeaders::append(&mut map, Field::SetCookie, "b=2".to_owned()).unwrap();
        map.append("cache-control", http::HeaderValue::from_static("public"));
        map.append("cache-control", http::HeaderValue::from_static("max-age=6"));
        let lines: Vec<&[u8]> = map.lines(Field::SetCookie).collect();
        assert_eq!(lines, [&b"a=1"[..], b"b=2"]);
        ResponseHeaders::replace(&mut map, Field::CacheControl, "private".into()).unwrap();
        assert_eq!(map.get_all("cache-control").iter().count(), 1);
        assert_eq!(map["cache-control"], "private");
        assert_eq!(map.lines(Field::SurrogateControl).count(), 0);
        let names: Vec<&str> = map.names().collect();
        assert_eq!(names, ["set-cookie", "cache-control"]);
        assert_eq!(
            ResponseHeaders::append(&mut map, Field::SetCookie, "bad\nvalue".to_owned()),
            Err(InvalidValue)
        );
    }
}
