//! The browser's cookie size limit, the one number every size check uses.

/// Browsers keep a cookie only if `len(name) + len(value) <= 4096`
/// (RFC 6265bis §5.6; Chromium `kMaxCookieNamePlusValueSize`, Firefox
/// `kMaxBytesPerCookie`; measured in headless Chromium 156: 4097 is dropped,
/// see docs/frameworks.md). Defined once, in `session-cookie-rules`, which the
/// derive shares.
pub const BROWSER_COOKIE_LIMIT: usize = session_cookie_rules::BROWSER_COOKIE_LIMIT;
