//! The numbers that bound what a session cookie may be and what a request may
//! cost: the browser's cookie size limit, the CHIPS partition limits, and how
//! many cookies of one name a request may make the server examine.

/// Browsers keep a cookie only if `len(name) + len(value) <= 4096`
/// (RFC 6265bis §5.6; Chromium `kMaxCookieNamePlusValueSize`, Firefox
/// `kMaxBytesPerCookie`; measured in headless Chromium 156: 4097 is dropped,
/// see docs/frameworks.md). Defined once, in `session-cookie-rules`, which the
/// derive shares.
pub const BROWSER_COOKIE_LIMIT: usize = session_cookie_rules::BROWSER_COOKIE_LIMIT;

/// What Chromium keeps of one site's `Partitioned` cookies in one CHIPS
/// partition: their `len(name) + len(value)` summed, at most 10,240 bytes
/// (`kPerPartitionDomainMaxCookieBytes`), and at most 180 of them
/// (`kPerPartitionDomainMaxCookies`); beyond either, the least recently used
/// are evicted. A `#[session(partitioned)]` session is checked against it at
/// compile time. Defined in `session-cookie-rules`; docs/cookies.md has the
/// measurement.
pub use session_cookie_rules::{
    fits_partition, PARTITION_COOKIE_LIMIT, PARTITION_NAME_VALUE_LIMIT,
};

/// At most this many cookies of the session's name are examined per request.
/// Browsers send duplicates when paths or domains differ (RFC 6265 §5.4 orders
/// longer paths first, so a planted cookie with a longer `Path` comes first);
/// an attacker who can plant cookies could send thousands. Each candidate first
/// gets the cheap checks (length, canonical base64url, format, known key id),
/// which cost no MAC; see [`MAX_VERIFIED_CANDIDATES`] for the MAC bound.
pub const MAX_CANDIDATE_COOKIES: usize = 32;

/// At most this many candidates per request get the MAC check (or AEAD
/// decryption): the bound on cryptographic work an attacker can cause. Every
/// configured key has its own id, so each candidate costs at most one check,
/// and the bound exceeds the 16 planted, well-formed but forged cookies that
/// SECURITY.md promises cannot hide the genuine one (a full-size cookie's MAC
/// is about 2.5 µs, so the worst case is about 50 µs per request).
pub const MAX_VERIFIED_CANDIDATES: usize = 20;
