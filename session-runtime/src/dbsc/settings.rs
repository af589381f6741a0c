//! What an application chooses about DBSC ([`DbscSettings`], given to
//! [`SessionConfigBuilder::dbsc`](crate::SessionConfigBuilder::dbsc)), and
//! the same frozen at build with the MAC keys derived from every configured
//! session key (`DbscConfig`).

use core::fmt;
use std::time::Duration;

use super::binding::{DbscSession, DeviceBinding};
use super::challenge::ChallengeWindow;
use super::keys::DbscKey;
use crate::codec::chunks::chunk_name;
use crate::cookie::{AttributeError, CookieAttributes};
use crate::key::Key;
use crate::session_type::CookieSession;

/// The shortest bound-cookie lifetime [`DbscSettings::bound_lifetime`]
/// accepts: 5 minutes.
///
/// Chromium refreshes in the background whenever a request sees a bound
/// cookie with less than 120 s to live (`DeviceBoundSessionProactiveRefresh`,
/// docs/dbsc.md), and signs at most 6 proofs per site in 9 minutes
/// (`kSigningQuota`); past the quota, requests go out without the bound
/// cookie and are refused. With a lifetime `L`, an active browser signs at
/// most once per `L - 120` s: 300 s keeps that to one signing in 180 s, half
/// the quota, and the default (600 s) to one in 480 s.
pub const MIN_BOUND_LIFETIME: Duration = Duration::from_secs(300);

/// DBSC for one session type: the endpoints' paths, the bound cookie, the
/// challenge window and the grace period of a pending registration.
/// Everything has a default; give it to
/// [`SessionConfigBuilder::dbsc`](crate::SessionConfigBuilder::dbsc), which
/// checks it when the configuration is built.
///
/// ```
/// use std::time::Duration;
/// use serde::{Deserialize, Serialize};
/// use session_runtime::dbsc::{DbscSettings, DeviceBinding};
/// use session_runtime::{CookieSession, Key, SessionConfig};
///
/// #[derive(CookieSession, Serialize, Deserialize, Default)]
/// #[session(name = "__Host-app", version = 1)]
/// struct AppSession {
///     user_id: Option<u64>,
///     device: DeviceBinding,
/// }
///
/// let config = SessionConfig::<AppSession>::builder(Key::from_secret(&[7; 32]).unwrap())
///     .dbsc(
///         DbscSettings::new()                 // POST /dbsc/register, POST /dbsc/refresh
///             .bound_lifetime(Duration::from_secs(600)) // the default
///             .exclude_path("/static"),
///     )
///     .build()
///     .unwrap();
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct DbscSettings {
    registration_path: String,
    refresh_path: String,
    bound_cookie_name: Option<String>,
    bound_lifetime: Duration,
    /// Set by `bound_lifetime_for_tests`: the minimum is not enforced.
    short_lifetime_allowed: bool,
    window: ChallengeWindow,
    pending_grace: Duration,
    excluded_paths: Vec<String>,
}

impl Default for DbscSettings {
    fn default() -> Self {
        DbscSettings::new()
    }
}

impl DbscSettings {
    /// The defaults: registration at `POST /dbsc/register`, refresh at
    /// `POST /dbsc/refresh`, bound cookie `<session name>-bound` living
    /// 600 s, challenges accepted for 120 s (60 s of clock skew), a pending
    /// registration tolerated for 60 s by routes that require a bound
    /// session, no excluded paths.
    pub fn new() -> Self {
        DbscSettings {
            registration_path: "/dbsc/register".to_owned(),
            refresh_path: "/dbsc/refresh".to_owned(),
            bound_cookie_name: None,
            bound_lifetime: Duration::from_secs(600),
            short_lifetime_allowed: false,
            window: ChallengeWindow::default(),
            pending_grace: Duration::from_secs(60),
            excluded_paths: Vec::new(),
        }
    }

    /// The path the browser posts its registration proof to (the `path` of
    /// `Secure-Session-Registration`). An absolute path on the app's origin.
    pub fn registration_path(mut self, path: impl Into<String>) -> Self {
        self.registration_path = path.into();
        self
    }

    /// The path the browser posts to for a new bound cookie (`refresh_url`
    /// of the session instructions). The browser never defers requests to it.
    pub fn refresh_path(mut self, path: impl Into<String>) -> Self {
        self.refresh_path = path.into();
        self
    }

    /// The bound cookie's name (default: the session cookie's name followed
    /// by `-bound`, e.g. `__Host-app-bound`, so it keeps the session
    /// cookie's prefix). It gets the session cookie's attributes.
    pub fn bound_cookie_name(mut self, name: impl Into<String>) -> Self {
        self.bound_cookie_name = Some(name.into());
        self
    }

