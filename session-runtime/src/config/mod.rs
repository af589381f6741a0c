//! The configuration of one session type: keys and their roles, timeouts,
//! cookie attributes, the clock and the revocation check, frozen by
//! [`SessionConfigBuilder::build`] (`builder.rs`). Loading lives in
//! `load.rs`, storing in `store.rs`, the `http` glue in `http.rs`.

mod builder;

pub use builder::SessionConfigBuilder;

use core::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::cache::CacheProtection;
use crate::clock::Clock;
use crate::codec::expiry::Timeouts;
use crate::codec::Codec;
use crate::cookie::SetCookieTail;
use crate::cookie::{AttributeError, CookieAttributes};
use crate::key::{Key, KeyId, KeyRole};
use crate::lifetime::{DeclaredLifetimes, Lifetime};
use crate::limits::BROWSER_COOKIE_LIMIT;
use crate::session_type::CookieSession;

/// Default idle timeout: a session not re-issued for 24 hours expires.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);
/// Default absolute timeout: 7 days after login (or [`Session::renew`](crate::Session::renew)), the
/// session ends however active it is.
pub const DEFAULT_ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Longest default interval before an unchanged session is re-issued to keep its
/// idle timeout rolling (never more than half the idle timeout).
pub const DEFAULT_REFRESH_AFTER: Duration = Duration::from_secs(60 * 60);
/// Default tolerance for cookies issued by a server whose clock runs ahead.
pub const DEFAULT_MAX_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The configuration was refused. Each message says what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The same secret is configured twice (the id is that key's id).
    DuplicateKey(KeyId),
    /// Two different secrets share a 2-byte key id (a 1 in 65,536 chance per
    /// pair). Cookies name their key by id, so a cookie would be checked
    /// against both and each forged cookie would cost two MAC checks; the
    /// configuration refuses the pair instead: replace one of the secrets.
    KeyIdCollision(KeyId),
    /// The cookie attributes break the name's prefix rules or the cookie syntax.
    Attributes(AttributeError),
    /// A timeout is zero, or the refresh interval is not shorter than the idle timeout.
    Timeouts(&'static str),
    /// No clock was given on a target without a system clock
    /// (`wasm32-unknown-unknown`): call [`SessionConfigBuilder::clock`].
    NoClock,
    /// The clock reads a time before 2025-01-01T00:00:00Z, the wire format's
    /// epoch (docs/wire-format.md): every cookie would look issued in the
    /// future and be refused. Fix the host's clock, or give tests a
    /// [`ManualClock`](crate::ManualClock) set to a later time.
    ClockBeforeEpoch {
        /// What the clock read, in milliseconds since the Unix epoch.
        now_unix_ms: u64,
    },
    /// The DBSC settings given to [`SessionConfigBuilder::dbsc`] were refused
    /// (feature `dbsc`).
    #[cfg(feature = "dbsc")]
    Dbsc(crate::dbsc::settings::DbscSettingsError),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::DuplicateKey(id) => {
                write!(
                    f,
                    "the session key with id {id} is configured twice: list each secret once"
                )
            }
            ConfigError::KeyIdCollision(id) => write!(
                f,
                "two different session keys share the key id {id} (a 1 in 65,536 chance): \
                 replace one of the two secrets with a newly generated one"
            ),
            ConfigError::Attributes(err) => fmt::Display::fmt(err, f),
            ConfigError::Timeouts(what) => f.write_str(what),
            ConfigError::NoClock => f.write_str(
                "this target has no system clock: give the session config one with `.clock(...)`",
            ),
            ConfigError::ClockBeforeEpoch { now_unix_ms } => write!(
                f,
                "the clock reads {now_unix_ms} ms since 1970, before 2025-01-01T00:00:00Z (the \
                 session cookie's time epoch), so every cookie would be refused as issued in the \
                 future: fix the host's clock, or set the test clock to 2025 or later"
            ),
            #[cfg(feature = "dbsc")]
            ConfigError::Dbsc(err) => fmt::Display::fmt(err, f),
        }
    }
}

