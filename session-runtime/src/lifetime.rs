//! Per-session lifetimes: a browser-session cookie, the standard one, or a
//! longer "remember me", chosen per session (usually at login) and carried in
//! the cookie under the MAC (docs/wire-format.md, "Lifetimes").

/// Which of the configuration's lifetimes a session uses.
///
/// The choice travels in the cookie's header under the MAC, so the client
/// cannot switch a browser-session cookie to "remember me"; the idle and
/// absolute timeouts and the cookie's `Max-Age` follow it.
///
/// ```
/// use std::time::Duration;
/// use http::HeaderMap;
/// use session_runtime::{CookieSession, Key, Lifetime, SessionConfig};
///
/// #[derive(CookieSession, serde::Serialize, serde::Deserialize, Default)]
/// #[session(name = "__Host-app", version = 1)]
/// struct App { user_id: Option<u64> }
///
/// let day = Duration::from_secs(24 * 60 * 60);
/// let config = SessionConfig::<App>::builder(Key::from_secret(&[3; 32]).unwrap())
///     .default_lifetime(Lifetime::BrowserSession) // gone when the browser closes
///     .remember_me(30 * day, 30 * day)            // unless "remember me" was ticked
///     .build()
///     .unwrap();
///
/// let mut session = config.load(&HeaderMap::new());
/// session.renew();
/// session.set_user_id(Some(7));
/// let cookie = config.set_cookie(&session).unwrap().unwrap();
/// assert!(!cookie.contains("Max-Age")); // browser session
///
/// session.set_lifetime(Lifetime::RememberMe);
/// let cookie = config.set_cookie(&session).unwrap().unwrap();
/// assert!(cookie.contains("; Max-Age=2592000;")); // 30 days
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Lifetime {
    /// The configuration's idle and absolute timeouts, and a persistent cookie
    /// (`Max-Age` until the earlier deadline). The default.
    #[default]
    Standard,
    /// A cookie without `Max-Age`/`Expires`, which browsers drop when they
    /// close; the signed idle and absolute timeouts still apply (by default
    /// the standard ones, see
    /// [`SessionConfigBuilder::browser_session_timeouts`](crate::SessionConfigBuilder::browser_session_timeouts)).
    BrowserSession,
    /// The longer timeouts declared with
    /// [`SessionConfigBuilder::remember_me`](crate::SessionConfigBuilder::remember_me),
    /// and a persistent cookie.
    RememberMe,
}

impl Lifetime {
    /// The header's lifetime byte.
    pub(crate) const fn to_byte(self) -> u8 {
        match self {
            Lifetime::Standard => 0,
            Lifetime::BrowserSession => 1,
            Lifetime::RememberMe => 2,
        }
    }

    /// The lifetime of a header byte, if it names one.
    pub(crate) const fn from_byte(byte: u8) -> Option<Lifetime> {
        match byte {
            0 => Some(Lifetime::Standard),
            1 => Some(Lifetime::BrowserSession),
            2 => Some(Lifetime::RememberMe),
            _ => None,
        }
    }

    /// Whether the cookie carries `Max-Age` (a persistent cookie).
    pub(crate) const fn is_persistent(self) -> bool {
        !matches!(self, Lifetime::BrowserSession)
    }
}

/// The lifetimes one configuration declares, and its default: what a
/// session may choose with `set_lifetime`, and what it gets otherwise.
/// One byte (every `Session<T>` carries it, see `origin.rs`): bit
/// `1 << byte` for each declared lifetime, and the default's byte above
/// them, shifted by [`DEFAULT_SHIFT`](Self::DEFAULT_SHIFT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DeclaredLifetimes(u8);

impl DeclaredLifetimes {
    /// Lifetime bytes are 0..=2 (`Lifetime::to_byte`): three bits of set.
    const DEFAULT_SHIFT: u32 = 4;

    /// Every lifetime, default `Standard`: a session outside any
    /// configuration, checked when it is stored.
    pub(crate) const ALL: DeclaredLifetimes = DeclaredLifetimes(0b111);

    /// The set whose members are `declared(lifetime)`; `default` is one of them.
    pub(crate) fn new(declared: impl Fn(Lifetime) -> bool, default: Lifetime) -> Self {
        let bits = [
            Lifetime::Standard,
            Lifetime::BrowserSession,
            Lifetime::RememberMe,
        ]
        .into_iter()
        .filter(|&lifetime| declared(lifetime))
        .fold(0, |bits, lifetime| bits | 1 << lifetime.to_byte());
        DeclaredLifetimes(bits | default.to_byte() << Self::DEFAULT_SHIFT)
    }

    pub(crate) fn contains(self, lifetime: Lifetime) -> bool {
        self.0 & 1 << lifetime.to_byte() != 0
    }

    pub(crate) fn default_lifetime(self) -> Lifetime {
        // Always one of the three bytes: `new` wrote a lifetime's byte there.
        Lifetime::from_byte(self.0 >> Self::DEFAULT_SHIFT).unwrap_or_default()
    }
}

/// [`Session::set_lifetime`](crate::Session::set_lifetime) was asked for a
/// lifetime the configuration does not declare. Its message names the
/// builder call that declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UndeclaredLifetime {
    lifetime: Lifetime,
}

impl UndeclaredLifetime {
    pub(crate) fn new(lifetime: Lifetime) -> Self {
        UndeclaredLifetime { lifetime }
    }

    /// The lifetime that was asked for.
    pub fn lifetime(&self) -> Lifetime {
        self.lifetime
    }

    /// The `SessionConfigBuilder` call that declares the lifetime.
    pub(crate) fn fix(lifetime: Lifetime) -> &'static str {
        match lifetime {
            Lifetime::RememberMe => ".remember_me(idle, absolute)",
            // Standard and BrowserSession are always declared.
            Lifetime::Standard | Lifetime::BrowserSession => ".default_lifetime(..)",
        }
    }
}

impl core::fmt::Display for UndeclaredLifetime {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "the session chose the {:?} lifetime, which its configuration does not declare: \
             add `{}` to the SessionConfig builder",
            self.lifetime,
            Self::fix(self.lifetime)
        )
    }
}

impl std::error::Error for UndeclaredLifetime {}