    /// How long a bound cookie lives (default 600 s, at least
    /// [`MIN_BOUND_LIFETIME`]): a copied cookie jar stops working at most
    /// this long (plus the challenge window) after the theft.
    pub fn bound_lifetime(mut self, lifetime: Duration) -> Self {
        self.bound_lifetime = lifetime;
        self.short_lifetime_allowed = false;
        self
    }

    /// A bound-cookie lifetime below [`MIN_BOUND_LIFETIME`], for browser
    /// tests that run Chromium with its signing quota lifted
    /// (`--enable-features=DeviceBoundSessions:RefreshQuota/false`) and
    /// cannot wait minutes for a cookie to expire. Never in production: real
    /// browsers would exhaust their signing quota and send requests without
    /// the bound cookie. It must still be at least one second.
    pub fn bound_lifetime_for_tests(mut self, lifetime: Duration) -> Self {
        self.bound_lifetime = lifetime;
        self.short_lifetime_allowed = true;
        self
    }

    /// How old a challenge may be when its proof arrives (default 120 s,
    /// 60 s of skew): the replay bound (docs/dbsc.md, "The stateless
    /// challenge"). `max_age` must be at least one second.
    pub fn challenge_window(mut self, window: ChallengeWindow) -> Self {
        self.window = window;
        self
    }

    /// How long after login a session whose registration is still pending
    /// passes a route that requires a bound session (default 60 s; Chromium
    /// registered about 50 ms after the login response in our runs), so the
    /// first page after login works while the browser registers.
    pub fn pending_grace(mut self, grace: Duration) -> Self {
        self.pending_grace = grace;
        self
    }

    /// Leaves paths starting with `path` out of the DBSC session's scope: the
    /// browser neither waits for nor triggers a refresh for them (static
    /// assets, public pages). Such requests may come without the bound
    /// cookie, so a bound session loads as refused there: excluded routes
    /// must not depend on (or write) the session.
    pub fn exclude_path(mut self, path: impl Into<String>) -> Self {
        self.excluded_paths.push(path.into());
        self
    }

    /// Checks the settings for session type `T` and derives the DBSC keys
    /// from the configured session keys (signing key first).
    pub(crate) fn freeze<T: CookieSession>(
        self,
        access: BindingAccess<T>,
        keys: &[&Key],
        attributes: &CookieAttributes,
        attribute_suffix: &str,
    ) -> Result<DbscConfig<T>, DbscSettingsError> {
        check_path("registration_path", &self.registration_path)?;
        check_path("refresh_path", &self.refresh_path)?;
        for path in &self.excluded_paths {
            check_path("exclude_path", path)?;
        }
        if self.registration_path == self.refresh_path {
            return Err(DbscSettingsError::SamePaths);
        }
        let name = self
            .bound_cookie_name
            .unwrap_or_else(|| format!("{}-bound", T::NAME));
        attributes
            .validate_for(&name)
            .map_err(DbscSettingsError::BoundCookieName)?;
        if (0..T::CHUNKS.max(1)).any(|index| chunk_name(T::NAME, index) == name) {
            return Err(DbscSettingsError::BoundCookieNameTaken);
        }
        let too_short = if self.short_lifetime_allowed {
            self.bound_lifetime < Duration::from_secs(1)
        } else {
            self.bound_lifetime < MIN_BOUND_LIFETIME
        };
        if too_short {
            return Err(DbscSettingsError::BoundLifetime {
                lifetime: self.bound_lifetime,
            });
        }
        if self.window.max_age == 0 {
            return Err(DbscSettingsError::ChallengeWindow);
        }
        let lifetime_secs = self.bound_lifetime.as_secs();
        Ok(DbscConfig {
            bound_tail: format!("; Max-Age={lifetime_secs}{attribute_suffix}"),
            bound_removal: format!("{name}=; Max-Age=0{attribute_suffix}"),
            bound_attributes: attribute_suffix
                .strip_prefix("; ")
                .unwrap_or(attribute_suffix)
                .to_owned(),
            bound_name: name,
            registration_path: self.registration_path,
            refresh_path: self.refresh_path,
            bound_lifetime_secs: lifetime_secs,
            window: self.window,
            pending_grace_secs: self.pending_grace.as_secs(),
            excluded_paths: self.excluded_paths,
            keys: keys.iter().map(|key| DbscKey::new(key)).collect(),
            access,
        })
    }
}

/// A path setting must be an absolute path of printable ASCII without
/// spaces (it travels in a structured-field string and in JSON), at most
/// 1024 bytes (the cookie `Path` limit, RFC 6265bis §5.6).
fn check_path(setting: &'static str, path: &str) -> Result<(), DbscSettingsError> {
    let ok = path.starts_with('/')
        && path.len() <= 1024
        && path.bytes().all(|byte| (0x21..=0x7e).contains(&byte));
    if ok {
        Ok(())
    } else {
        Err(DbscSettingsError::Path { setting })
    }
}

