//! What the web adapters share: the per-request [`SessionSlot`] the layer or
//! middleware puts into the request's extensions, and the [`RequestSession`]
//! handle that extractors lend to handlers.
//!
//! The adapters are thin: loading is [`SessionConfig::load_from_cookie_headers`]
//! and storing is [`SessionConfig::set_cookie`], exactly as with the `http`-level
//! API. What they add is only the plumbing between the two ends of a request:
//!
//! 1. the layer (tower) or middleware (actix-web) creates a [`SessionSlot`]
//!    holding the request's `Cookie` header values and puts it into the
//!    request's extensions;
//! 2. the first extractor that asks for the session decodes it (so routes that
//!    never use the session cost no MAC check and never send `Set-Cookie`) and
//!    lends it out as a [`RequestSession`]; dropping the handle gives it back;
//! 3. when the response comes back, the layer takes the session from the slot
//!    and appends a `Set-Cookie` if, and only if, one is due.

use core::fmt;
use core::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http::HeaderValue;

use crate::{CookieSession, Session, SessionConfig};

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "tower")]
pub mod tower;

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
/// use session_runtime::SessionSlot;
///
/// fn handle(request: &http::Request<()>) -> String {
///     let slot = request
///         .extensions()
///         .get::<SessionSlot<Visits>>()
///         .expect("SessionLayer<Visits> wraps this service");
///     let mut visits = slot.take().expect("first use in this request");
///     let count = *visits.count() + 1;
///     visits.set_count(count);
///     format!("visit number {count}")
///     // `visits` is dropped here: the layer stores it when the response passes.
/// }
/// # let config = SessionConfig::<Visits>::new(Key::from_secret(&[1; 32]).unwrap()).unwrap();
/// # let mut request = http::Request::new(());
/// # request.extensions_mut().insert(SessionSlot::new(config, Vec::new()));
/// # assert_eq!(handle(&request), "visit number 1");
/// ```
pub struct SessionSlot<T: CookieSession> {
    shared: Arc<Shared<T>>,
}

struct Shared<T: CookieSession> {
    config: SessionConfig<T>,
    state: Mutex<State<T>>,
}

enum State<T> {
    /// Not decoded yet: the request's `Cookie` header values.
    Unloaded(Vec<HeaderValue>),
    /// Decoded, and not lent out right now.
    Ready(Session<T>),
    /// Lent to a [`RequestSession`].
    Lent,
    /// The response was produced; the session was taken for storing.
    Finished,
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
        let state = match &*self.state() {
            State::Unloaded(_) => "not loaded",
            State::Ready(_) => "loaded",
            State::Lent => "lent to a handler",
            State::Finished => "finished",
        };
        f.debug_struct("SessionSlot")
            .field("cookie", &T::NAME)
            .field("state", &state)
            .finish()
    }
}

impl<T: CookieSession> SessionSlot<T> {
    /// A slot for one request, holding that request's `Cookie` header values;
    /// nothing is decoded until the session is first used. The adapters create
    /// slots; call this only when writing an adapter of your own.
    pub fn new(config: SessionConfig<T>, cookie_headers: Vec<HeaderValue>) -> Self {
        SessionSlot {
            shared: Arc::new(Shared {
                config,
                state: Mutex::new(State::Unloaded(cookie_headers)),
            }),
        }
    }

    /// The configuration this request's session is loaded and stored with.
    pub fn config(&self) -> &SessionConfig<T> {
        &self.shared.config
    }

    fn state(&self) -> MutexGuard<'_, State<T>> {
        // The critical sections below never panic; a poisoned lock can only
        // come from a panic elsewhere and leaves a consistent state behind.
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Lends the session out, decoding the cookie on first use. Dropping the
    /// returned handle gives the session back, so it is stored when the
    /// response passes the layer.
    ///
    /// Fails when the session is already lent (two extractors of the same
    /// session type alive at once in one request) or the response was already
    /// produced.
    pub fn take(&self) -> Result<RequestSession<T>, SessionUnavailable> {
        let mut state = self.state();
        let session = match core::mem::replace(&mut *state, State::Lent) {
            State::Unloaded(headers) => self
                .shared
                .config
                .load_from_cookie_headers(headers.iter().map(HeaderValue::as_bytes)),
            State::Ready(session) => session,
            previous @ (State::Lent | State::Finished) => {
                let finished = matches!(previous, State::Finished);
                *state = previous;
                return Err(if finished {
                    SessionUnavailable::finished::<T>()
                } else {
                    SessionUnavailable::already_taken::<T>()
                });
            }
        };
        Ok(RequestSession {
            session: Some(session),
            slot: Arc::clone(&self.shared),
        })
    }

    /// Runs `f` on the session (see [`take`](Self::take)) and gives it back.
    pub fn with<R>(&self, f: impl FnOnce(&mut Session<T>) -> R) -> Result<R, SessionUnavailable> {
        let mut session = self.take()?;
        Ok(f(&mut session))
    }

    /// Ends the request: returns the session to store, or `None` when it was
    /// never used (nothing to send) or is still lent out (a handler kept its
    /// [`RequestSession`] past the response; its changes are lost).
    pub fn finish(&self) -> Option<Session<T>> {
        match core::mem::replace(&mut *self.state(), State::Finished) {
            State::Ready(session) => Some(session),
            State::Unloaded(_) | State::Lent | State::Finished => None,
        }
    }
}

