//! axum-extra 0.12 `SignedCookieJar` holding the whole session as one serde_json value.
//!
//! This is the do-it-yourself typed session an axum user writes today: serialize the
//! struct to JSON, put it in a signed cookie, and read it back through the extractor's
//! `from_headers` constructor. Everything after `serde_json` is the real crate.

use axum_core::response::IntoResponse as _;
use axum_extra::extract::cookie::{Cookie, Key, SameSite, SignedCookieJar};
use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};

use crate::{set_cookie_of, Peer, PeerError, Shape, COOKIE_NAME, MASTER_KEY};

/// `SignedCookieJar` (cookie 0.18, HMAC-SHA256) with a JSON value.
pub struct AxumSigned {
    key: Key,
}

impl Default for AxumSigned {
    fn default() -> Self {
        Self {
            key: Key::from(&MASTER_KEY),
        }
    }
}

impl Peer for AxumSigned {
    fn label(&self) -> &'static str {
        "axum-extra-signed"
    }

    fn encode<T: Shape>(&self, session: &T) -> Result<String, PeerError> {
        let json = serde_json::to_string(session)?;
        // Same attributes as the other Rust peers, so the Set-Cookie lengths compare.
        let cookie = Cookie::build((COOKIE_NAME, json))
            .path("/")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Lax);
        // A handler owns its jar (the extractor clones the key out of app state), adds the
        // cookie and returns the jar; `into_response` is where the delta becomes headers.
        let jar = SignedCookieJar::new(self.key.clone()).add(cookie);
        let response = jar.into_response();
        set_cookie_of(&response)
    }

    fn decode<T: Shape>(&self, cookie_header: &str) -> Result<T, PeerError> {
        // What the request carries; the extractor reads it from `Parts::headers`.
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(cookie_header)?);
        // `from_headers` verifies every cookie in the header up front.
        let jar = SignedCookieJar::from_headers(&headers, self.key.clone());
        let cookie = jar
            .get(COOKIE_NAME)
            .ok_or("cookie missing or not verified")?;
        Ok(serde_json::from_str(cookie.value())?)
    }
}
