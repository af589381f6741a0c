//! What can go wrong between a request and its `Set-Cookie`: all server
//! mistakes, answered with `500 Internal Server Error` and logged.

use core::fmt;

use crate::session_type::CookieSession;

use crate::store::StoreError;

/// `my_app::AppSession` → `AppSession`, for messages.
pub(crate) fn short_type_name<T>() -> &'static str {
    let full = core::any::type_name::<T>();
    let path_end = full.find('<').unwrap_or(full.len());
    match full[..path_end].rfind("::") {
        Some(at) => &full[at + 2..],
        None => full,
    }
}

/// Why a handler could not get its [`RequestSession`](crate::RequestSession).
/// These are server mistakes, never the client's, so the adapters answer them
/// with `500 Internal Server Error`, a body that says what to fix, and an
/// error log line (a cookie that is missing, forged or expired is *not* an
/// error: it gives a fresh session).
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
    /// A CSRF layer or middleware found no session: it runs before (outside)
    /// the session layer of its session type, or there is none.
    CsrfOutsideSession,
    /// A DBSC layer or middleware (the endpoints, or a route that requires a
    /// bound session) found no session: it runs before (outside) the session
    /// layer of its session type, or there is none.
    DbscOutsideSession,
    /// Another handle of this session (e.g. in a middleware that calls the
    /// handler) holds changes it has not published yet.
    AlreadyTaken,
    /// The response for this request was already produced.
    Finished,
    /// The configuration has an asynchronous revocation check, and the
    /// session was first asked for through the synchronous
    /// [`SessionSlot::take`](crate::adapter::SessionSlot::take), which cannot await it.
    NeedsAsyncLoad,
}

impl SessionUnavailable {
    // With `tower` alone there is no extractor or CSRF layer to report these.
    #[cfg(any(feature = "axum", feature = "actix"))]
    pub(crate) fn missing_layer<T: CookieSession>() -> Self {
        Self::of::<T>(UnavailableKind::MissingLayer)
    }

    #[cfg(any(feature = "axum", feature = "actix"))]
    pub(crate) fn csrf_outside_session<T: CookieSession>() -> Self {
        Self::of::<T>(UnavailableKind::CsrfOutsideSession)
    }

    #[cfg(all(feature = "dbsc", any(feature = "tower", feature = "actix")))]
    pub(crate) fn dbsc_outside_session<T: CookieSession>() -> Self {
        Self::of::<T>(UnavailableKind::DbscOutsideSession)
    }

    pub(crate) fn already_taken<T: CookieSession>() -> Self {
        Self::of::<T>(UnavailableKind::AlreadyTaken)
    }

    pub(crate) fn finished<T: CookieSession>() -> Self {
        Self::of::<T>(UnavailableKind::Finished)
    }

    pub(crate) fn needs_async_load<T: CookieSession>() -> Self {
        Self::of::<T>(UnavailableKind::NeedsAsyncLoad)
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

    /// Logs the error on the server (the client gets the same text in a 500).
    #[cfg(any(
        feature = "axum",
        feature = "actix",
        all(feature = "tower", feature = "dbsc")
    ))]
    pub(crate) fn logged(self) -> Self {
        tracing::error!(cookie = self.cookie, "{self}");
        self
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
                 axum: add `.layer(session_runtime::axum::SessionLayer::new(config))` to the \
                 Router after the routes that use the session (a layer only wraps the routes \
                 added before it). \
                 actix-web: add `.wrap(session_runtime::actix::SessionMiddleware::new(config))` \
                 to the App or scope."
            ),
            UnavailableKind::CsrfOutsideSession => write!(
                f,
                "session-runtime: the CSRF check for {ty} (cookie `{cookie}`) found no session: \
                 it must run inside the session layer of {ty}, which loads the session first. \
                 axum: add `.layer(CsrfLayer::<{ty}>::new())` *before* \
                 `.layer(SessionLayer::new(config))` (a later layer wraps the earlier ones), or \
                 use the one layer `SessionLayer::new(config).with_csrf()`. \
                 actix-web: `.wrap(CsrfMiddleware::<{ty}>::new())` *before* \
                 `.wrap(SessionMiddleware::new(config))` (the last `wrap` runs first), or \
                 `.wrap(SessionMiddleware::new(config).with_csrf())`."
            ),
            UnavailableKind::DbscOutsideSession => write!(
                f,
                "session-runtime: a DBSC layer for {ty} (cookie `{cookie}`) found no session: it \
                 must run inside the session layer of {ty}, which loads the session first. \
                 axum: add `.layer(DbscLayer::<{ty}>::new())` (or `.route_layer(\
                 RequireDeviceBound::<{ty}>::new())`) *before* `.layer(SessionLayer::new(config))`. \
                 actix-web: `.wrap(DbscMiddleware::<{ty}>::new())` (or `RequireDeviceBound`) \
                 *before* `.wrap(SessionMiddleware::new(config))` (the last `wrap` runs first)."
            ),
            UnavailableKind::AlreadyTaken => write!(
                f,
                "session-runtime: RequestSession<{ty}> (cookie `{cookie}`) is already in use in \
                 this request: another handle (e.g. a middleware that calls this handler) has \
                 changed the session and still holds those changes, so this one could not see \
                 them. In that middleware, hand them over before calling the next service: \
                 `RequestSession::publish(&mut session);` (or `drop(session);`)."
            ),
            UnavailableKind::Finished => write!(
                f,
                "session-runtime: RequestSession<{ty}> (cookie `{cookie}`) was requested after \
                 the response was produced; changes could no longer be sent."
            ),
            UnavailableKind::NeedsAsyncLoad => write!(
                f,
                "session-runtime: RequestSession<{ty}> (cookie `{cookie}`) was first asked for \
                 with the synchronous `SessionSlot::take`, but the config has an asynchronous \
                 revocation check (`revocation_check_async`), which must be awaited before the \
                 session is used. Call `SessionSlot::take_async(&slot).await` (the extractors \
                 do) or use the extractor first."
            ),
        }
    }
}

