//! The `http` crate glue (feature `http`, on by default): load from a
//! `HeaderMap`/`Request`, store into a `HeaderMap`/`Response`. Everything
//! here is a thin conversion around `load.rs` and `store.rs`.

use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Request, Response};

use crate::session::{Session, WriteReason};
use crate::store::StoreError;
use crate::{CookieSession, SessionConfig};

impl<T: CookieSession> SessionConfig<T> {
    /// Loads the session from a request's `Cookie` headers. Never fails: a
    /// missing or refused cookie gives a fresh default session, and
    /// [`Session::status`] says why.
    pub fn load(&self, headers: &HeaderMap) -> Session<T> {
        self.load_from_cookie_headers(headers.get_all(COOKIE).iter().map(HeaderValue::as_bytes))
    }

    /// [`load`](Self::load), then the asynchronous revocation check if one is
    /// configured (see [`SessionConfigBuilder::revocation_check_async`](crate::SessionConfigBuilder::revocation_check_async)).
    pub async fn load_async(&self, headers: &HeaderMap) -> Session<T> {
        let session = self.load(headers);
        self.check_revocation_async(session).await
    }

    /// [`load`](Self::load) from a whole request.
    pub fn load_request<B>(&self, request: &Request<B>) -> Session<T> {
        self.load(request.headers())
    }

    /// The `Set-Cookie` value for this session, or `None` when nothing needs
    /// sending (untouched, touched but encoding to the same cookie, or a fresh
    /// session holding only default data).
    pub fn set_cookie(&self, session: &Session<T>) -> Result<Option<HeaderValue>, StoreError> {
        self.set_cookie_string(session)?
            .map(|text| {
                HeaderValue::try_from(text).map_err(|err| StoreError::Serialize(err.to_string()))
            })
            .transpose()
    }

    /// Appends the session's `Set-Cookie` to `headers` when one is due (other
    /// `Set-Cookie` headers are kept) and says why it was written.
    pub fn store(
        &self,
        session: &Session<T>,
        headers: &mut HeaderMap,
    ) -> Result<Option<WriteReason>, StoreError> {
        match self.set_cookie(session)? {
            Some(value) => {
                headers.append(SET_COOKIE, value);
                Ok(session.pending_write())
            }
            None => Ok(None),
        }
    }

    /// [`store`](Self::store) into a whole response.
    pub fn store_response<B>(
        &self,
        session: &Session<T>,
        response: &mut Response<B>,
    ) -> Result<Option<WriteReason>, StoreError> {
        self.store(session, response.headers_mut())
    }

    /// The `Set-Cookie` that deletes the session cookie in the browser (empty
    /// value, `Max-Age=0`, an `Expires` in the past, same `Path`/`Domain`).
    pub fn removal_header(&self) -> HeaderValue {
        HeaderValue::try_from(self.removal_cookie_string())
            .expect("name and attributes were validated at build time")
    }
}
