//! The per-request [`SessionSlot`] and the [`RequestSession`] handles it lends.
//!
//! Several handles of one session type may be alive at once (a guard
//! middleware holding one while the handler extracts another). They follow
//! one rule, "many readers, one writer, changes handed over on drop":
//!
//! - a handle starts as a **reader** of the request's latest published
//!   snapshot (an `Arc`, shared, never copied for reading);
//! - its first mutable access makes it the request's **writer**: it first
//!   adopts the latest snapshot (it has not changed anything yet, so nothing
//!   is lost), then writes in place when no other handle shares that snapshot,
//!   or into its own copy when one does;
//! - dropping the writer (or [`RequestSession::publish`]) publishes its changes:
//!   handles extracted afterwards see them, and the layer stores them once;
//! - what cannot be made correct is refused loudly, never lost silently: a
//!   handle extracted while another one holds unpublished changes is refused
//!   (it could not see them), and a second writer while the first still holds
//!   unpublished changes, or a writer still alive when the response is
//!   produced, turns the response into a `500` without a cookie.
//!
//! docs/frameworks.md ("Guard middleware") explains the semantics for users.

use core::fmt;
use std::sync::{Arc, Mutex};

use http::{HeaderMap, HeaderValue};

use super::cookies::{Cookies, Values};
#[cfg(all(test, feature = "derive"))]
use super::error::FinishErrorKind;
use super::error::{FinishError, SessionUnavailable};
use super::handle::RequestSession;
use super::state::{copy_or_fresh, Phase, Shared, State};
use crate::config::SessionConfig;
use crate::response::ResponseHeaders;
use crate::session::{Session, WriteReason};
use crate::session_type::CookieSession;

/// The session of one request, shared between the layer (or middleware) that
/// created it and the handlers that use it. It sits in the request's
/// extensions; there is one slot per session type, so several session types
/// (different cookie names) coexist in one app.
///
/// Frameworks with an extractor (modules `axum` and `actix`, by feature)
/// never show it to you. With a plain tower/hyper service, get it from the
/// request's extensions and [`take`](Self::take) the session:
///
/// ```
/// # use serde::{Deserialize, Serialize};
/// # use session_runtime::{CookieSession, Key, SessionConfig};
/// # #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
/// # #[session(name = "__Host-visits", version = 1)]
/// # struct Visits { count: u32 }
/// use session_runtime::adapter::SessionSlot;
///
/// fn handle(request: &http::Request<()>) -> String {
///     let slot = request
///         .extensions()
///         .get::<SessionSlot<Visits>>()
///         .expect("SessionLayer<Visits> wraps this service");
///     let mut visits = slot.take().expect("the response is not produced yet");
///     let count = *visits.count() + 1;
///     visits.set_count(count);
///     format!("visit number {count}")
///     // `visits` is dropped here: its changes are published to the slot,
///     // and the layer stores them when the response passes.
/// }
/// # let config = SessionConfig::<Visits>::new(Key::from_secret(&[1; 32]).unwrap()).unwrap();
/// # let mut request = http::Request::new(());
/// # request.extensions_mut().insert(SessionSlot::new(config, Vec::new()));
/// # assert_eq!(handle(&request), "visit number 1");
/// ```
pub struct SessionSlot<T: CookieSession> {
    shared: Arc<Shared<T>>,
}

impl<T: CookieSession> Clone for SessionSlot<T> {
    fn clone(&self) -> Self {
        SessionSlot {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T: CookieSession> fmt::Debug for SessionSlot<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.shared.lock().phase {
            Phase::Unloaded(_) => "not loaded",
            Phase::Published(_) => "loaded",
            Phase::Writing => "being changed by a handler",
            Phase::Finished => "finished",
        };
        f.debug_struct("SessionSlot")
            .field("cookie", &T::NAME)
            .field("state", &state)
            .finish()
    }
}

impl<T: CookieSession> SessionSlot<T> {
    /// A slot for one request, holding that request's `Cookie` header values
    /// (e.g. `request.headers().get_all(COOKIE).iter().cloned()`, or a
    /// `Vec`); nothing is decoded until the session is first used. The
    /// adapters create slots; call this only when writing an adapter of your
    /// own.
    pub fn new(
        config: SessionConfig<T>,
        cookie_headers: impl IntoIterator<Item = HeaderValue>,
    ) -> Self {
        Self::with_cookies(config, Cookies::Http(Values::collect(cookie_headers)))
    }

