//! What a configuration with DBSC on adds to the load and store paths
//! (docs/dbsc.md, "Integration"): on load, a bound session needs a bound
//! cookie that verifies for its DBSC id and has not expired; on store, a
//! login offers the browser a registration, and a logout deletes the bound
//! cookie. Without DBSC in the configuration every hook returns at once.

use http::header::{HeaderName, SET_COOKIE};
use http::{HeaderMap, HeaderValue};

use super::bound::{BoundCookie, BoundCookieError};
use super::challenge::{Challenge, ChallengePurpose};
use super::headers::registration_header;
use super::settings::DbscConfig;
use super::state::{DbscState, SessionId};
use crate::config::SessionConfig;
use crate::cookie::cookie_values;
use crate::limits::MAX_CANDIDATE_COOKIES;
use crate::reject::{BindingFailure, Rejection};
use crate::session::{Session, WriteReason};
use crate::session_type::CookieSession;

/// `Secure-Session-Registration` ("DBSC Formats"): offers the browser a
/// DBSC session.
pub(crate) const REGISTRATION: HeaderName = HeaderName::from_static("secure-session-registration");

impl<T: CookieSession> SessionConfig<T> {
    /// [`load_cookies_unchecked`](Self::load_cookies_unchecked), then, with
    /// DBSC on, the device-binding check on the session that won.
    pub(crate) fn load_cookies_bound<'a>(
        &self,
        headers: impl IntoIterator<Item = &'a [u8]> + 'a,
    ) -> Session<T> {
        let Some(dbsc) = &self.inner.dbsc else {
            return self.load_cookies_unchecked(headers);
        };
        // The headers are read twice (the session's cookies, then the bound
        // cookie's): a list of slices, no copy of the bytes.
        let headers: Vec<&'a [u8]> = headers.into_iter().collect();
        let bound: Vec<&[u8]> = cookie_values(headers.iter().copied(), &dbsc.bound_name)
            .take(MAX_CANDIDATE_COOKIES)
            .collect();
        let session = self.load_cookies_unchecked(headers);
        self.check_binding(session, &bound)
    }

    /// A bound session whose request carries no bound cookie that verifies
    /// for its DBSC id (with any configured key) and is unexpired becomes a
    /// fresh session refused with [`Rejection::DeviceBinding`]. Every session
    /// of a DBSC configuration records the load time, which a renew starts
    /// its pending binding with.
    pub(crate) fn check_binding(&self, session: Session<T>, bound: &[&[u8]]) -> Session<T> {
        let Some(dbsc) = &self.inner.dbsc else {
            return session;
        };
        let now = self.now_ms() / 1000;
        let state = dbsc.binding(&session).state().copied();
        let session = match state {
            Some(DbscState::Bound { id, .. }) => match verify_bound(dbsc, bound, &id, now) {
                Ok(()) => session,
                Err(reason) => session.refused(Rejection::DeviceBinding { reason }),
            },
            _ => session,
        };
        session.with_binding_start(Some(now))
    }

    /// `decode` has one cookie value and no bound cookie: with DBSC on, a
    /// bound session is refused as [`BindingFailure::Missing`] (fail closed).
    pub(crate) fn check_decoded_binding(
        &self,
        session: Session<T>,
    ) -> Result<Session<T>, Rejection> {
        let session = self.check_binding(session, &[]);
        match session.rejection() {
            Some(reason) => Err(reason.clone()),
            None => Ok(session),
        }
    }

    /// With DBSC on: the response that stores a renewed session (a login)
    /// offers its pending binding for registration, with a registration
    /// challenge for its DBSC id; the response that stores a cleared session
    /// (a logout) deletes the bound cookie. Errors are texts for the store's
    /// `Serialize` error; none happens, the values being validated settings
    /// and base64url.
    pub(crate) fn store_binding(
        &self,
        session: &Session<T>,
        headers: &mut HeaderMap,
    ) -> Result<(), String> {
        let Some(dbsc) = &self.inner.dbsc else {
            return Ok(());
        };
        if session.is_cleared() {
            headers.append(SET_COOKIE, header_value(dbsc.bound_removal.clone())?);
        } else if session.pending_write() == Some(WriteReason::Renewed) {
            if let Some(DbscState::Pending { id, .. }) = dbsc.binding(session).state() {
                let now = self.now_ms() / 1000;
                let key = dbsc.signing_key();
                let challenge = Challenge::issue(key, ChallengePurpose::Registration, id, now);
                let offer = registration_header(&dbsc.registration_path, &challenge, None)
                    .map_err(|err| err.to_string())?;
                headers.append(REGISTRATION, header_value(offer)?);
            }
        }
        Ok(())
    }
}

/// The first of `values` that verifies for `id` with any configured key, or
/// the most telling failure: an authentic but expired cookie, then one bound
/// to something else, then junk, then none at all. At most
/// `MAX_CANDIDATE_COOKIES` values, each checked with each key (one HMAC).
fn verify_bound<T>(
    dbsc: &DbscConfig<T>,
    values: &[&[u8]],
    id: &SessionId,
    now: u64,
) -> Result<(), BindingFailure> {
    let rank = |failure: &BindingFailure| match failure {
        BindingFailure::Missing => 0,
        BindingFailure::Malformed => 1,
        BindingFailure::WrongBinding => 2,
        _ => 3,
    };
    let mut worst = BindingFailure::Missing;
    for value in values {
        let failure = match core::str::from_utf8(value) {
            Ok(text) => match verify_one(dbsc, text, id, now) {
                Ok(()) => return Ok(()),
                Err(failure) => failure,
            },
            Err(_) => BindingFailure::Malformed,
        };
        if rank(&failure) > rank(&worst) {
            worst = failure;
        }
    }
    Err(worst)
}

fn verify_one<T>(
    dbsc: &DbscConfig<T>,
    text: &str,
    id: &SessionId,
    now: u64,
) -> Result<(), BindingFailure> {
    let mut failure = BindingFailure::Malformed;
    for key in &dbsc.keys {
        match BoundCookie::verify(key, text, id, now) {
            Ok(_) => return Ok(()),
            // The tag verified with this key: nothing to try further.
            Err(BoundCookieError::Expired { expires_at, now }) => {
                let ago = core::time::Duration::from_secs(now - expires_at);
                return Err(BindingFailure::Expired { ago });
            }
            // Another key may have issued it.
            Err(BoundCookieError::WrongBinding) => failure = BindingFailure::WrongBinding,
            // Junk is junk under every key.
            Err(_) => return Err(BindingFailure::Malformed),
        }
    }
    Err(failure)
}

/// A header value we wrote ourselves (validated settings, base64url): always
/// valid, but a failure is an error, not a panic.
fn header_value(text: String) -> Result<HeaderValue, String> {
    HeaderValue::try_from(text).map_err(|err| err.to_string())
}
