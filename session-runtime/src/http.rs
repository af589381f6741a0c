//! The `http` crate glue (feature `http`, on by default): load from a
//! `HeaderMap`, store into one. Everything here is a thin conversion around
//! `load.rs` and `store.rs`.

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};

use crate::config::SessionConfig;
use crate::response::{Field, ResponseHeaders};
use crate::session::{Session, WriteReason};
use crate::session_type::CookieSession;
use crate::store::StoreError;

impl<T: CookieSession> SessionConfig<T> {
    /// Loads the session from a request's `Cookie` headers. Never fails: a
    /// missing or refused cookie gives a fresh default session, and
    /// [`Session::status`] says why. The same as
    /// [`load_cookies`](Self::load_cookies) (which has the rules for several
    /// cookies of one name), including its fail-closed rule when the
    /// configuration has an asynchronous revocation check: then use
    /// [`load_async`](Self::load_async).
    pub fn load(&self, headers: &HeaderMap) -> Session<T> {
        self.load_cookies(headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes))
    }

    /// [`load`](Self::load), then the asynchronous revocation check if one is
    /// configured (see [`SessionConfigBuilder::revocation_check_async`](crate::SessionConfigBuilder::revocation_check_async)).
    pub async fn load_async(&self, headers: &HeaderMap) -> Session<T> {
        self.load_cookies_async(headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes))
            .await
    }

    /// Appends the session's `Set-Cookie` to `headers` when one is due (other
    /// `Set-Cookie` headers are kept) and says why it was written. The same
    /// as [`set_cookie`](Self::set_cookie) (or, for a chunked session,
    /// [`set_cookies`](Self::set_cookies)), as headers.
    ///
    /// When it appends any, it also makes sure no shared cache stores the
    /// response, as the configuration's
    /// [`CacheProtection`](crate::CacheProtection) says (by default
    /// `Cache-Control: private`), so pass the response's own headers, with
    /// whatever `Cache-Control` the handler set. [`set_cookie`](Self::set_cookie)
    /// and [`set_cookies`](Self::set_cookies) leave caching to the caller.
    pub fn store(
        &self,
        session: &Session<T>,
        headers: &mut HeaderMap,
    ) -> Result<Option<WriteReason>, StoreError> {
        self.store_into(session, headers)
    }

    /// [`store`](Self::store) into any framework's response headers (the
    /// actix-web middleware passes actix-web's own map).
    pub(crate) fn store_into(
        &self,
        session: &Session<T>,
        headers: &mut impl ResponseHeaders,
    ) -> Result<Option<WriteReason>, StoreError> {
        #[cfg(feature = "dbsc")]
        self.store_binding(session, headers)
            .map_err(StoreError::Serialize)?;
        if T::CHUNKS > 1 {
            let cookies = self.set_cookies(session)?;
            if cookies.is_empty() {
                return Ok(None);
            }
            for text in cookies {
                append_set_cookie(headers, text)?;
            }
            self.inner.cache.protect(headers);
            return Ok(session.pending_write());
        }
        let Some(text) = self.write_single(session)? else {
            return Ok(None);
        };
        append_set_cookie(headers, text)?;
        self.inner.cache.protect(headers);
        Ok(session.pending_write())
    }
}

/// Appends a `Set-Cookie` text (it is always a valid value: the name and
/// attributes were checked when the configuration was built).
fn append_set_cookie(headers: &mut impl ResponseHeaders, text: String) -> Result<(), StoreError> {
    headers
        .append(Field::SetCookie, text)
        .map_err(|err| StoreError::Serialize(err.to_string()))
}
