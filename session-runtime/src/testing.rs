//! Helpers for testing an app that uses sessions (feature `testing`, meant
//! for `[dev-dependencies]`): a configuration on a clock the test moves, the
//! `Cookie` header for a session value of your choice, the session a response
//! set, and a cookie jar that follows `Set-Cookie` like a browser.
//!
//! ```
//! use std::time::Duration;
//! use serde::{Deserialize, Serialize};
//! use session_runtime::testing::{self, CookieJar};
//! use session_runtime::{CookieSession, LoadStatus, Rejection};
//!
//! #[derive(CookieSession, Serialize, Deserialize, Default, Debug, PartialEq)]
//! #[session(name = "__Host-app", version = 1)]
//! struct AppSession { user_id: Option<u64> }
//!
//! let (builder, clock) = testing::builder::<AppSession>();
//! let config = builder.idle_timeout(Duration::from_secs(600)).build().unwrap();
//!
//! // A request from a logged-in user, without going through the login:
//! let mut request = http::HeaderMap::new();
//! let logged_in = AppSession { user_id: Some(7) };
//! request.insert(http::header::COOKIE, testing::cookie(&config, &logged_in));
//! assert_eq!(*config.load(&request).user_id(), Some(7));
//!
//! // Past the idle timeout, the same cookie is refused.
//! clock.advance(Duration::from_secs(601));
//! assert!(matches!(
//!     config.load(&request).rejection(),
//!     Some(Rejection::IdleExpired { .. })
//! ));
//!
//! // A jar keeps what responses set, and sends it back.
//! let mut jar = CookieJar::new();
//! let mut session = config.load(&http::HeaderMap::new());
//! session.set_user_id(Some(9));
//! let mut response = http::HeaderMap::new();
//! config.store(&session, &mut response).unwrap();
//! jar.apply(&response);
//! let next = config.load(&jar.request_headers());
//! assert_eq!(next.status(), &LoadStatus::Valid);
//! assert_eq!(testing::session_set(&config, &response).unwrap().user_id(), &Some(9));
//! ```
//!
//! With a web framework, put [`cookie`]'s header on the test request and read
//! the response's headers with [`session_set`] or a [`CookieJar`]; the
//! `axum` and `actix` module docs show a whole test of each.

use std::collections::BTreeMap;

use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};

use crate::clock::ManualClock;
use crate::config::{SessionConfig, SessionConfigBuilder};
use crate::key::Key;
use crate::session::{LoadStatus, Session};
use crate::session_type::CookieSession;

/// 2026-01-01T00:00:00Z: where [`builder`]'s clock starts.
pub const START_UNIX_MS: u64 = 1_767_225_600_000;

/// The secret of [`builder`]'s key: fixed, public, for tests only.
pub const TEST_SECRET: &[u8; 32] = b"session-runtime testing secret!!";

/// A configuration builder for tests: the signing key from [`TEST_SECRET`]
/// and a [`ManualClock`] at [`START_UNIX_MS`] (returned, so the test moves
/// time across refresh, idle and absolute timeouts). Add your settings, then
/// `build()`.
pub fn builder<T: CookieSession>() -> (SessionConfigBuilder<T>, ManualClock) {
    let clock = ManualClock::new(START_UNIX_MS);
    let key = Key::from_secret(TEST_SECRET).expect("32 bytes");
    (SessionConfig::builder(key).clock(clock.clone()), clock)
}

/// The `Cookie` request header carrying a fresh cookie of `data` (issued now,
/// the configuration's default lifetime), as a browser holding that session
/// would send it (every chunk of a chunked session).
///
/// # Panics
/// If `data` cannot be encoded within its bound (a hand-written
/// `MaxEncodedLen` that understates it) — a bug the test should show.
pub fn cookie<T: CookieSession>(config: &SessionConfig<T>, data: &T) -> HeaderValue {
    let pairs = config
        .encode_pairs(data)
        .unwrap_or_else(|err| panic!("the test session does not encode: {err}"));
    HeaderValue::try_from(pairs.join("; ")).expect("a cookie is header-safe")
}

/// The session a response set, loaded as the next request would load it;
/// `None` when the response has no `Set-Cookie` for this session type or
/// only the expiring one (a logout).
pub fn session_set<T: CookieSession>(
    config: &SessionConfig<T>,
    response: &HeaderMap,
) -> Option<Session<T>> {
    let mut jar = CookieJar::new();
    jar.apply(response);
    jar.get(T::NAME)?;
    let session = config.load(&jar.request_headers());
    (*session.status() != LoadStatus::Missing).then_some(session)
}

/// Cookies by name, kept from `Set-Cookie` headers as a browser keeps them
/// for one site and path: a later cookie of a name replaces the earlier, and
/// `Max-Age=0` deletes it. Attributes other than `Max-Age` are not
/// interpreted.
#[derive(Debug, Clone, Default)]
pub struct CookieJar {
    cookies: BTreeMap<String, String>,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        CookieJar::default()
    }

    /// Applies every `Set-Cookie` of `response`, in order.
    pub fn apply(&mut self, response: &HeaderMap) {
        for value in response.get_all(SET_COOKIE) {
            if let Ok(text) = value.to_str() {
                self.apply_one(text);
            }
        }
    }

    /// Applies one `Set-Cookie` header value.
    pub fn apply_one(&mut self, set_cookie: &str) {
        let mut parts = set_cookie.split(';').map(str::trim);
        let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
            return;
        };
        let expired = parts.any(|attribute| {
            attribute.split_once('=').is_some_and(|(key, value)| {
                key.eq_ignore_ascii_case("max-age") && value.trim() == "0"
            })
        });
        if expired {
            self.cookies.remove(name);
        } else {
            self.cookies.insert(name.to_owned(), value.to_owned());
        }
    }

    /// The value of cookie `name`, if the jar holds it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    /// Puts (or plants) a cookie into the jar.
    pub fn insert(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    /// The `Cookie` header the jar would send, if it holds any cookie.
    pub fn cookie_header(&self) -> Option<HeaderValue> {
        if self.cookies.is_empty() {
            return None;
        }
        let text = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        HeaderValue::try_from(text).ok()
    }

    /// Request headers holding [`cookie_header`](Self::cookie_header).
    pub fn request_headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = self.cookie_header() {
            headers.insert(COOKIE, value);
        }
        headers
    }
}