impl std::error::Error for SessionUnavailable {}

/// Why [`SessionSlot::finish_into`](crate::adapter::SessionSlot::finish_into) could not
/// store the session. The adapters answer with `500 Internal Server Error` and
/// no cookie instead of the handler's response, and log it: the browser keeps
/// its old cookie, and the client is not told the session was saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinishError {
    kind: FinishErrorKind,
    message: String,
}

/// Which of the [`FinishError`] cases happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FinishErrorKind {
    /// The session could not be encoded within its bound (only a hand-written
    /// `MaxEncodedLen`/`CookieSession` impl that understates its size).
    Store(StoreError),
    /// Two handles changed the session at once; neither could see the other's
    /// changes, so storing either would lose the other.
    ConflictingWriters,
    /// A handle that had read the session changed it after another handle
    /// published changes it never saw (it may have decided on stale data).
    StaleWriter,
    /// A handle was refused because another held unpublished changes (the
    /// handler failed; the other handle's changes are not stored either).
    RefusedHandle,
    /// A handle was still changing the session when the response was produced
    /// (kept past the handler, e.g. moved into a spawned task).
    StillWriting,
    /// The session's data could not be copied through its own codec (a serde
    /// impl that cannot read what it wrote).
    CopyFailed,
}

impl FinishError {
    pub(crate) fn store(err: StoreError) -> Self {
        FinishError {
            message: format!("session-runtime: the session could not be stored: {err}"),
            kind: FinishErrorKind::Store(err),
        }
    }

    pub(crate) fn two_writers<T: CookieSession>() -> Self {
        let ty = short_type_name::<T>();
        FinishError {
            kind: FinishErrorKind::ConflictingWriters,
            message: format!(
                "session-runtime: two RequestSession<{ty}> handles (cookie `{}`) changed the \
                 session at once in one request; neither saw the other's changes, so nothing \
                 was stored. Publish or drop the first (`RequestSession::publish(&mut session)`) \
                 before changing the second.",
                T::NAME
            ),
        }
    }

    pub(crate) fn stale_writer<T: CookieSession>() -> Self {
        let ty = short_type_name::<T>();
        FinishError {
            kind: FinishErrorKind::StaleWriter,
            message: format!(
                "session-runtime: a RequestSession<{ty}> (cookie `{}`) that had read the \
                 session changed it after another handle published changes it never saw; \
                 nothing was stored. Call `RequestSession::refresh(&mut session)` before \
                 reading and changing it (e.g. in a guard, after the handler ran).",
                T::NAME
            ),
        }
    }

    pub(crate) fn refused_handle<T: CookieSession>() -> Self {
        let ty = short_type_name::<T>();
        FinishError {
            kind: FinishErrorKind::RefusedHandle,
            message: format!(
                "session-runtime: a RequestSession<{ty}> (cookie `{}`) was refused while another \
                 handle held unpublished changes; nothing was stored",
                T::NAME
            ),
        }
    }

    pub(crate) fn still_writing<T: CookieSession>() -> Self {
        let ty = short_type_name::<T>();
        FinishError {
            kind: FinishErrorKind::StillWriting,
            message: format!(
                "session-runtime: a RequestSession<{ty}> (cookie `{}`) was still being changed \
                 when the response was produced (kept past the handler, e.g. in a spawned \
                 task); nothing was stored. Keep the handle inside the handler.",
                T::NAME
            ),
        }
    }

    pub(crate) fn copy_failed<T: CookieSession>(reason: &str) -> Self {
        let ty = short_type_name::<T>();
        FinishError {
            kind: FinishErrorKind::CopyFailed,
            message: format!(
                "session-runtime: {ty}'s data could not be copied through its own serde \
                 encoding ({reason}); nothing was stored"
            ),
        }
    }

    /// Which case this is.
    pub fn kind(&self) -> &FinishErrorKind {
        &self.kind
    }

    /// A one-line description for logs.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for FinishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FinishError {}
