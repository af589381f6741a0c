//! One-shot "flash" messages, like Rails' `flash` and axum-messages: set on
//! one request (typically right before a redirect), shown once on the next.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::size::MaxEncodedLen;
use crate::size::{schema_hash_leaf, schema_hash_u64};

/// A session field holding at most one message of type `M` for the next
/// page: [`set`](Self::set) it, and the next request [`take`](Self::take)s it,
/// which removes it. Its size bound is `M`'s plus one byte, so a
/// `Flash<BoundedString<64>>` costs at most 66 bytes of cookie payload.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_runtime::{BoundedString, CookieSession, Flash, Key, SessionConfig};
///
/// #[derive(CookieSession, Serialize, Deserialize, Default)]
/// #[session(name = "__Host-app", version = 1)]
/// struct AppSession {
///     user: Option<BoundedString<32>>,
///     flash: Flash<BoundedString<64>>,
/// }
///
/// let config = SessionConfig::<AppSession>::new(Key::from_secret(&[3; 32]).unwrap()).unwrap();
/// // POST /login: set a message and redirect.
/// let mut session = config.load(&http::HeaderMap::new());
/// session.get_mut().flash.set(BoundedString::truncating("Welcome back!"));
/// let cookie = config.set_cookie(&session).unwrap().unwrap();
///
/// // GET /: the next page shows it once...
/// let mut headers = http::HeaderMap::new();
/// let pair = cookie.split(';').next().unwrap().to_owned();
/// headers.insert(http::header::COOKIE, pair.parse().unwrap());
/// let mut session = config.load(&headers);
/// assert!(session.flash.is_set());
/// let shown = session.get_mut().flash.take();
/// assert_eq!(shown.as_deref(), Some("Welcome back!"));
/// // ...and taking it changed the session, so a cookie without it is sent.
/// assert!(config.set_cookie(&session).unwrap().is_some());
/// ```
///
/// Check [`is_set`](Self::is_set) through a read-only access before taking:
/// taking is a change, and a request that shows nothing then sends no cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash<M>(Option<M>);

impl<M> Default for Flash<M> {
    fn default() -> Self {
        Flash(None)
    }
}

impl<M> Flash<M> {
    /// Keeps `message` for the next request, replacing any unread one.
    pub fn set(&mut self, message: M) {
        self.0 = Some(message);
    }

    /// The message, removed: it is shown once.
    pub fn take(&mut self) -> Option<M> {
        self.0.take()
    }

    /// The message, left in place.
    pub fn peek(&self) -> Option<&M> {
        self.0.as_ref()
    }

    /// Whether a message is waiting.
    pub fn is_set(&self) -> bool {
        self.0.is_some()
    }
}

impl<M: Serialize> Serialize for Flash<M> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, M: Deserialize<'de>> Deserialize<'de> for Flash<M> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<M>::deserialize(deserializer).map(Flash)
    }
}

impl<M: MaxEncodedLen> MaxEncodedLen for Flash<M> {
    const MAX_ENCODED_LEN: usize = <Option<M> as MaxEncodedLen>::MAX_ENCODED_LEN;
    const SCHEMA_HASH: u64 = schema_hash_u64(schema_hash_leaf("Flash"), M::SCHEMA_HASH);
}
