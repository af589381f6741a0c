//! [`SessionConfigBuilder`]: every setting of a configuration, validated and
//! frozen by [`build`](SessionConfigBuilder::build).

use core::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use super::{
    AsyncRevocationCheck, ConfigError, CookieMeta, Inner, RevocationCheck, SessionConfig,
    DEFAULT_ABSOLUTE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CLOCK_SKEW, DEFAULT_REFRESH_AFTER,
};
use crate::cache::CacheProtection;
use crate::clock::Clock;
use crate::codec::expiry::Timeouts;
use crate::codec::Codec;
use crate::cookie::{render_attributes, CookieAttributes, SetCookieTail};
use crate::key::{Key, KeyRole};
use crate::lifetime::{DeclaredLifetimes, Lifetime};
use crate::session_type::CookieSession;

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
    cache: CacheProtection,
    /// `None` only where no system clock exists (wasm32-unknown-unknown).
    clock: Option<Arc<dyn Clock>>,
    pub(crate) revocation: Option<RevocationCheck<T>>,
    async_revocation: Option<AsyncRevocationCheck<T>>,
    /// Told the built configuration's `max_session_age` (a revocation store
    /// keeps cut-offs that long: `revocation/attach.rs`).
    pub(crate) max_age_listeners: Vec<MaxAgeListener>,
    #[cfg(feature = "dbsc")]
    dbsc: Option<(
        crate::dbsc::settings::DbscSettings,
        crate::dbsc::settings::BindingAccess<T>,
    )>,
    _session: PhantomData<fn() -> T>,
}

/// Called with [`SessionConfig::max_session_age`] when the configuration is built.
pub(crate) type MaxAgeListener = Box<dyn FnOnce(Duration) + Send>;

impl<T: CookieSession> SessionConfigBuilder<T> {
    /// The defaults of [`SessionConfig::builder`].
    pub(super) fn new(current: Key) -> Self {
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
            cache: CacheProtection::default(),
            clock: crate::clock::system_clock(),
            revocation: None,
            async_revocation: None,
            max_age_listeners: Vec::new(),
            #[cfg(feature = "dbsc")]
            dbsc: None,
            _session: PhantomData,
        }
    }

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

    /// What [`store`](SessionConfig::store), and so the tower/axum layer and
    /// the actix-web middleware, do to a response's `Cache-Control` when they
    /// append the session's `Set-Cookie`, so that no shared cache stores the
    /// cookie and hands it to another user: by default
    /// [`CacheProtection::Private`] (docs/operations.md, "Caches in front").
    pub fn cache_protection(mut self, protection: CacheProtection) -> Self {
        self.cache = protection;
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

    /// Turns on device-bound sessions (DBSC, feature `dbsc`, docs/dbsc.md)
    /// with `settings`: a login ([`Session::renew`](crate::Session::renew))
    /// offers the browser a registration, and a session whose device key is
    /// registered is accepted only with a fresh bound cookie. The session
    /// type needs a [`DeviceBinding`](crate::dbsc::DeviceBinding) field, and
    /// the app serves the DBSC endpoints (`DbscLayer` for tower/axum,
    /// `DbscMiddleware` for actix-web). [`build`](Self::build) checks the
    /// settings and derives the DBSC keys from every configured key.
    #[cfg(feature = "dbsc")]
    pub fn dbsc(mut self, settings: crate::dbsc::settings::DbscSettings) -> Self
    where
        T: crate::dbsc::binding::DbscSession,
    {
        self.dbsc = Some((settings, crate::dbsc::settings::BindingAccess::of()));
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
        #[cfg(feature = "dbsc")]
        let dbsc = match self.dbsc {
            Some((settings, access)) => {
                let keys: Vec<&Key> = keys.iter().map(|(key, _)| *key).collect();
                let frozen = settings.freeze(access, &keys, &self.attributes, &attribute_suffix);
                Some(frozen.map_err(ConfigError::Dbsc)?)
            }
            None => None,
        };
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
                chunk_names: (0..T::CHUNKS.max(1))
                    .map(|index| crate::codec::chunks::chunk_name(T::NAME, index))
                    .collect(),
                cache: self.cache,
                clock,
                revocation: self.revocation,
                async_revocation: self.async_revocation,
                #[cfg(feature = "dbsc")]
                dbsc,
            }),
        };
        for listener in self.max_age_listeners {
            listener(config.max_session_age());
        }
        Ok(config)
    }
}
