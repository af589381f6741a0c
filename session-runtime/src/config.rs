//! The configuration of one session type: keys and their roles, timeouts,
//! cookie attributes, the clock and the revocation check, frozen by
//! [`SessionConfigBuilder::build`]. Loading lives in `load.rs`, storing in
//! `store.rs`, the `http` glue in `http.rs`.

use core::fmt;
use core::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::clock::Clock;
use crate::codec::expiry::Timeouts;
use crate::codec::Codec;
use crate::cookie::{render_attributes, AttributeError, CookieAttributes};
use crate::key::{Key, KeyId, KeyRole};
use crate::lifetime::{DeclaredLifetimes, Lifetime};
use crate::limits::BROWSER_COOKIE_LIMIT;
use crate::store::SetCookieTail;
use crate::CookieSession;

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
    /// `; Path=/; Secure; HttpOnly; SameSite=Lax`, rendered once.
    pub attribute_suffix: String,
    /// Per lifetime (indexed like `lifetimes`), what follows the value in the
    /// `Set-Cookie` of a session that starts now, rendered once.
    pub fresh_tails: [SetCookieTail; 3],
    pub clock: Arc<dyn Clock>,
    pub revocation: Option<RevocationCheck<T>>,
    pub async_revocation: Option<AsyncRevocationCheck<T>>,
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
            .finish_non_exhaustive()
    }
}

/// Builds a [`SessionConfig`]; see [`SessionConfig::builder`].
#[must_use]
pub struct SessionConfigBuilder<T> {
    current: Key,
    previous: Vec<Key>,
    verify_only: Vec<Key>,
    idle: Duration,
    absolute: Duration,
    browser_session: Option<(Duration, Duration)>,
    remember_me: Option<(Duration, Duration)>,
    default_lifetime: Lifetime,
    refresh: Option<Duration>,
    skew: Duration,
    attributes: CookieAttributes,
    /// `None` only where no system clock exists (wasm32-unknown-unknown).
    clock: Option<Arc<dyn Clock>>,
    pub(crate) revocation: Option<RevocationCheck<T>>,
    async_revocation: Option<AsyncRevocationCheck<T>>,
    /// Told the built configuration's `max_session_age` (a revocation store
    /// keeps cut-offs that long: `revocation/attach.rs`).
    pub(crate) max_age_listeners: Vec<MaxAgeListener>,
    _session: PhantomData<fn() -> T>,
}

/// Called with [`SessionConfig::max_session_age`] when the configuration is built.
pub(crate) type MaxAgeListener = Box<dyn FnOnce(Duration) + Send>;

impl<T: CookieSession> SessionConfigBuilder<T> {
    /// Adds a key with the [`KeyRole::Verify`] role: it still verifies
    /// cookies but no longer signs them, and sessions signed with it are
    /// re-issued with the signing key (the last phase of a key rotation).
    pub fn verify_key(mut self, key: Key) -> Self {
        self.previous.push(key);
        self
    }

    /// Adds several previous keys, see [`verify_key`](Self::verify_key).
    pub fn verify_keys(mut self, keys: impl IntoIterator<Item = Key>) -> Self {
        self.previous.extend(keys);
        self
    }

    /// Adds a key with the [`KeyRole::VerifyOnly`] role: cookies signed with
    /// it are accepted as [`LoadStatus::Valid`](crate::LoadStatus::Valid) and are never re-issued
    /// because of their key, and it never signs. This is the first phase of a
    /// rolling key rotation: once every replica accepts the new key, replicas
    /// can switch to signing with it one by one without the others rejecting
    /// or re-keying their cookies (docs/operations.md has the runbook).
    ///
    /// ```
    /// use http::HeaderMap;
    /// use session_runtime::{CookieSession, Key, LoadStatus, SessionConfig};
    ///
    /// #[derive(CookieSession, serde::Serialize, serde::Deserialize, Default)]
    /// #[session(name = "__Host-app", version = 1)]
    /// struct App { visits: u32 }
    ///
    /// let old = || Key::from_secret(&[1; 32]).unwrap();
    /// let new = || Key::from_secret(&[2; 32]).unwrap();
    /// // A replica already switched to NEW, and one still signing with OLD
    /// // that accepts NEW as verify-only.
    /// let switched = SessionConfig::<App>::builder(new()).verify_key(old()).build().unwrap();
    /// let waiting = SessionConfig::<App>::builder(old()).verify_only_key(new()).build().unwrap();
    ///
    /// let mut session = switched.load(&HeaderMap::new());
    /// session.set_visits(1);
    /// let cookie = switched.set_cookie(&session).unwrap().unwrap();
    /// let pair = cookie.split(';').next().unwrap();
    /// let mut request = HeaderMap::new();
    /// request.insert("cookie", pair.parse().unwrap());
    ///
    /// let read = waiting.load(&request);
    /// assert_eq!(read.status(), &LoadStatus::Valid);
    /// assert_eq!(read.pending_write(), None); // no re-key back to OLD
    /// ```
    pub fn verify_only_key(mut self, key: Key) -> Self {
        self.verify_only.push(key);
        self
    }

