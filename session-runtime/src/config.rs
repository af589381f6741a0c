//! Keys, timeouts and attributes for one session type, and the load/store
//! operations on `http` types.

use core::fmt;
use core::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Request, Response};

use crate::clock::{Clock, SystemClock};
use crate::cookie::{cookie_values, render_attributes, AttributeError, CookieAttributes};
use crate::key::{Key, KeyId};
use crate::reject::Rejection;
use crate::session::{LoadStatus, Origin, Session, WriteReason};
use crate::wire::{self, Header, Protection, MAX_RAW_LEN};
use crate::CookieSession;

/// Browsers keep a cookie only if `len(name) + len(value) <= 4096`
/// (RFC 6265bis §5.6; Chromium `kMaxCookieNamePlusValueSize`, Firefox
/// `kMaxBytesPerCookie`; measured in headless Chromium 156: 4097 is dropped).
pub const BROWSER_COOKIE_LIMIT: usize = session_cookie_rules::BROWSER_COOKIE_LIMIT;

/// At most this many cookies of the session's name are tried per request.
/// Browsers send duplicates when paths or domains differ (RFC 6265 §5.4 orders
/// longer paths first); an attacker who can plant cookies could send thousands,
/// so the MAC work per request stays bounded.
pub const MAX_CANDIDATE_COOKIES: usize = 4;

/// Default idle timeout: a session not re-issued for 24 hours expires.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);
/// Default absolute timeout: 7 days after login (or [`Session::renew`]), the
/// session ends however active it is.
pub const DEFAULT_ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Longest default interval before an unchanged session is re-issued to keep its
/// idle timeout rolling (never more than half the idle timeout).
pub const DEFAULT_REFRESH_AFTER: Duration = Duration::from_secs(60 * 60);
/// Default tolerance for cookies issued by a server whose clock runs ahead.
pub const DEFAULT_MAX_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// Two keys derive the same id (the same secret given twice, or a 1-in-2³²
    /// collision): verification could not tell them apart.
    DuplicateKeyId(KeyId),
    /// The cookie attributes break the name's prefix rules or the cookie syntax.
    Attributes(AttributeError),
    /// A timeout is zero, or the refresh interval is not shorter than the idle timeout.
    Timeouts(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::DuplicateKeyId(id) => write!(f, "two session keys share the key id {id}"),
            ConfigError::Attributes(err) => fmt::Display::fmt(err, f),
            ConfigError::Timeouts(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The session could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The cookie would exceed the session's budget (or the browser limit). The
    /// derive proves this impossible, so it means a hand-written `MaxEncodedLen`
    /// or `CookieSession` impl understates the size; the cookie is not emitted,
    /// because the browser would silently drop it and keep the old session.
    OverBudget {
        /// `len(name) + len(value)` the cookie would have had.
        len: usize,
        /// The limit it broke.
        limit: usize,
    },
    /// The payload encodes longer than its compile-time bound `MAX_PAYLOAD_LEN`.
    ExceedsBound {
        /// The bound.
        max_payload_len: usize,
    },
    /// serde refused the value (e.g. a custom `Serialize` returned an error).
    Serialize(String),
    /// The operating system's random generator failed to provide a nonce
    /// (encrypted sessions only).
    Randomness,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::OverBudget { len, limit } => write!(
                f,
                "session cookie would be {len} bytes (name + value), over its limit of {limit}; not emitted"
            ),
            StoreError::ExceedsBound { max_payload_len } => write!(
                f,
                "session payload encodes beyond its compile-time bound of {max_payload_len} bytes; \
                 a hand-written MaxEncodedLen impl understates its size"
            ),
            StoreError::Serialize(reason) => write!(f, "session failed to serialize: {reason}"),
            StoreError::Randomness => f.write_str("no randomness available for the session cookie's nonce"),
        }
    }
}

impl std::error::Error for StoreError {}