/// The DBSC settings were refused when the configuration was built
/// ([`ConfigError::Dbsc`](crate::ConfigError::Dbsc)). Each message says what
/// to change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DbscSettingsError {
    /// A path does not start with `/`, has spaces or characters outside
    /// printable ASCII, or is over 1024 bytes.
    Path {
        /// Which setting.
        setting: &'static str,
    },
    /// The registration and refresh paths are the same.
    SamePaths,
    /// The bound cookie's name, with the session cookie's attributes, breaks
    /// the cookie rules (e.g. a `__Host-` name needs `Secure`, `Path=/`, no
    /// `Domain`).
    BoundCookieName(AttributeError),
    /// The bound cookie's name is the session cookie's own (or one of its
    /// chunks').
    BoundCookieNameTaken,
    /// The bound-cookie lifetime is below [`MIN_BOUND_LIFETIME`] (or below
    /// one second with `bound_lifetime_for_tests`).
    BoundLifetime {
        /// What was asked for.
        lifetime: Duration,
    },
    /// The challenge window's `max_age` is zero: no proof could arrive in time.
    ChallengeWindow,
}

impl fmt::Display for DbscSettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbscSettingsError::Path { setting } => write!(
                f,
                "DBSC `{setting}` must be an absolute path (starting with `/`) of printable \
                 ASCII without spaces, at most 1024 bytes"
            ),
            DbscSettingsError::SamePaths => f.write_str(
                "DBSC registration_path and refresh_path must differ: the browser posts \
                 different requests to them",
            ),
            DbscSettingsError::BoundCookieName(err) => {
                write!(f, "DBSC bound cookie name refused: {err}")
            }
            DbscSettingsError::BoundCookieNameTaken => f.write_str(
                "the DBSC bound cookie needs a name of its own, not the session cookie's",
            ),
            DbscSettingsError::BoundLifetime { lifetime } => write!(
                f,
                "DBSC bound_lifetime of {} ms is too short: at least {} s, because Chromium \
                 refreshes bound cookies with less than 120 s left and signs at most 6 proofs \
                 per site in 9 minutes (use bound_lifetime_for_tests only in browser tests \
                 that lift that quota)",
                lifetime.as_millis(),
                MIN_BOUND_LIFETIME.as_secs()
            ),
            DbscSettingsError::ChallengeWindow => {
                f.write_str("DBSC challenge_window max_age must be at least one second")
            }
        }
    }
}

impl std::error::Error for DbscSettingsError {}

/// How the configuration reaches a session type's device binding, captured
/// where `T: DbscSession` is known (`SessionConfigBuilder::dbsc`), so the
/// load and store paths, generic over `CookieSession`, can use it.
pub(crate) struct BindingAccess<T> {
    pub get: fn(&T) -> &DeviceBinding,
    pub get_mut: fn(&mut T) -> &mut DeviceBinding,
}

impl<T: DbscSession> BindingAccess<T> {
    pub(crate) fn of() -> Self {
        BindingAccess {
            get: T::__device_binding,
            get_mut: T::__device_binding_mut,
        }
    }
}

/// [`DbscSettings`] checked and frozen for session type `T`.
pub(crate) struct DbscConfig<T> {
    pub registration_path: String,
    pub refresh_path: String,
    pub bound_name: String,
    pub bound_lifetime_secs: u64,
    /// `; Max-Age=N` and the session cookie's attributes: what follows the
    /// bound cookie's value in its `Set-Cookie`.
    pub bound_tail: String,
    /// The `Set-Cookie` that deletes the bound cookie.
    pub bound_removal: String,
    /// The attributes as the session instructions name them
    /// (`Path=/; Secure; HttpOnly; SameSite=Lax`): Chromium compares them
    /// with the `Set-Cookie`'s ("Identify if missing session credential").
    pub bound_attributes: String,
    pub window: ChallengeWindow,
    pub pending_grace_secs: u64,
    pub excluded_paths: Vec<String>,
    /// One per configured session key, the signing key's first: challenges
    /// and bound cookies are issued with the first and verified with any.
    pub keys: Vec<DbscKey>,
    pub access: BindingAccess<T>,
}

impl<T> DbscConfig<T> {
    /// The key new challenges and bound cookies are issued with.
    pub(crate) fn signing_key(&self) -> &DbscKey {
        &self.keys[0]
    }

    /// The binding `data` holds.
    pub(crate) fn binding<'a>(&self, data: &'a T) -> &'a DeviceBinding {
        (self.access.get)(data)
    }
}
