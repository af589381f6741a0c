//! What the DBSC layers of both frameworks share: getting the session from
//! the request's slot, and logging what the endpoints refused.

use super::error::SessionUnavailable;
use super::handle::RequestSession;
use super::slot::SessionSlot;
use crate::dbsc::endpoints::DbscRefusal;
use crate::session_type::CookieSession;

/// The request's session for a DBSC layer (the extractors' `take_async`),
/// or why it cannot be had (a server mistake, logged).
pub(crate) async fn session_for_dbsc<T: CookieSession>(
    slot: &SessionSlot<T>,
) -> Result<RequestSession<T>, SessionUnavailable> {
    slot.take_async().await.map_err(SessionUnavailable::logged)
}

/// A DBSC layer found no session slot: it runs outside the session layer of
/// its session type (a server mistake, logged).
pub(crate) fn outside_session<T: CookieSession>() -> SessionUnavailable {
    SessionUnavailable::dbsc_outside_session::<T>().logged()
}

/// Logs a refusal of a DBSC endpoint or of a route that requires a bound
/// session: a warning when only a forger or a thief sends such a request,
/// else at debug level (logged-out browsers, browsers without DBSC).
pub(crate) fn log_refusal<T: CookieSession>(refusal: Option<&DbscRefusal>, path: &str) {
    match refusal {
        Some(refusal) if refusal.is_suspicious() => {
            tracing::warn!(cookie = T::NAME, path, "session-runtime: {refusal}");
        }
        Some(refusal) => tracing::debug!(cookie = T::NAME, path, "session-runtime: {refusal}"),
        None => {}
    }
}