    /// [`new`](Self::new) with the values as the adapter holds them.
    pub(crate) fn with_cookies(config: SessionConfig<T>, cookies: Cookies) -> Self {
        SessionSlot {
            shared: Arc::new(Shared {
                config,
                state: Mutex::new(State {
                    phase: Phase::Unloaded(cookies),
                    writer: None,
                    next_id: 0,
                    failure: None,
                }),
            }),
        }
    }

    /// The configuration this request's session is loaded and stored with.
    pub fn config(&self) -> &SessionConfig<T> {
        &self.shared.config
    }

    /// Lends the session out, decoding the cookie on first use. Dropping the
    /// returned handle publishes its changes, so later handles see them and
    /// the layer stores them when the response passes.
    ///
    /// Several handles may be alive at once (see [`RequestSession`]). This
    /// fails when another handle holds changes it has not published yet (this
    /// one could not see them), or when the response was already produced.
    ///
    /// With an asynchronous revocation check configured
    /// ([`SessionConfigBuilder::revocation_check_async`](crate::SessionConfigBuilder::revocation_check_async)),
    /// the first use must await it: this then fails with
    /// [`UnavailableKind::NeedsAsyncLoad`](crate::adapter::UnavailableKind::NeedsAsyncLoad)
    /// until [`take_async`](Self::take_async) has loaded the session (the
    /// extractors and the CSRF layers always use `take_async`).
    pub fn take(&self) -> Result<RequestSession<T>, SessionUnavailable> {
        let mut state = self.shared.lock();
        let snapshot = match &state.phase {
            Phase::Unloaded(_) if self.shared.config.has_async_revocation() => {
                // Loading without the awaited check would let a revoked
                // session through: fail closed.
                return Err(SessionUnavailable::needs_async_load::<T>());
            }
            Phase::Unloaded(cookies) => {
                let session = self.shared.config.load_cookies(cookies.bytes());
                let snapshot = Arc::new(session);
                state.phase = Phase::Published(Arc::clone(&snapshot));
                snapshot
            }
            Phase::Published(snapshot) => Arc::clone(snapshot),
            Phase::Writing => {
                // The request fails: storing the other handle's changes while
                // this handler errors out would be a half-done request.
                state
                    .failure
                    .get_or_insert_with(FinishError::refused_handle::<T>);
                return Err(SessionUnavailable::already_taken::<T>());
            }
            Phase::Finished => return Err(SessionUnavailable::finished::<T>()),
        };
        let id = state.next_id;
        state.next_id += 1;
        Ok(RequestSession::new(snapshot, id, Arc::clone(&self.shared)))
    }

    /// [`take`](Self::take), awaiting the configured asynchronous revocation
    /// check ([`SessionConfig::load_cookies_async`]) when this is
    /// the request's first use of the session. Without such a check it is
    /// the same as `take`. The extractors and the CSRF layers call this.
    pub async fn take_async(&self) -> Result<RequestSession<T>, SessionUnavailable> {
        if !self.shared.config.has_async_revocation() {
            return self.take();
        }
        let cookies = match &self.shared.lock().phase {
            Phase::Unloaded(cookies) => Some(cookies.clone()),
            _ => None,
        };
        if let Some(cookies) = cookies {
            // The lock is not held across the await; if another handle loaded
            // the session meanwhile, its result stands and this one is dropped.
            let session = self.shared.config.load_cookies_async(cookies.bytes()).await;
            let mut state = self.shared.lock();
            if matches!(state.phase, Phase::Unloaded(_)) {
                state.phase = Phase::Published(Arc::new(session));
            }
        }
        self.take()
    }

