//! actix-session 0.11 with its cookie storage backend.
//!
//! What is the real crate and what is mirrored, and why:
//!
//! - **Real:** `actix_session::storage::CookieSessionStore`. `SessionStore::save` and
//!   `SessionStore::load` are public trait methods, and for the cookie store they are async
//!   only in signature (no `.await` inside), so they are driven here with a single poll and
//!   no server or runtime. They do the JSON work: `HashMap<String, String>` ⇄ JSON text,
//!   plus the 4064-byte `SessionKey` check.
//! - **Mirrored, line for line:** what `SessionMiddleware` does around the store, because it
//!   lives in private functions (`set_session_cookie`, `extract_session_key` in
//!   `middleware.rs`) that only run inside an actix-web service: `Session::insert` puts
//!   `serde_json::to_string(value)` into the state map; the cookie is built with the
//!   configured attributes, added through `CookieJar::signed_mut`/`private_mut`, taken from
//!   `jar.delta()` and written as `HeaderValue::from_str(&cookie.encoded().to_string())`.
//!   On the way in, `HttpRequest::cookies()` splits the header and `parse_encoded`s each
//!   pair, the session cookie is verified through `jar.signed()`/`jar.private()`, turned
//!   into a `SessionKey`, loaded, and `Session::get` runs `serde_json::from_str` per field.
//!   The `cookie` types are actix-web's own re-export (cookie 0.16), the version the
//!   middleware itself uses. `tests/actix_fidelity.rs` checks these cookies against the
//!   real middleware running in-process.

use std::collections::HashMap;

use actix_session::config::CookieContentSecurity;
use actix_session::storage::{CookieSessionStore, SessionKey, SessionStore as _};
use actix_web::cookie::time::Duration;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use actix_web::http::header::HeaderValue;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::shapes::{FieldSink, FieldSource};
use crate::{run_ready, Peer, PeerError, Shape, COOKIE_NAME, MASTER_KEY};

/// actix-session's cookie store, signed (HMAC-SHA256) or private (AES-256-GCM).
pub struct ActixSession {
    store: CookieSessionStore,
    key: Key,
    security: CookieContentSecurity,
    /// A `String` because the middleware's `CookieConfiguration::name` is one and it
    /// clones it for every cookie it sets.
    name: String,
    /// Ignored by the cookie store, but `save` takes it.
    state_ttl: Duration,
}

impl ActixSession {
    /// Signed cookie content: comparable with the other HMAC-signed peers.
    pub fn signed() -> Self {
        Self::new(CookieContentSecurity::Signed)
    }

    /// Private cookie content: actix-session's default (`SessionMiddleware::new`).
    pub fn private() -> Self {
        Self::new(CookieContentSecurity::Private)
    }

    fn new(security: CookieContentSecurity) -> Self {
        Self {
            store: CookieSessionStore::default(),
            key: Key::from(&MASTER_KEY),
            security,
            name: COOKIE_NAME.to_owned(),
            // actix-session's default state TTL (one day).
            state_ttl: Duration::days(1),
        }
    }
}

/// What `Session::insert` does with each value.
struct InsertJson<'a>(&'a mut HashMap<String, String>);

impl FieldSink for InsertJson<'_> {
    type Error = serde_json::Error;

    fn put<V: Serialize>(&mut self, name: &'static str, value: &V) -> Result<(), Self::Error> {
        self.0.insert(name.into(), serde_json::to_string(value)?);
        Ok(())
    }
}

/// What `Session::get` does with each value.
struct GetJson<'a>(&'a HashMap<String, String>);

impl FieldSource for GetJson<'_> {
    fn take<V: DeserializeOwned>(&mut self, name: &'static str) -> Option<V> {
        serde_json::from_str(self.0.get(name)?).ok()
    }
}

impl Peer for ActixSession {
    fn label(&self) -> &'static str {
        match self.security {
            CookieContentSecurity::Signed => "actix-session-signed",
            CookieContentSecurity::Private => "actix-session-private",
        }
    }

    fn encode<T: Shape>(&self, session: &T) -> Result<String, PeerError> {
        // A fresh session starts from an empty state map; the handler inserts each field.
        let mut state = HashMap::new();
        session.put_fields(&mut InsertJson(&mut state))?;

        // Real crate: state map -> JSON text -> SessionKey.
        let session_key = run_ready(self.store.save(state, &self.state_ttl))??;

        // Mirror of `set_session_cookie` with the default cookie configuration
        // (secure, http-only, SameSite=Lax, path "/", no max-age, no domain).
        let mut cookie = Cookie::new(self.name.clone(), String::from(session_key));
        cookie.set_secure(true);
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_path("/");
        let mut jar = CookieJar::new();
        match self.security {
            CookieContentSecurity::Signed => jar.signed_mut(&self.key).add(cookie),
            CookieContentSecurity::Private => jar.private_mut(&self.key).add(cookie),
        }
        let cookie = jar.delta().next().ok_or("cookie jar delta is empty")?;
        let value = HeaderValue::from_str(&cookie.encoded().to_string())?;
        // Every peer hands back an owned `String`; this copy is the same for all of them.
        Ok(value.to_str()?.to_owned())
    }

    fn decode<T: Shape>(&self, cookie_header: &str) -> Result<T, PeerError> {
        // Mirror of `HttpRequest::cookies()`: every pair is parsed and percent-decoded.
        let cookies: Vec<Cookie<'static>> = cookie_header
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .filter_map(|s| Cookie::parse_encoded(s).ok().map(Cookie::into_owned))
            .collect();

        // Mirror of `extract_session_key`.
        let session_cookie = cookies
            .iter()
            .find(|cookie| cookie.name() == self.name)
            .ok_or("cookie missing")?;
        let mut jar = CookieJar::new();
        jar.add_original(session_cookie.clone());
        let verified = match self.security {
            CookieContentSecurity::Signed => jar.signed(&self.key).get(&self.name),
            CookieContentSecurity::Private => jar.private(&self.key).get(&self.name),
        }
        .ok_or("cookie failed verification")?;
        let session_key = SessionKey::try_from(verified.value().to_owned())?;

        // Real crate: JSON text -> state map.
        let state = run_ready(self.store.load(&session_key))??.ok_or("no session state")?;

        // The handler reads each field with `Session::get`.
        T::take_fields(&mut GetJson(&state)).ok_or_else(|| "a session field is missing".into())
    }
}