    /// Adds several verify-only keys, see [`verify_only_key`](Self::verify_only_key).
    pub fn verify_only_keys(mut self, keys: impl IntoIterator<Item = Key>) -> Self {
        self.verify_only.extend(keys);
        self
    }

    /// Adds `key` with `role`: [`KeyRole::Sign`] replaces the signing key
    /// (the previous signing key is dropped), the other roles add a key, as
    /// [`verify_key`](Self::verify_key) and
    /// [`verify_only_key`](Self::verify_only_key) do. For keys read from
    /// configuration with their roles.
    pub fn key(mut self, role: KeyRole, key: Key) -> Self {
        match role {
            KeyRole::Sign => self.current = key,
            KeyRole::Verify => self.previous.push(key),
            KeyRole::VerifyOnly => self.verify_only.push(key),
        }
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

    /// Declares the [`Lifetime::RememberMe`] lifetime: sessions that choose it
    /// (`session.set_lifetime(Lifetime::RememberMe)`, usually at login) get
    /// these idle and absolute timeouts and a persistent cookie. Without this
    /// call, storing such a session fails with
    /// [`StoreError::LifetimeNotConfigured`](crate::StoreError::LifetimeNotConfigured)
    /// and such cookies are refused as
    /// [`Rejection::UnknownLifetime`](crate::Rejection::UnknownLifetime).
    pub fn remember_me(mut self, idle: Duration, absolute: Duration) -> Self {
        self.remember_me = Some((idle, absolute));
        self
    }

    /// The idle and absolute timeouts of [`Lifetime::BrowserSession`]
    /// cookies (default: the standard ones). The cookie has no `Max-Age`, so
    /// the browser drops it when it closes; these timeouts still end it.
    pub fn browser_session_timeouts(mut self, idle: Duration, absolute: Duration) -> Self {
        self.browser_session = Some((idle, absolute));
        self
    }

    /// The lifetime of sessions that do not choose one with
    /// [`Session::set_lifetime`](crate::Session::set_lifetime) (default
    /// [`Lifetime::Standard`]).
    pub fn default_lifetime(mut self, lifetime: Lifetime) -> Self {
        self.default_lifetime = lifetime;
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
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Runs `still_valid` on every authentic, unexpired cookie after it is
    /// decoded; returning `false` refuses it with
    /// [`Rejection::Revoked`](crate::Rejection::Revoked) (a fresh session).
    /// Use it for "log out everywhere": keep a per-user cut-off on the server
    /// and compare it with the session's start. Cookies carry the start in
    /// whole seconds, so keep cut-offs in whole seconds too (a session that
    /// started in the cut-off's second, such as the one the logging-out request
    /// itself renews, stays valid). With Redis, `RedisRevocations` (feature
    /// `redis`) does this for a whole fleet; for a check that must await a
    /// database, see [`revocation_check_async`](Self::revocation_check_async).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use std::sync::{Arc, RwLock};
    /// use std::time::{SystemTime, UNIX_EPOCH};
    /// use serde::{Deserialize, Serialize};
    /// use session_runtime::{CookieSession, Key, SessionConfig};
    ///
    /// #[derive(CookieSession, Serialize, Deserialize, Default)]
    /// #[session(name = "__Host-app", version = 1)]
    /// struct AppSession {
    ///     user_id: Option<u64>,
    /// }
    ///
    /// let unix_secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_secs();
    /// // user id -> "sessions started before this second are revoked"
    /// let logged_out_at: Arc<RwLock<HashMap<u64, u64>>> = Default::default();
    /// let revocations = Arc::clone(&logged_out_at);
    /// let config = SessionConfig::<AppSession>::builder(Key::from_secret(&[9; 32]).unwrap())
    ///     .revocation_check(move |session, cookie| match session.user_id() {
    ///         Some(user) => revocations
    ///             .read()
    ///             .unwrap()
    ///             .get(user)
    ///             .is_none_or(|cutoff| unix_secs(cookie.created_at) >= *cutoff),
    ///         None => true,
    ///     })
    ///     .build()
    ///     .unwrap();
    /// // "Log out everywhere" for user 42:
    /// logged_out_at.write().unwrap().insert(42, unix_secs(SystemTime::now()));
    /// # let _ = config;
    /// ```
    pub fn revocation_check(
        mut self,
        still_valid: impl Fn(&T, &CookieMeta) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.revocation = Some(Box::new(still_valid));
        self
    }

    /// A revocation check that awaits, for apps that keep per-user cut-offs
    /// in their own database. The closure reads what it needs from the
    /// session and the cookie, and returns a future (owning its data) that
    /// resolves to `false` for a revoked session. It runs after the
    /// synchronous checks, on the session that won, in
    /// [`load_async`](SessionConfig::load_async), which the tower/axum and
    /// actix-web adapters call. The synchronous [`load`](SessionConfig::load)
    /// cannot await it: with an async check configured, load with
    /// `load_async`.
    ///
    /// ```
    /// use std::time::{SystemTime, UNIX_EPOCH};
    /// use http::HeaderMap;
    /// use session_runtime::{CookieSession, Key, SessionConfig};
    ///
    /// #[derive(CookieSession, serde::Serialize, serde::Deserialize, Default)]
    /// #[session(name = "__Host-app", version = 1)]
    /// struct AppSession { user_id: Option<u64> }
    ///
    /// // Stands in for a database query: "sessions of `user` started before
    /// // this Unix second are revoked".
    /// async fn cutoff_of(user: u64) -> Option<u64> { (user == 13).then_some(u64::MAX) }
    ///
    /// let config = SessionConfig::<AppSession>::builder(Key::from_secret(&[9; 32]).unwrap())
    ///     .revocation_check_async(|session, cookie| {
    ///         let user = *session.user_id();
    ///         let started = cookie.created_at.duration_since(UNIX_EPOCH).unwrap().as_secs();
    ///         async move {
    ///             match user {
    ///                 Some(user) => cutoff_of(user).await.is_none_or(|cutoff| started >= cutoff),
    ///                 None => true,
    ///             }
    ///         }
    ///     })
    ///     .build()
    ///     .unwrap();
    /// # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # runtime.block_on(async {
    /// let session = config.load_async(&HeaderMap::new()).await;
    /// assert!(session.is_new());
    /// # });
    /// ```
    pub fn revocation_check_async<F>(
        mut self,
        still_valid: impl Fn(&T, &CookieMeta) -> F + Send + Sync + 'static,
    ) -> Self
    where
        F: core::future::Future<Output = bool> + Send + 'static,
    {
        self.async_revocation = Some(Box::new(move |session, meta| {
            Box::pin(still_valid(session, meta))
        }));
        self
    }

    /// Validates and freezes the configuration.
    pub fn build(self) -> Result<SessionConfig<T>, ConfigError> {
        self.attributes
            .validate_for(T::NAME)
            .map_err(ConfigError::Attributes)?;
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let timeouts = |idle: Duration, absolute: Duration| {
            if idle.is_zero() || absolute.is_zero() {
                return Err(ConfigError::Timeouts(
                    "session timeouts must be longer than zero",
                ));
            }
            let refresh = self.refresh.unwrap_or(DEFAULT_REFRESH_AFTER.min(idle / 2));
            if refresh >= idle {
                return Err(ConfigError::Timeouts(
                    "refresh_after must be shorter than the idle timeout, or active sessions would expire",
                ));
            }
            Ok(Timeouts {
                idle_ms: millis(idle),
                absolute_ms: millis(absolute),
                refresh_ms: millis(refresh),
                skew_ms: millis(self.skew),
            })
        };
        let standard = timeouts(self.idle, self.absolute)?;
        let (browser_idle, browser_absolute) =
            self.browser_session.unwrap_or((self.idle, self.absolute));
        let lifetimes = [
            Some(standard),
            Some(timeouts(browser_idle, browser_absolute)?),
            self.remember_me
                .map(|(idle, absolute)| timeouts(idle, absolute))
                .transpose()?,
        ];
        if lifetimes[usize::from(self.default_lifetime.to_byte())].is_none() {
            return Err(ConfigError::Timeouts(
                "the default lifetime is RememberMe, but remember_me(..) declares no timeouts for it",
            ));
        }
        let keys: Vec<(&Key, KeyRole)> = core::iter::once((&self.current, KeyRole::Sign))
            .chain(self.previous.iter().map(|key| (key, KeyRole::Verify)))
            .chain(
                self.verify_only
                    .iter()
                    .map(|key| (key, KeyRole::VerifyOnly)),
            )
            .collect();
        // One rule for key ids everywhere (builder, `KeyRing`, load): every
        // configured key has its own id, so a cookie names exactly one key
        // and a forged cookie costs exactly one MAC check.
        for (index, (key, _)) in keys.iter().enumerate() {
            if let Some((earlier, _)) = keys[..index]
                .iter()
                .find(|(earlier, _)| earlier.id() == key.id())
            {
                return Err(if earlier.same_secret(key) {
                    ConfigError::DuplicateKey(key.id())
                } else {
                    ConfigError::KeyIdCollision(key.id())
                });
            }
        }
        let clock = self.clock.ok_or(ConfigError::NoClock)?;
        let now_unix_ms = clock.now_unix_ms();
        if now_unix_ms < crate::codec::EPOCH_UNIX_MS {
            return Err(ConfigError::ClockBeforeEpoch { now_unix_ms });
        }
        let attribute_suffix = render_attributes(&self.attributes);
        let config = SessionConfig {
            inner: Arc::new(Inner {
                codec: Codec::new(&keys, T::NAME, T::SCHEMA_FINGERPRINT),
                lifetimes,
                declared: DeclaredLifetimes::new(
                    |lifetime| lifetimes[usize::from(lifetime.to_byte())].is_some(),
                    self.default_lifetime,
                ),
                default_payload: postcard::to_allocvec(&T::default()).unwrap_or_default(),
                fresh_tails: SetCookieTail::per_lifetime(&lifetimes, &attribute_suffix),
                attribute_suffix,
                attributes: self.attributes,
                clock,
                revocation: self.revocation,
                async_revocation: self.async_revocation,
            }),
        };
        for listener in self.max_age_listeners {
            listener(config.max_session_age());
        }
        Ok(config)
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
            verify_only: Vec::new(),
            idle: DEFAULT_IDLE_TIMEOUT,
            absolute: DEFAULT_ABSOLUTE_TIMEOUT,
            browser_session: None,
            remember_me: None,
            default_lifetime: Lifetime::Standard,
            refresh: None,
            skew: DEFAULT_MAX_CLOCK_SKEW,
            attributes: T::ATTRIBUTES,
            clock: crate::clock::system_clock(),
            revocation: None,
            async_revocation: None,
            max_age_listeners: Vec::new(),
            _session: PhantomData,
        }
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

    /// The largest `len(name) + len(value)` this configuration emits or accepts:
    /// the compile-time maximum, never above the budget or the browser limit.
    pub fn cookie_len_limit(&self) -> usize {
        T::MAX_COOKIE_LEN.min(T::BUDGET).min(BROWSER_COOKIE_LIMIT)
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
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) fn has_async_revocation(&self) -> bool {
        self.inner.async_revocation.is_some()
    }

    pub(crate) fn now_ms(&self) -> u64 {
        self.inner.clock.now_unix_ms()
    }
}