impl std::error::Error for ConfigError {}

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
pub struct SessionConfig<T: CookieSession> {
    pub(crate) inner: Arc<Inner<T>>,
}

/// An application check that awaits (see
/// [`SessionConfigBuilder::revocation_check_async`]).
pub(crate) type AsyncRevocationCheck<T> = Box<
    dyn Fn(&T, &CookieMeta) -> core::pin::Pin<Box<dyn core::future::Future<Output = bool> + Send>>
        + Send
        + Sync,
>;

/// An application check run on every authentic cookie (see
/// [`SessionConfigBuilder::revocation_check`]).
pub(crate) type RevocationCheck<T> = Box<dyn Fn(&T, &CookieMeta) -> bool + Send + Sync>;

/// Facts about an authentic cookie, for [`SessionConfigBuilder::revocation_check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CookieMeta {
    /// When the session started (first issue or last [`Session::renew`](crate::Session::renew)).
    pub created_at: SystemTime,
    /// When this cookie was written.
    pub issued_at: SystemTime,
    /// The key that authenticated it.
    pub key_id: KeyId,
    /// That key's role in this configuration.
    pub key_role: KeyRole,
    /// The schema version it was written with (older than the current one
    /// when it is being migrated).
    pub version: u16,
}

pub(crate) struct Inner<T: CookieSession> {
    /// Every key, signing key first, prepared for `T`'s envelope and name.
    pub codec: Codec<T::Envelope>,
    /// The timeouts of each declared lifetime, indexed by its wire byte.
    pub lifetimes: [Option<Timeouts>; 3],
    /// The declared lifetimes and the default one, handed to every session.
    pub declared: DeclaredLifetimes,
    /// The payload of `T::default()`, encoded once: a fresh session holding
    /// only this sends no cookie (compared per write without re-encoding).
    pub default_payload: Vec<u8>,
    pub attributes: CookieAttributes,
    /// The cookie name of each chunk (`NAME`, `NAME.1`, …): one name unless
    /// the session is chunked.
    pub chunk_names: Vec<String>,
    /// What `store` does to the response's caching headers (`cache.rs`).
    pub cache: CacheProtection,
    /// `; Path=/; Secure; HttpOnly; SameSite=Lax`, rendered once.
    pub attribute_suffix: String,
    /// Per lifetime (indexed like `lifetimes`), what follows the value in the
    /// `Set-Cookie` of a session that starts now, rendered once.
    pub fresh_tails: [SetCookieTail; 3],
    pub clock: Arc<dyn Clock>,
    pub revocation: Option<RevocationCheck<T>>,
    pub async_revocation: Option<AsyncRevocationCheck<T>>,
    /// Device-bound sessions, when [`SessionConfigBuilder::dbsc`] turned them on.
    #[cfg(feature = "dbsc")]
    pub dbsc: Option<crate::dbsc::settings::DbscConfig<T>>,
}

impl<T: CookieSession> Clone for SessionConfig<T> {
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
            .field("signing_key", &self.inner.codec.signing_key_id())
            .field("encrypted", &T::ENCRYPTED)
            .field("revocation_check", &self.inner.revocation.is_some())
            .field(
                "revocation_check_async",
                &self.inner.async_revocation.is_some(),
            )
            .field("idle_timeout", &self.idle_timeout())
            .field("absolute_timeout", &self.absolute_timeout())
            .field("attributes", &self.inner.attributes)
            .field("cache_protection", &self.inner.cache)
            .finish_non_exhaustive()
    }
}

impl<T: CookieSession> SessionConfig<T> {
    /// Starts a configuration signing with `current` and the defaults: idle
    /// timeout 24 h, absolute timeout 7 days, the attributes declared on `T`
    /// (by default `Path=/; Secure; HttpOnly; SameSite=Lax`), the system clock.
    pub fn builder(current: Key) -> SessionConfigBuilder<T> {
        SessionConfigBuilder::new(current)
    }

    /// `builder(current).build()`: all defaults.
    pub fn new(current: Key) -> Result<Self, ConfigError> {
        Self::builder(current).build()
    }