/// Everything needed to load and store sessions of type `T`: the keys, the
/// timeouts, the cookie attributes and the clock. Build it once at start-up and
/// share it; cloning is cheap (one `Arc`).
///
/// ```
/// use http::HeaderMap;
/// use serde::{Deserialize, Serialize};
/// use session_runtime::{BoundedString, CookieSession, Key, SessionConfig};
///
/// #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
/// #[session(name = "__Host-demo", version = 1)]
/// struct Demo {
///     user: BoundedString<16>,
/// }
///
/// let key = Key::from_secret(&[42; 32]).unwrap();
/// let config = SessionConfig::<Demo>::new(key).unwrap();
///
/// // A request without a cookie gives a fresh session.
/// let mut session = config.load(&HeaderMap::new());
/// session.set_user("ada".try_into().unwrap());
///
/// // The response gets a Set-Cookie because the session changed.
/// let mut response_headers = HeaderMap::new();
/// config.store(&session, &mut response_headers).unwrap();
/// let set_cookie = response_headers["set-cookie"].to_str().unwrap();
/// assert!(set_cookie.starts_with("__Host-demo="));
///
/// // The browser sends it back; the next request sees the same data.
/// let mut request_headers = HeaderMap::new();
/// let pair = set_cookie.split(';').next().unwrap();
/// request_headers.insert("cookie", pair.parse().unwrap());
/// let again = config.load(&request_headers);
/// assert_eq!(again.user().as_str(), "ada");
/// assert_eq!(again.pending_write(), None); // untouched: no Set-Cookie
/// ```
pub struct SessionConfig<T> {
    inner: Arc<Inner<T>>,
}

/// An application check run on every authentic cookie (see
/// [`SessionConfigBuilder::revocation_check`]).
type RevocationCheck<T> = Box<dyn Fn(&T, &CookieMeta) -> bool + Send + Sync>;

/// Facts about an authentic cookie, for [`SessionConfigBuilder::revocation_check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CookieMeta {
    /// When the session started (first issue or last [`Session::renew`]).
    pub created_at: SystemTime,
    /// When this cookie was written.
    pub issued_at: SystemTime,
    /// The key that authenticated it.
    pub key_id: KeyId,
    /// The schema version it was written with (older than the current one
    /// when it is being migrated).
    pub version: u16,
}

struct Inner<T> {
    /// Current key first: it signs (or encrypts); all keys verify.
    protection: Protection,
    idle_ms: u64,
    absolute_ms: u64,
    refresh_ms: u64,
    skew_ms: u64,
    attributes: CookieAttributes,
    /// `; Path=/; Secure; HttpOnly; SameSite=Lax`, rendered once.
    attribute_suffix: String,
    clock: Arc<dyn Clock>,
    revocation: Option<RevocationCheck<T>>,
}

impl<T> Clone for SessionConfig<T> {
    fn clone(&self) -> Self {
        SessionConfig {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T: CookieSession> fmt::Debug for SessionConfig<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("name", &T::NAME)
            .field("current_key", &self.inner.protection.current_key_id())
            .field("encrypted", &T::ENCRYPTED)
            .field("revocation_check", &self.inner.revocation.is_some())
            .field("idle_timeout", &self.idle_timeout())
            .field("absolute_timeout", &self.absolute_timeout())
            .field("attributes", &self.inner.attributes)
            .finish_non_exhaustive()
    }
}

/// Builds a [`SessionConfig`]; see [`SessionConfig::builder`].
#[must_use]
pub struct SessionConfigBuilder<T> {
    current: Key,
    previous: Vec<Key>,
    idle: Duration,
    absolute: Duration,
    refresh: Option<Duration>,
    skew: Duration,
    attributes: CookieAttributes,
    clock: Arc<dyn Clock>,
    revocation: Option<RevocationCheck<T>>,
    _session: PhantomData<fn() -> T>,
}

impl<T: CookieSession> SessionConfigBuilder<T> {
    /// Adds a key that still verifies cookies but no longer signs them (key
    /// rotation: sessions signed with it are re-issued with the current key).
    pub fn previous_key(mut self, key: Key) -> Self {
        self.previous.push(key);
        self
    }