    /// Runs `f` on the session (see [`take`](Self::take)) and publishes it.
    pub fn with<R>(&self, f: impl FnOnce(&mut Session<T>) -> R) -> Result<R, SessionUnavailable> {
        let mut session = self.take()?;
        Ok(f(&mut session))
    }

    /// Ends the request: returns the session to store, or `None` when it was
    /// never used (nothing to send), a handle is still changing it (kept past
    /// the response), or the handles conflicted. Prefer
    /// [`finish_into`](Self::finish_into), which reports the last two as errors.
    pub fn finish(&self) -> Option<Session<T>> {
        let mut state = self.shared.lock();
        let phase = core::mem::replace(&mut state.phase, Phase::Finished);
        if state.failure.is_some() {
            return None;
        }
        match phase {
            Phase::Published(snapshot) => Some(
                Arc::try_unwrap(snapshot).unwrap_or_else(|shared| copy_or_fresh(&shared, None)),
            ),
            Phase::Unloaded(_) | Phase::Writing | Phase::Finished => None,
        }
    }

    /// Ends the request and appends the session's `Set-Cookie` to `headers`
    /// when one is due (other `Set-Cookie` headers are kept): the one path
    /// every adapter takes from "the handler is done" to the response.
    ///
    /// An error means the response must not pretend the session was saved:
    /// the adapters replace it with `500 Internal Server Error` and no cookie,
    /// and log the error (through `tracing`, which also reaches `log`
    /// subscribers when its `log` feature is on, as under actix-web).
    pub fn finish_into(&self, headers: &mut HeaderMap) -> Result<Option<WriteReason>, FinishError> {
        self.finish_into_any(headers)
    }

    /// [`finish_into`](Self::finish_into) any framework's response headers
    /// (the actix-web middleware passes actix-web's own map).
    pub(crate) fn finish_into_any(
        &self,
        headers: &mut impl ResponseHeaders,
    ) -> Result<Option<WriteReason>, FinishError> {
        let (phase, failure) = {
            let mut state = self.shared.lock();
            (
                core::mem::replace(&mut state.phase, Phase::Finished),
                state.failure.take(),
            )
        };
        let result = match (failure, phase) {
            (Some(failure), _) => Err(failure),
            (None, Phase::Published(session)) => self
                .shared
                .config
                .store_into(&session, headers)
                .map_err(FinishError::store),
            (None, Phase::Writing) => Err(FinishError::still_writing::<T>()),
            (None, Phase::Unloaded(_) | Phase::Finished) => Ok(None),
        };
        if let Err(err) = &result {
            tracing::error!(cookie = T::NAME, "{err}");
        }
        result
    }
}

/// What a CSRF layer does to get the session: as the extractors' `extract`, but a missing
/// slot means the CSRF layer runs before (outside) the session layer, or
/// there is none, and the error says so.
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) async fn extract_for_csrf<T: CookieSession>(
    slot: Option<SessionSlot<T>>,
) -> Result<RequestSession<T>, SessionUnavailable> {
    match slot {
        Some(slot) => slot.take_async().await.map_err(SessionUnavailable::logged),
        None => Err(SessionUnavailable::csrf_outside_session::<T>().logged()),
    }
}

#[cfg(all(test, feature = "derive"))]
mod tests {
    use super::*;
    use crate::key::Key;
    use crate::session::LoadStatus;