    /// The idle timeout (of the standard lifetime).
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.standard_timeouts().idle_ms)
    }

    /// The absolute timeout (of the standard lifetime).
    pub fn absolute_timeout(&self) -> Duration {
        Duration::from_millis(self.standard_timeouts().absolute_ms)
    }

    fn standard_timeouts(&self) -> &Timeouts {
        self.inner.lifetimes[0]
            .as_ref()
            .expect("the standard lifetime is always declared")
    }

    /// The timeouts of `lifetime`, if the configuration declares it.
    pub(crate) fn timeouts(&self, lifetime: Lifetime) -> Option<&Timeouts> {
        self.inner.lifetimes[usize::from(lifetime.to_byte())].as_ref()
    }

    /// The idle and absolute timeouts of `lifetime`, or `None` when the
    /// configuration does not declare it.
    pub fn lifetime_timeouts(&self, lifetime: Lifetime) -> Option<(Duration, Duration)> {
        self.timeouts(lifetime).map(|timeouts| {
            (
                Duration::from_millis(timeouts.idle_ms),
                Duration::from_millis(timeouts.absolute_ms),
            )
        })
    }

    /// The longest a session of this configuration can stay valid after it
    /// started: the longest absolute timeout among the declared lifetimes,
    /// plus the clock-skew allowance (a replica whose clock runs behind sees
    /// a session live that much longer). A revocation cut-off must be kept at
    /// least this long after it is set, or the sessions it revoked become
    /// valid again; `RedisRevocations` takes it from here.
    pub fn max_session_age(&self) -> Duration {
        let longest = self
            .inner
            .lifetimes
            .iter()
            .flatten()
            .map(|timeouts| timeouts.absolute_ms)
            .max()
            .unwrap_or(0);
        let skew = self.standard_timeouts().skew_ms;
        Duration::from_millis(longest.saturating_add(skew))
    }

    /// The configured keys' ids and roles, the signing key first: for a
    /// start-up log line (ids are not secret; they name keys in cookies and
    /// in [`Rejection::UnknownKey`](crate::Rejection::UnknownKey)).
    pub fn keys(&self) -> impl Iterator<Item = (KeyId, KeyRole)> + '_ {
        self.inner.codec.keys()
    }

    /// The cookie attributes in force.
    pub fn attributes(&self) -> &CookieAttributes {
        &self.inner.attributes
    }

    /// What storing a session does to the response's caching headers (see
    /// [`SessionConfigBuilder::cache_protection`]).
    pub fn cache_protection(&self) -> CacheProtection {
        self.inner.cache
    }

    /// The largest `len(name) + len(value)` this configuration emits or accepts:
    /// the compile-time maximum, never above the budget or the browser limit.
    /// For a chunked session (`#[session(chunks = N)]`), the budget itself:
    /// the canonical split and the length check of every chunk are defined
    /// on it (docs/wire-format.md, "Chunked sessions").
    pub fn cookie_len_limit(&self) -> usize {
        if T::CHUNKS > 1 {
            T::BUDGET.min(BROWSER_COOKIE_LIMIT)
        } else {
            T::MAX_COOKIE_LEN.min(T::BUDGET).min(BROWSER_COOKIE_LIMIT)
        }
    }

    /// Facts about a loaded cookie for the revocation check.
    pub(crate) fn cookie_meta(
        &self,
        header: &crate::codec::Header,
        key_role: KeyRole,
    ) -> CookieMeta {
        CookieMeta {
            created_at: std::time::UNIX_EPOCH + Duration::from_millis(header.created_ms),
            issued_at: std::time::UNIX_EPOCH + Duration::from_millis(header.issued_ms),
            key_id: header.key_id,
            key_role,
            version: header.version,
        }
    }

    /// Whether loading must await an asynchronous revocation check.
    pub(crate) fn has_async_revocation(&self) -> bool {
        self.inner.async_revocation.is_some()
    }

    pub(crate) fn now_ms(&self) -> u64 {
        self.inner.clock.now_unix_ms()
    }
}