    /// Adds several previous keys, see [`previous_key`](Self::previous_key).
    pub fn previous_keys(mut self, keys: impl IntoIterator<Item = Key>) -> Self {
        self.previous.extend(keys);
        self
    }

    /// A session not re-issued for this long expires (default 24 h).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle = timeout;
        self
    }

    /// A session started (or renewed) this long ago expires however active it
    /// is (default 7 days).
    pub fn absolute_timeout(mut self, timeout: Duration) -> Self {
        self.absolute = timeout;
        self
    }

    /// An unchanged session older than this is re-issued to keep its idle
    /// timeout rolling (default: 1 h, or half the idle timeout if shorter).
    pub fn refresh_after(mut self, interval: Duration) -> Self {
        self.refresh = Some(interval);
        self
    }

    /// Cookies issued up to this far in the future are accepted, for servers
    /// whose clocks disagree (default 60 s).
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// Replaces the cookie attributes declared on the session type.
    pub fn attributes(mut self, attributes: CookieAttributes) -> Self {
        self.attributes = attributes;
        self
    }

    /// Replaces the system clock (tests inject a [`ManualClock`](crate::ManualClock)).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Runs `still_valid` on every authentic, unexpired cookie after it is
    /// decoded; returning `false` refuses it with [`Rejection::Revoked`] (a fresh
    /// session). Use it for "log out everywhere": keep a per-user epoch or
    /// generation on the server and compare it with the session's start.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use std::sync::{Arc, RwLock};
    /// use std::time::SystemTime;
    /// use serde::{Deserialize, Serialize};
    /// use session_runtime::{CookieSession, Key, SessionConfig};
    ///
    /// #[derive(CookieSession, Serialize, Deserialize, Default)]
    /// #[session(name = "__Host-app", version = 1)]
    /// struct AppSession {
    ///     user_id: Option<u64>,
    /// }
    ///
    /// // user id -> "sessions started before this instant are revoked"
    /// let logged_out_at: Arc<RwLock<HashMap<u64, SystemTime>>> = Default::default();
    /// let revocations = Arc::clone(&logged_out_at);
    /// let config = SessionConfig::<AppSession>::builder(Key::from_secret(&[9; 32]).unwrap())
    ///     .revocation_check(move |session, cookie| match session.user_id() {
    ///         Some(user) => revocations
    ///             .read()
    ///             .unwrap()
    ///             .get(user)
    ///             .is_none_or(|cutoff| cookie.created_at > *cutoff),
    ///         None => true,
    ///     })
    ///     .build()
    ///     .unwrap();
    /// // "Log out everywhere" for user 42:
    /// logged_out_at.write().unwrap().insert(42, SystemTime::now());
    /// # let _ = config;
    /// ```
    pub fn revocation_check(
        mut self,
        still_valid: impl Fn(&T, &CookieMeta) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.revocation = Some(Box::new(still_valid));
        self
    }

    /// Validates and freezes the configuration.
    pub fn build(self) -> Result<SessionConfig<T>, ConfigError> {
        self.attributes
            .validate_for(T::NAME)
            .map_err(ConfigError::Attributes)?;
        if self.idle.is_zero() || self.absolute.is_zero() {
            return Err(ConfigError::Timeouts(
                "session timeouts must be longer than zero",
            ));
        }
        let refresh = self
            .refresh
            .unwrap_or(DEFAULT_REFRESH_AFTER.min(self.idle / 2));
        if refresh >= self.idle {
            return Err(ConfigError::Timeouts(
                "refresh_after must be shorter than the idle timeout, or active sessions would expire",
            ));
        }
        let keys: Vec<&Key> = core::iter::once(&self.current)
            .chain(&self.previous)
            .collect();
        for (index, key) in keys.iter().enumerate() {
            if keys[..index].iter().any(|earlier| earlier.id() == key.id()) {
                return Err(ConfigError::DuplicateKeyId(key.id()));
            }
        }
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Ok(SessionConfig {
            inner: Arc::new(Inner {
                protection: Protection::new(T::ENCRYPTED, &keys, T::NAME),
                idle_ms: millis(self.idle),
                absolute_ms: millis(self.absolute),
                refresh_ms: millis(refresh),
                skew_ms: millis(self.skew),
                attribute_suffix: render_attributes(&self.attributes),
                attributes: self.attributes,
                clock: self.clock,
                revocation: self.revocation,
            }),
        })
    }
}

