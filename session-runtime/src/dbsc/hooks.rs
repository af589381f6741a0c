//! What a configuration with DBSC on adds to the load and store paths
//! (docs/dbsc.md, "The message flow as implemented"): on load, a bound session needs a bound
//! cookie that verifies for its DBSC id and has not expired; on store, a
//! login offers the browser a registration, and a logout deletes the bound
//! cookie. Without DBSC in the configuration every hook returns at once.

use super::bound::{BoundCookie, BoundCookieError};
use super::challenge::{Challenge, ChallengePurpose};
use super::headers::registration_header;
use super::jwk::DeviceKey;
use super::settings::DbscConfig;
use super::state::{DbscState, SessionId};
use crate::config::SessionConfig;
use crate::cookie::cookie_values;
use crate::limits::MAX_CANDIDATE_COOKIES;
use crate::reject::{BindingFailure, Rejection};
use crate::response::{Field, ResponseHeaders};
use crate::session::{Session, WriteReason};
use crate::session_type::CookieSession;

impl<T: CookieSession> SessionConfig<T> {
    /// [`load_cookies_unchecked`](Self::load_cookies_unchecked), then, with
    /// DBSC on, the device-binding check on the session that won.
    pub(crate) fn load_cookies_bound<'a>(
        &self,
        headers: impl IntoIterator<Item = &'a [u8]> + 'a,
    ) -> Session<T> {
        if self.inner.dbsc.is_none() {
            return self.load_cookies_unchecked(headers);
        }
        // The headers may be read twice (the session's cookies, then the
        // bound cookie's): a list of slices, no copy of the bytes. Only a
        // bound or pending session looks for its bound cookie.
        let headers: Vec<&'a [u8]> = headers.into_iter().collect();
        let session = self.load_cookies_unchecked(headers.iter().copied());
        let bound = match self.binding_state(&session) {
            Some(_) => self.bound_cookie_values(&headers),
            None => Vec::new(),
        };
        self.check_binding(session, &bound)
    }

    /// The session's DBSC state (`None`: no DBSC, or not bound nor pending).
    fn binding_state(&self, session: &Session<T>) -> Option<DbscState> {
        let dbsc = self.inner.dbsc.as_ref()?;
        dbsc.binding(session).state().copied()
    }

    /// A bound session whose request carries no bound cookie that verifies
    /// for its DBSC id and device key (with any configured key) and is
    /// unexpired becomes a fresh session refused with
    /// [`Rejection::DeviceBinding`]. A pending session is healed when a
    /// bound cookie shows it was registered (see [`heal_pending`](Self::heal_pending)).
    /// Every session of a DBSC configuration records the load time, which a
    /// renew starts its pending binding with.
    pub(crate) fn check_binding(&self, session: Session<T>, bound: &[&[u8]]) -> Session<T> {
        let Some(dbsc) = &self.inner.dbsc else {
            return session;
        };
        let now = self.now_ms() / 1000;
        let state = dbsc.binding(&session).state().copied();
        let session = match state {
            Some(DbscState::Bound { id, key }) => match verify_bound(dbsc, bound, &id, now) {
                Ok(found) if found == key => session,
                // Authentic for this id, but for another device key: only
                // a session bound twice under one id could produce it.
                Ok(_) => session.refused(Rejection::DeviceBinding {
                    reason: BindingFailure::WrongBinding,
                }),
                Err(reason) => session.refused(Rejection::DeviceBinding { reason }),
            },
            _ => self.heal_pending_at(session, bound, now),
        };
        session.with_binding_start(Some(now))
    }

    /// A pending session whose request carries a valid bound cookie for its
    /// DBSC id was registered: a concurrent response (typically the page the
    /// browser loaded right after login) stored it again as it was before
    /// the registration answer. The bound cookie carries the device key the
    /// registration verified, under our MAC, so the session is bound to it
    /// again and marked changed, and the next store writes it
    /// (docs/dbsc.md, "Concurrent responses"). Any other session is returned
    /// as it is.
    pub(crate) fn heal_pending(&self, session: Session<T>, bound: &[&[u8]]) -> Session<T> {
        self.heal_pending_at(session, bound, self.now_ms() / 1000)
    }

    /// [`heal_pending`](Self::heal_pending) at `now` (whole seconds), for a
    /// caller that has read the clock already.
    fn heal_pending_at(&self, mut session: Session<T>, bound: &[&[u8]], now: u64) -> Session<T> {
        let Some(dbsc) = &self.inner.dbsc else {
            return session;
        };
        let Some(DbscState::Pending { id, .. }) = dbsc.binding(&session).state().copied() else {
            return session;
        };
        if let Ok(key) = verify_bound(dbsc, bound, &id, now) {
            (dbsc.access.get_mut)(session.get_mut()).set(Some(DbscState::Bound { id, key }));
        }
        session
    }

    /// The values of the request's bound cookies (at most
    /// `MAX_CANDIDATE_COOKIES`), for [`check_binding`](Self::check_binding)
    /// and [`heal_pending`](Self::heal_pending).
    pub(crate) fn bound_cookie_values<'x>(&'x self, headers: &[&'x [u8]]) -> Vec<&'x [u8]> {
        match &self.inner.dbsc {
            Some(dbsc) => cookie_values(headers.iter().copied(), &dbsc.bound_name)
                .take(MAX_CANDIDATE_COOKIES)
                .collect(),
            None => Vec::new(),
        }
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
        headers: &mut impl ResponseHeaders,
    ) -> Result<(), String> {
        let Some(dbsc) = &self.inner.dbsc else {
            return Ok(());
        };
        if session.is_cleared() {
            headers
                .append(Field::SetCookie, dbsc.bound_removal.clone())
                .map_err(|err| err.to_string())?;
        } else if session.pending_write() == Some(WriteReason::Renewed) {
            if let Some(DbscState::Pending { id, .. }) = dbsc.binding(session).state() {
                let now = self.now_ms() / 1000;
                let key = dbsc.signing_key();
                let challenge = Challenge::issue(key, ChallengePurpose::Registration, id, now);
                let offer = registration_header(&dbsc.registration_path, &challenge, None)
                    .map_err(|err| err.to_string())?;
                headers
                    .append(Field::SessionRegistration, offer)
                    .map_err(|err| err.to_string())?;
            }
        }
        Ok(())
    }
}

/// The device key of the first of `values` that verifies for `id` with any
/// configured key and is unexpired, or the most telling failure: an
/// authentic but expired cookie, then one bound to something else, then
/// junk, then none at all. At most `MAX_CANDIDATE_COOKIES` values, each
/// checked with each key (one HMAC).
fn verify_bound<T>(
    dbsc: &DbscConfig<T>,
    values: &[&[u8]],
    id: &SessionId,
    now: u64,
) -> Result<DeviceKey, BindingFailure> {
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
                Ok(key) => return Ok(key),
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
) -> Result<DeviceKey, BindingFailure> {
    let mut failure = BindingFailure::Malformed;
    for key in &dbsc.keys {
        match BoundCookie::verify(key, text, id, now) {
            Ok(contents) => return Ok(contents.device_key),
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