/// The session of the current request, lent by the layer or middleware: it
/// dereferences to [`Session<T>`], and through it to your struct, so the
/// derive's accessors, [`renew`](Session::renew), [`clear`](Session::clear) and
/// [`status`](Session::status) all work on it. Dropping it hands the session
/// back; the response then carries a `Set-Cookie` if one is due.
///
/// It is the handler argument for both axum (module `axum`) and actix-web
/// (module `actix`). Keep it only for the duration of the handler: changes
/// made after the response has been produced are lost.
pub struct RequestSession<T: CookieSession> {
    /// `Some` until dropped.
    session: Option<Session<T>>,
    slot: Arc<Shared<T>>,
}

impl<T: CookieSession> RequestSession<T> {
    /// The configuration this session is loaded and stored with (keys,
    /// timeouts, attributes).
    pub fn config(&self) -> &SessionConfig<T> {
        &self.slot.config
    }

    fn session(&self) -> &Session<T> {
        self.session
            .as_ref()
            .expect("RequestSession holds its session until dropped")
    }
}

impl<T: CookieSession> Deref for RequestSession<T> {
    type Target = Session<T>;

    fn deref(&self) -> &Session<T> {
        self.session()
    }
}

impl<T: CookieSession> DerefMut for RequestSession<T> {
    fn deref_mut(&mut self) -> &mut Session<T> {
        self.session
            .as_mut()
            .expect("RequestSession holds its session until dropped")
    }
}

impl<T: CookieSession> Drop for RequestSession<T> {
    fn drop(&mut self) {
        let Some(session) = self.session.take() else {
            return;
        };
        let mut state = self
            .slot
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // After `finish` the response is gone: there is nowhere to write to.
        if matches!(*state, State::Lent) {
            *state = State::Ready(session);
        }
    }
}

impl<T: CookieSession + fmt::Debug> fmt::Debug for RequestSession<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.session(), f)
    }
}

/// Why a handler could not get its [`RequestSession`]. These are server
/// mistakes, never the client's, so the adapters answer them with
/// `500 Internal Server Error` and a body that says what to fix (a cookie that
/// is missing, forged or expired is *not* an error: it gives a fresh session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUnavailable {
    kind: UnavailableKind,
    session_type: &'static str,
    cookie: &'static str,
}

/// Which of the [`SessionUnavailable`] cases happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnavailableKind {
    /// No session layer or middleware for this session type wraps the route.
    MissingLayer,
    /// The session is already lent to another extractor in this request.
    AlreadyTaken,
    /// The response for this request was already produced.
    Finished,
}

impl SessionUnavailable {
    pub(crate) fn missing_layer<T: CookieSession>() -> Self {
        Self::of::<T>(UnavailableKind::MissingLayer)
    }

    fn already_taken<T: CookieSession>() -> Self {
        Self::of::<T>(UnavailableKind::AlreadyTaken)
    }

    fn finished<T: CookieSession>() -> Self {
        Self::of::<T>(UnavailableKind::Finished)
    }

    fn of<T: CookieSession>(kind: UnavailableKind) -> Self {
        SessionUnavailable {
            kind,
            session_type: short_type_name::<T>(),
            cookie: T::NAME,
        }
    }

    /// Which case this is.
    pub fn kind(&self) -> UnavailableKind {
        self.kind
    }

    /// The session type's name, e.g. `"AppSession"`.
    pub fn session_type(&self) -> &'static str {
        self.session_type
    }
}

impl fmt::Display for SessionUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ty = self.session_type;
        let cookie = self.cookie;
        match self.kind {
            UnavailableKind::MissingLayer => write!(
                f,
                "session-runtime: a handler asked for RequestSession<{ty}> (cookie `{cookie}`), \
                 but no session layer for {ty} wraps this route. \
                 axum: add `.layer(session_runtime::tower::SessionLayer::new(config))` to the \
                 Router after the routes that use the session (a layer only wraps the routes \
                 added before it). \
                 actix-web: add `.wrap(session_runtime::actix::SessionMiddleware::new(config))` \
                 to the App or scope."
            ),
            UnavailableKind::AlreadyTaken => write!(
                f,
                "session-runtime: RequestSession<{ty}> (cookie `{cookie}`) is already in use in \
                 this request: two extractors of the same session type are alive at once \
                 (e.g. a middleware still holds it while calling the handler). Drop the first \
                 one before the second is extracted."
            ),
            UnavailableKind::Finished => write!(
                f,
                "session-runtime: RequestSession<{ty}> (cookie `{cookie}`) was requested after \
                 the response was produced; changes could no longer be sent."
            ),
        }
    }
}

impl std::error::Error for SessionUnavailable {}

/// `my_app::AppSession` → `AppSession`, for messages.
fn short_type_name<T>() -> &'static str {
    let full = core::any::type_name::<T>();
    let path_end = full.find('<').unwrap_or(full.len());
    match full[..path_end].rfind("::") {
        Some(at) => &full[at + 2..],
        None => full,
    }
}

/// The message a store failure is answered with. It only happens with a
/// hand-written `MaxEncodedLen`/`CookieSession` impl that understates its size
/// (the derive proves the bound): the cookie is not sent, because the browser
/// would drop it and keep the old session, and the request fails instead of
/// pretending the session was saved.
#[cfg(any(feature = "tower", feature = "actix"))]
pub(crate) fn store_failure_body(err: &crate::StoreError) -> String {
    format!("session-runtime: the session could not be stored: {err}")
}
