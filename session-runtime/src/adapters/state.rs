//! The private state one request's `SessionSlot` and its `RequestSession`
//! handles share: the phase of the session (not loaded, published, being
//! changed, finished), the writer, and the first failure.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::cookies::Cookies;
use super::error::FinishError;
use crate::config::SessionConfig;
use crate::session::Session;
use crate::session_type::CookieSession;

pub(super) struct Shared<T: CookieSession> {
    pub(super) config: SessionConfig<T>,
    pub(super) state: Mutex<State<T>>,
}

pub(super) struct State<T> {
    pub(super) phase: Phase<T>,
    /// The handle currently holding unpublished changes.
    pub(super) writer: Option<u64>,
    /// Ids for handles, to recognise the writer.
    pub(super) next_id: u64,
    /// The first problem that makes the stored session unreliable; reported
    /// by [`SessionSlot::finish_into`].
    pub(super) failure: Option<FinishError>,
}

pub(super) enum Phase<T> {
    /// Not decoded yet: the request's `Cookie` header values.
    Unloaded(Cookies),
    /// The latest published session (handles may share it).
    Published(Arc<Session<T>>),
    /// The writer detached the session to change it in place.
    Writing,
    /// The response was produced.
    Finished,
}

impl<T: CookieSession> Shared<T> {
    pub(super) fn lock(&self) -> MutexGuard<'_, State<T>> {
        // No critical section below panics; a poisoned lock could only come
        // from a panic elsewhere and leaves a consistent state behind.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An exact copy of `session` ([`Session::duplicate`]); if the data does not
/// survive its own codec (a hand-written serde impl that cannot read what it
/// wrote), a fresh session is returned and the failure recorded, so the
/// request fails loudly.
pub(super) fn copy_or_fresh<T: CookieSession>(
    session: &Session<T>,
    failure: Option<&mut Option<FinishError>>,
) -> Session<T> {
    match session.duplicate() {
        Ok(copy) => copy,
        Err(reason) => {
            let err = FinishError::copy_failed::<T>(&reason);
            tracing::error!(cookie = T::NAME, "{err}");
            if let Some(failure) = failure {
                failure.get_or_insert(err);
            }
            Session::new()
        }
    }
}