impl<T: CookieSession> SessionConfig<T> {
    /// Starts a configuration signing with `current` and the defaults: idle
    /// timeout 24 h, absolute timeout 7 days, the attributes declared on `T`
    /// (by default `Path=/; Secure; HttpOnly; SameSite=Lax`), the system clock.
    pub fn builder(current: Key) -> SessionConfigBuilder<T> {
        SessionConfigBuilder {
            current,
            previous: Vec::new(),
            idle: DEFAULT_IDLE_TIMEOUT,
            absolute: DEFAULT_ABSOLUTE_TIMEOUT,
            refresh: None,
            skew: DEFAULT_MAX_CLOCK_SKEW,
            attributes: T::ATTRIBUTES,
            clock: Arc::new(SystemClock),
            revocation: None,
            _session: PhantomData,
        }
    }

    /// `builder(current).build()`: all defaults.
    pub fn new(current: Key) -> Result<Self, ConfigError> {
        Self::builder(current).build()
    }

    /// The idle timeout.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.inner.idle_ms)
    }

    /// The absolute timeout.
    pub fn absolute_timeout(&self) -> Duration {
        Duration::from_millis(self.inner.absolute_ms)
    }

    /// The cookie attributes in force.
    pub fn attributes(&self) -> &CookieAttributes {
        &self.inner.attributes
    }

    /// The largest `len(name) + len(value)` this configuration emits or accepts:
    /// the compile-time maximum, never above the budget or the browser limit.
    pub fn cookie_len_limit(&self) -> usize {
        T::MAX_COOKIE_LEN.min(T::BUDGET).min(BROWSER_COOKIE_LIMIT)
    }

    /// The largest envelope (header, payload, tag) this type can produce,
    /// within the browser limit: the scratch space for writing a cookie.
    fn envelope_len_limit(&self) -> usize {
        let overhead = self.inner.protection.payload_offset() + self.inner.protection.trailer_len();
        overhead.saturating_add(T::MAX_PAYLOAD_LEN).min(MAX_RAW_LEN)
    }

    /// The longest value accepted on load: older versions reachable by
    /// migration may have had larger bounds, never beyond the browser limit.
    fn max_incoming_value_len(&self) -> usize {
        T::__max_cookie_len_any_version()
            .max(self.cookie_len_limit())
            .min(BROWSER_COOKIE_LIMIT)
            .saturating_sub(T::NAME.len())
    }

    fn now_ms(&self) -> u64 {
        self.inner.clock.now_unix_ms()
    }

    /// Loads the session from a request's `Cookie` headers. Never fails: a
    /// missing or refused cookie gives a fresh default session, and
    /// [`Session::status`] says why.
    pub fn load(&self, headers: &HeaderMap) -> Session<T> {
        self.load_from_cookie_headers(headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes))
    }

    /// [`load`](Self::load) from a whole request.
    pub fn load_request<B>(&self, request: &Request<B>) -> Session<T> {
        self.load(request.headers())
    }

    /// Loads from raw `Cookie` header values, for servers that do not use the
    /// `http` crate. Cookies of the session's name are tried in header order
    /// (at most [`MAX_CANDIDATE_COOKIES`]); the first that verifies wins, else
    /// the first one's rejection is reported.
    pub fn load_from_cookie_headers<'a>(
        &self,
        headers: impl IntoIterator<Item = &'a [u8]> + 'a,
    ) -> Session<T> {
        let now = self.now_ms();
        let mut first_rejection = None;
        for value in cookie_values(headers.into_iter(), T::NAME).take(MAX_CANDIDATE_COOKIES) {
            match self.open_at(value, now) {
                Ok(session) => return session,
                Err(reason) => {
                    first_rejection.get_or_insert(reason);
                }
            }
        }
        Session::fresh(first_rejection.map_or(LoadStatus::Missing, LoadStatus::Rejected))
    }

    /// Verifies and decodes one cookie value (what follows `name=`).
    ///
    /// The checks run in this order and stop at the first failure: length cap,
    /// canonical base64url, header, key lookup, constant-time MAC, version and
    /// schema fingerprint, timestamps, payload decoding with no trailing bytes.
    pub fn decode(&self, value: &[u8]) -> Result<Session<T>, Rejection> {
        self.open_at(value, self.now_ms())
    }

    fn open_at(&self, value: &[u8], now: u64) -> Result<Session<T>, Rejection> {
        let max_value_len = self.max_incoming_value_len();
        // base64 decoding needs room for whole 3-byte groups of the longest value.
        let scratch_len = max_value_len.div_ceil(4) * 3;
        wire::with_scratch(scratch_len, |buf| {
            self.open_in(value, max_value_len, now, buf)
        })
    }

    fn open_in(
        &self,
        value: &[u8],
        max_value_len: usize,
        now: u64,
        buf: &mut [u8],
    ) -> Result<Session<T>, Rejection> {
        let opened = self.inner.protection.open(value, max_value_len, buf)?;
        let header = opened.header;
        let expected = T::__fingerprint_for(header.version).ok_or(Rejection::WrongVersion {
            found: header.version,
            expected: T::VERSION,
        })?;
        if header.fingerprint != expected {
            return Err(Rejection::SchemaMismatch {
                found: header.fingerprint,
                expected,
            });
        }
        self.check_times(&header, now)?;
        let data = T::__decode_version(header.version, opened.payload)?;
        if let Some(still_valid) = &self.inner.revocation {
            let meta = CookieMeta {
                created_at: UNIX_EPOCH + Duration::from_millis(header.created_ms),
                issued_at: UNIX_EPOCH + Duration::from_millis(header.issued_ms),
                key_id: header.key_id,
                version: header.version,
            };
            if !still_valid(&data, &meta) {
                return Err(Rejection::Revoked);
            }
        }
        let status = if header.version != T::VERSION {
            LoadStatus::Migrated {
                from: header.version,
            }
        } else if opened.key_index == 0 {
            LoadStatus::Valid
        } else {
            LoadStatus::ValidPreviousKey
        };
        let refresh = now.saturating_sub(header.issued_ms) >= self.inner.refresh_ms;
        let origin = Origin {
            header,
            seal: opened.seal,
            payload_len: opened.payload.len(),
        };
        Ok(Session::loaded(data, status, origin, refresh))
    }

    fn check_times(&self, header: &Header, now: u64) -> Result<(), Rejection> {
        let inner = &self.inner;
        if header.issued_ms > now.saturating_add(inner.skew_ms) {
            return Err(Rejection::IssuedInFuture {
                ahead: Duration::from_millis(header.issued_ms - now),
            });
        }
        if header.created_ms > header.issued_ms {
            return Err(Rejection::InconsistentTimestamps);
        }
        let age = now.saturating_sub(header.created_ms);
        if age > inner.absolute_ms {
            return Err(Rejection::AbsoluteExpired {
                age: Duration::from_millis(age),
            });
        }
        let idle = now.saturating_sub(header.issued_ms);
        if idle > inner.idle_ms {
            return Err(Rejection::IdleExpired {
                idle: Duration::from_millis(idle),
            });
        }
        Ok(())
    }

    /// The `Set-Cookie` value for this session, or `None` when nothing needs
    /// sending (untouched, or touched but encoding to the same cookie).
    pub fn set_cookie(&self, session: &Session<T>) -> Result<Option<HeaderValue>, StoreError> {
        let Some(reason) = session.pending_write() else {
            return Ok(None);
        };
        if reason == WriteReason::Cleared {
            return Ok(Some(self.removal_header()));
        }
        let now = self.now_ms();
        let origin = session.origin.filter(|_| !session.starts_over());
        let created_ms = match (origin, session.origin) {
            (Some(kept), _) => kept.header.created_ms,
            // A renewed or restarted session gets a strictly later start than
            // the cookie it replaces, so the new cookie differs from the old
            // one even within the same millisecond (fixation defence).
            (None, Some(replaced)) => now.max(replaced.header.created_ms + 1),
            (None, None) => now,
        };
        let issued_ms = now.max(created_ms);
        wire::with_scratch(self.envelope_len_limit(), |raw| {
            self.write_in(session, reason, origin, created_ms, issued_ms, now, raw)
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn write_in(
        &self,
        session: &Session<T>,
        reason: WriteReason,
        origin: Option<Origin>,
        created_ms: u64,
        issued_ms: u64,
        now: u64,
        raw: &mut [u8],
    ) -> Result<Option<HeaderValue>, StoreError> {
        let protection = &self.inner.protection;
        let payload_len = serialize_payload(protection, &**session, raw)?;
        let rewrite_is_optional = reason == WriteReason::Changed
            && !session.refresh
            && *session.status() == LoadStatus::Valid;
        if rewrite_is_optional {
            // A payload of another length has certainly changed: only an
            // equal-length one needs the MAC comparison (which costs a second
            // HMAC, measured +290 to +850 ns per write).
            if let Some(origin) = origin.filter(|origin| origin.payload_len == payload_len) {
                // Same key, same header: an equal seal means the payload bytes
                // are equal, so the browser's cookie is already right.
                let offset = protection.payload_offset();
                let payload = &raw[offset..offset + payload_len];
                if protection.seals_equal(&origin.header.to_bytes(), &origin.seal, payload) {
                    return Ok(None);
                }
            }
        }
        let value_len = self.seal(raw, payload_len, created_ms, issued_ms)?;
        self.render_set_cookie(&raw[..value_len], created_ms, now)
            .map(Some)
    }

    /// Appends the session's `Set-Cookie` to `headers` when one is due (other
    /// `Set-Cookie` headers are kept) and says why it was written.
    pub fn store(
        &self,
        session: &Session<T>,
        headers: &mut HeaderMap,
    ) -> Result<Option<WriteReason>, StoreError> {
        match self.set_cookie(session)? {
            Some(value) => {
                headers.append(SET_COOKIE, value);
                Ok(session.pending_write())
            }
            None => Ok(None),
        }
    }

    /// [`store`](Self::store) into a whole response.
    pub fn store_response<B>(
        &self,
        session: &Session<T>,
        response: &mut Response<B>,
    ) -> Result<Option<WriteReason>, StoreError> {
        self.store(session, response.headers_mut())
    }

    /// A fresh cookie value (what follows `name=`) for `data`, issued now.
    pub fn encode(&self, data: &T) -> Result<String, StoreError> {
        let now = self.now_ms();
        wire::with_scratch(self.envelope_len_limit(), |raw| {
            let payload_len = serialize_payload(&self.inner.protection, data, raw)?;
            let value_len = self.seal(raw, payload_len, now, now)?;
            let value = &raw[..value_len];
            let mut out = String::with_capacity(wire::base64url_len(value.len()));
            wire::encode_into(value, &mut out);
            self.check_budget(out.len())?;
            Ok(out)
        })
    }

    /// Seals the payload already in place (see [`serialize_payload`]) under a
    /// fresh header; returns the envelope length.
    fn seal(
        &self,
        raw: &mut [u8],
        payload_len: usize,
        created_ms: u64,
        now: u64,
    ) -> Result<usize, StoreError> {
        let protection = &self.inner.protection;
        let header = Header {
            format: protection.format(),
            key_id: protection.current_key_id(),
            version: T::VERSION,
            fingerprint: T::SCHEMA_FINGERPRINT,
            created_ms,
            issued_ms: now,
        }
        .to_bytes();
        protection
            .seal(raw, payload_len, &header)
            .map_err(|_| StoreError::Randomness)
    }

    fn check_budget(&self, value_len: usize) -> Result<(), StoreError> {
        let len = T::NAME.len() + value_len;
        let limit = self.cookie_len_limit();
        if len > limit {
            return Err(StoreError::OverBudget { len, limit });
        }
        Ok(())
    }

    fn render_set_cookie(
        &self,
        raw: &[u8],
        created_ms: u64,
        now: u64,
    ) -> Result<HeaderValue, StoreError> {
        let value_len = wire::base64url_len(raw.len());
        self.check_budget(value_len)?;
        let suffix = &self.inner.attribute_suffix;
        let max_age = self.max_age_secs(created_ms, now);
        const MAX_AGE: &str = "; Max-Age=";
        // Exact capacity: `HeaderValue::try_from(String)` keeps the buffer only
        // when nothing is spare, else it reallocates (measured: 2 allocations
        // per write instead of 1).
        let len =
            T::NAME.len() + 1 + value_len + MAX_AGE.len() + decimal_len(max_age) + suffix.len();
        let mut out = String::with_capacity(len);
        out.push_str(T::NAME);
        out.push('=');
        wire::encode_into(raw, &mut out);
        out.push_str(MAX_AGE);
        push_decimal(&mut out, max_age);
        out.push_str(suffix);
        debug_assert_eq!(out.len(), len);
        HeaderValue::try_from(out).map_err(|err| StoreError::Serialize(err.to_string()))
    }

    /// `Max-Age` is only a hint (the limits are enforced from the signed
    /// timestamps): the browser may forget the cookie when it could no longer
    /// verify, i.e. at the earlier of the idle and absolute deadlines.
    fn max_age_secs(&self, created_ms: u64, now: u64) -> u64 {
        let absolute_left = (created_ms.saturating_add(self.inner.absolute_ms)).saturating_sub(now);
        self.inner.idle_ms.min(absolute_left) / 1000
    }

    /// The `Set-Cookie` that deletes the session cookie in the browser (empty
    /// value, `Max-Age=0`, an `Expires` in the past, same `Path`/`Domain`).
    pub fn removal_header(&self) -> HeaderValue {
        let mut out = String::with_capacity(T::NAME.len() + 80 + self.inner.attribute_suffix.len());
        out.push_str(T::NAME);
        out.push_str("=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        out.push_str(&self.inner.attribute_suffix);
        HeaderValue::try_from(out).expect("name and attributes were validated at build time")
    }
}

/// Serializes `data` where the protection expects the payload, never beyond
/// the type's bound; returns the payload length.
fn serialize_payload<T: CookieSession>(
    protection: &Protection,
    data: &T,
    raw: &mut [u8],
) -> Result<usize, StoreError> {
    let offset = protection.payload_offset();
    let room = T::MAX_PAYLOAD_LEN.min(raw.len() - offset - protection.trailer_len());
    match postcard::to_slice(data, &mut raw[offset..offset + room]) {
        Ok(written) => Ok(written.len()),
        Err(postcard::Error::SerializeBufferFull) => Err(StoreError::ExceedsBound {
            max_payload_len: T::MAX_PAYLOAD_LEN,
        }),
        Err(err) => Err(StoreError::Serialize(err.to_string())),
    }
}

/// Deserializes an authenticated payload; trailing bytes are an error, so a
/// payload has exactly one meaning.
pub(crate) fn decode_payload<T: serde::de::DeserializeOwned>(
    payload: &[u8],
) -> Result<T, Rejection> {
    match postcard::take_from_bytes::<T>(payload) {
        Ok((data, [])) => Ok(data),
        Ok((_, rest)) => Err(Rejection::Payload {
            reason: format!("{} trailing bytes", rest.len()),
        }),
        Err(err) => Err(Rejection::Payload {
            reason: err.to_string(),
        }),
    }
}

/// Number of decimal digits of `value`.
fn decimal_len(mut value: u64) -> usize {
    let mut digits = 1;
    while value >= 10 {
        value /= 10;
        digits += 1;
    }
    digits
}

fn push_decimal(out: &mut String, value: u64) {
    use fmt::Write as _;
    let _ = write!(out, "{value}");
}