    #[derive(
        crate::CookieSession, serde::Serialize, serde::Deserialize, Default, Debug, PartialEq,
    )]
    #[session(name = "__Host-unit", version = 1, crate = "crate")]
    struct Unit {
        n: u32,
    }

    fn config() -> SessionConfig<Unit> {
        SessionConfig::new(Key::from_secret(&[5; 32]).unwrap()).unwrap()
    }

    #[test]
    fn readers_share_one_writer_publishes_and_stale_writes_are_refused() {
        let slot = SessionSlot::new(config(), Vec::new());
        let guard = slot.take().unwrap();
        let mut handler = slot.take().unwrap();
        assert!(
            Arc::ptr_eq(
                guard.snapshot.as_ref().unwrap(),
                handler.snapshot.as_ref().unwrap()
            ),
            "readers share"
        );
        handler.set_n(1); // copies: the guard still shares the snapshot
        assert_eq!((guard.n, handler.n), (0, 1));
        assert_eq!(
            slot.take().unwrap_err().kind(),
            crate::adapter::UnavailableKind::AlreadyTaken
        );
        drop(handler);
        let mut guard = guard;
        let seen = guard.n; // 0: read before the handler published 1
        guard.set_n(seen + 5);
        drop(guard);
        let mut headers = HeaderMap::new();
        let err = slot.finish_into(&mut headers).unwrap_err();
        // The refused take is the first problem recorded.
        assert_eq!(*err.kind(), FinishErrorKind::RefusedHandle);
        assert!(headers.is_empty());
    }

    #[test]
    fn a_writer_alive_at_the_response_fails_the_request() {
        let slot = SessionSlot::new(config(), Vec::new());
        let mut kept = slot.take().unwrap();
        kept.set_n(1);
        let mut headers = HeaderMap::new();
        let err = slot.finish_into(&mut headers).unwrap_err();
        assert_eq!(*err.kind(), FinishErrorKind::StillWriting);
        assert!(headers.is_empty());
        kept.set_n(2); // logged as lost when dropped; nowhere to store it
        drop(kept);
        assert_eq!(
            slot.take().unwrap_err().kind(),
            crate::adapter::UnavailableKind::Finished
        );
    }

    #[test]
    fn refresh_then_write_builds_on_the_published_state() {
        let slot = SessionSlot::new(config(), Vec::new());
        let mut guard = slot.take().unwrap();
        let _ = guard.n; // the guard reads
        {
            let mut handler = slot.take().unwrap();
            handler.set_n(1);
        }
        RequestSession::refresh(&mut guard);
        let next = guard.n + 1;
        guard.set_n(next);
        drop(guard);
        let mut headers = HeaderMap::new();
        assert_eq!(
            slot.finish_into(&mut headers),
            Ok(Some(WriteReason::Changed))
        );
        assert_eq!(slot.finish().map(|s| s.n), None, "finished once");
        let pair = headers[http::header::SET_COOKIE].to_str().unwrap();
        let pair = pair.split(';').next().unwrap();
        assert_eq!(config().load_cookies([pair.as_bytes()]).n, 2);
    }

    /// With an awaited revocation check, the synchronous `take` refuses to
    /// load (it cannot run the check), and `take_async` runs it exactly once.
    #[test]
    fn an_async_revocation_check_is_awaited_before_first_use() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let revoking = SessionConfig::<Unit>::builder(Key::from_secret(&[5; 32]).unwrap())
            .revocation_check_async(move |session, _| {
                counted.fetch_add(1, Ordering::SeqCst);
                let keep = session.n != 7;
                async move { keep }
            })
            .build()
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        for (n, expect_valid) in [(3, true), (7, false)] {
            let mut session = config().load(&HeaderMap::new());
            session.set_n(n);
            let value = config().set_cookie(&session).unwrap().unwrap();
            let pair = value.split(';').next().unwrap();
            let header = HeaderValue::from_str(pair).unwrap();
            let slot = SessionSlot::new(revoking.clone(), vec![header]);
            assert_eq!(
                slot.take().map(|_| ()).unwrap_err().kind(),
                crate::adapters::error::UnavailableKind::NeedsAsyncLoad
            );
            let before = calls.load(Ordering::SeqCst);
            let handle = runtime.block_on(slot.take_async()).unwrap();
            assert_eq!(calls.load(Ordering::SeqCst), before + 1, "n = {n}");
            if expect_valid {
                assert_eq!(*handle.status(), LoadStatus::Valid);
                assert_eq!(handle.n, n);
            } else {
                assert_eq!(
                    *handle.status(),
                    LoadStatus::Rejected(crate::Rejection::Revoked)
                );
                assert_eq!(handle.n, 0);
            }
            drop(handle);
            // Loaded once: later uses, sync or not, do not check again.
            drop(slot.take().unwrap());
            drop(runtime.block_on(slot.take_async()).unwrap());
            assert_eq!(calls.load(Ordering::SeqCst), before + 1, "n = {n}");
        }
    }
}
