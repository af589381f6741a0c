//! [`RequestSession`]: a handle on the request's session, lent by a
//! [`SessionSlot`](super::SessionSlot); the rules several handles of one
//! request follow are in `slot.rs`.

use core::fmt;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::error::FinishError;
use super::state::{copy_or_fresh, Phase, Shared};
use crate::config::SessionConfig;
use crate::session::Session;
use crate::session_type::CookieSession;

/// The session of the current request, lent by the layer or middleware: it
/// dereferences to [`Session<T>`], and through it to your struct, so the
/// derive's accessors, [`renew`](Session::renew), [`clear`](Session::clear) and
/// [`status`](Session::status) all work on it. Dropping it publishes its
/// changes; the response then carries a `Set-Cookie` if one is due.
///
/// It is the handler argument for both axum (module `axum`) and actix-web
/// (module `actix`).
///
/// # Several handles in one request (guard middleware)
///
/// A middleware may hold a handle while it calls the handler, which extracts
/// its own; both see the same session, and the changes of both are stored
/// once. Reading never blocks and never copies. The first mutable access of a
/// handle (a setter, `get_mut`, `renew`, `clear`, ...) makes it the writer:
/// it picks up the latest published state first, so a guard that changes
/// the session after the handler ran builds on the handler's changes.
/// Changes become visible to other handles when the writer is dropped or
/// [`publish`](Self::publish)ed.
///
/// Limits, each reported as an error rather than losing data:
/// - a handle extracted while another holds unpublished changes is refused
///   (`500`, [`UnavailableKind::AlreadyTaken`](crate::adapter::UnavailableKind)): a
///   middleware that changes the session must `publish` (or drop) it before
///   calling the next service;
/// - two handles changing the session at once, or a handle still changing it
///   when the response is produced (kept past the handler), fail the request
///   with a `500` and no cookie;
/// - a reader's view is the state when it last looked: after the handler ran,
///   a guard's handle shows the session as it was before, until the guard
///   changes it (which picks up the latest state) or extracts a new handle.
pub struct RequestSession<T: CookieSession> {
    /// `None` only while the handle is dropped (see `Drop`).
    pub(super) snapshot: Option<Arc<Session<T>>>,
    id: u64,
    /// Set by the first mutable access; the snapshot is then this handle's own.
    writing: bool,
    /// Whether the snapshot was read: a handle that read a snapshot that has
    /// since been replaced may have decided on stale data, so it cannot write.
    has_read: AtomicBool,
    slot: Arc<Shared<T>>,
}

impl<T: CookieSession> RequestSession<T> {
    /// A reader of `snapshot`, the `id`-th handle of the request.
    pub(super) fn new(snapshot: Arc<Session<T>>, id: u64, slot: Arc<Shared<T>>) -> Self {
        RequestSession {
            snapshot: Some(snapshot),
            id,
            writing: false,
            has_read: AtomicBool::new(false),
            slot,
        }
    }

    /// The handle's snapshot (present until the handle is dropped).
    fn view(&self) -> &Arc<Session<T>> {
        self.snapshot
            .as_ref()
            .expect("a handle holds its snapshot until it is dropped")
    }

    /// The configuration this session is loaded and stored with (keys,
    /// timeouts, attributes).
    pub fn config(&self) -> &SessionConfig<T> {
        &self.slot.config
    }

    /// Publishes this handle's changes now, without dropping it: handles
    /// extracted afterwards (the handler behind a guard middleware) see them.
    /// The handle stays usable; changing it again makes it the writer again.
    /// Does nothing for a handle that has not changed anything.
    ///
    /// An associated function (`RequestSession::publish(&mut session)`), so it
    /// never shadows an accessor of your struct.
    pub fn publish(this: &mut Self) {
        this.publish_with(|snapshot| snapshot.clone());
    }

    /// [`publish`](Self::publish), with the snapshot the slot gets from this
    /// handle's: a clone for a handle that stays usable, the handle's own
    /// reference when it is dropped (an atomic increment and decrement
    /// fewer, see `start_writing`).
    fn publish_with(
        &mut self,
        hand_over: impl FnOnce(&mut Option<Arc<Session<T>>>) -> Option<Arc<Session<T>>>,
    ) {
        if !self.writing {
            return;
        }
        self.writing = false;
        let mut state = self.slot.lock();
        // Not registered: a conflicting writer, already reported by `finish_into`.
        let registered = state.writer == Some(self.id);
        if registered {
            state.writer = None;
        }
        match state.phase {
            Phase::Writing if registered => {
                if let Some(snapshot) = hand_over(&mut self.snapshot) {
                    state.phase = Phase::Published(snapshot);
                }
            }
            Phase::Finished => tracing::error!(
                cookie = T::NAME,
                "session-runtime: RequestSession<{}> was changed after the response was \
                 produced; those changes are lost (keep the handle inside the handler)",
                super::error::short_type_name::<T>()
            ),
            _ => {}
        }
    }

    /// Moves a handle without unpublished changes to the latest published
    /// state, e.g. in a guard after the handler ran: reads then show the
    /// handler's changes, and a later change builds on them. Does nothing
    /// for a handle that is changing the session (it already has the latest
    /// state plus its own changes), and for any handle while another one is
    /// changing the session: the handle keeps what it had until that writer
    /// publishes (docs/lifecycle.md, "The web adapters").
    ///
    /// An associated function (`RequestSession::refresh(&mut session)`), so it
    /// never shadows an accessor of your struct.
    pub fn refresh(this: &mut Self) {
        if this.writing {
            return;
        }
        let state = this.slot.lock();
        if let Phase::Published(latest) = &state.phase {
            this.snapshot = Some(Arc::clone(latest));
            *this.has_read.get_mut() = false;
        }
    }

    /// Makes this handle the request's writer, with a snapshot only it holds.
    ///
    /// Atomic operations are most of what a handle costs (BENCHMARKS.md,
    /// "Where the remaining time goes"): the published snapshot is moved out of the slot
    /// rather than cloned and dropped, and whether other handles share it is
    /// read from its count (no handle ever holds a `Weak`, and under the lock,
    /// with the slot's reference gone, only a handle that already holds the
    /// snapshot could add one) instead of by `Arc::get_mut`, which `DerefMut`
    /// calls anyway.
    fn start_writing(&mut self) {
        self.writing = true;
        let mut state = self.slot.lock();
        let registered = match (&state.phase, state.writer) {
            (Phase::Published(latest), None)
                if Arc::ptr_eq(latest, self.view()) || !*self.has_read.get_mut() =>
            {
                // Nothing was changed or read here since the snapshot, so
                // adopting the latest state loses nothing.
                if let Phase::Published(latest) =
                    core::mem::replace(&mut state.phase, Phase::Writing)
                {
                    self.snapshot = Some(latest);
                }
                state.writer = Some(self.id);
                true
            }
            (Phase::Published(_), None) => {
                state
                    .failure
                    .get_or_insert_with(FinishError::stale_writer::<T>);
                false
            }
            (Phase::Finished, _) => false, // reported when published or dropped
            (_, _) => {
                state
                    .failure
                    .get_or_insert_with(FinishError::two_writers::<T>);
                false
            }
        };
        if Arc::strong_count(self.view()) != 1 {
            // Other handles share this snapshot: write into a copy of it.
            let copy = copy_or_fresh(self.view(), Some(&mut state.failure));
            self.snapshot = Some(Arc::new(copy));
        }
        if !registered {
            // Its private copy keeps `DerefMut` sound; it is never stored.
            self.id = u64::MAX;
        }
    }
}

impl<T: CookieSession> Deref for RequestSession<T> {
    type Target = Session<T>;

    fn deref(&self) -> &Session<T> {
        // A relaxed flag: only this handle reads it, under `&mut self`.
        self.has_read.store(true, Ordering::Relaxed);
        self.view()
    }
}

impl<T: CookieSession> DerefMut for RequestSession<T> {
    fn deref_mut(&mut self) -> &mut Session<T> {
        if !self.writing {
            self.start_writing();
        }
        // `start_writing` left this handle the only holder of its snapshot:
        // the slot let go of it, and no other handle can clone it.
        self.snapshot
            .as_mut()
            .and_then(Arc::get_mut)
            .expect("a writing handle owns its snapshot")
    }
}

impl<T: CookieSession> Drop for RequestSession<T> {
    fn drop(&mut self) {
        self.publish_with(Option::take);
    }
}

impl<T: CookieSession + fmt::Debug> fmt::Debug for RequestSession<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self.view(), f)
    }
}
