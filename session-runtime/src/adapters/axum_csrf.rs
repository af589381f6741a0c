//! The axum CSRF check: [`CsrfLayer`] (re-exported as
//! `session_runtime::axum::CsrfLayer`).

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::{BodyExt, Limited};
use tower_layer::Layer;
use tower_service::Service;

use super::csrf_check::{
    csrf_settings_impls, expected_token, form_verdict, header_verdict, CsrfSettings, Refusal,
};
use super::slot::SessionSlot;
use super::tower::SessionLayer;
use crate::csrf::{CsrfSession, CsrfToken};

/// A tower layer for axum that refuses `POST`, `PUT`, `PATCH` and `DELETE`
/// (every method but `GET`, `HEAD`, `OPTIONS` and `TRACE`) with
/// `403 Forbidden` unless they carry the session's [`CsrfToken`], and gives
/// every session a token on its first safe request, so pages can render it.
///
/// The token is read from the `X-CSRF-Token` header, or else from the
/// `csrf_token` field of an `application/x-www-form-urlencoded` body. The
/// body is read at most up to a limit (64 KiB by default, `413` above it)
/// and handed on to the handler unchanged, so `Form<...>` still works.
/// Multipart forms must send the header. The session type says where the
/// token lives: a `CsrfToken` field, or a `[u8; 32]` field marked
/// `#[session(csrf)]` ([`CsrfSession`]).
/// [`Session::renew`](crate::Session::renew) (login) replaces the token and
/// [`Session::clear`](crate::Session::clear) (logout) unsets it, so a token
/// seen before either no longer passes.
///
/// It must run *inside* the [`SessionLayer`](super::tower::SessionLayer) of
/// the same session type. [`SessionLayer::with_csrf`](super::tower::SessionLayer::with_csrf)
/// adds both in the right order, in one call:
///
/// ```
/// use axum::{routing::{get, post}, Router};
/// use serde::{Deserialize, Serialize};
/// use session_runtime::axum::{CsrfToken, RequestSession, SessionLayer};
/// use session_runtime::{CookieSession, Key, SessionConfig};
///
/// #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
/// #[session(name = "__Host-app", version = 1)]
/// struct AppSession {
///     csrf: CsrfToken, // or `#[session(csrf)] csrf: [u8; 32]`
///     counter: u32,
/// }
///
/// async fn form(session: RequestSession<AppSession>) -> String {
///     format!(r#"<form method="post" action="/count">{}<button>+1</button></form>"#,
///         session.csrf().hidden_input())
/// }
///
/// async fn count(mut session: RequestSession<AppSession>) -> &'static str {
///     let next = session.counter() + 1;
///     session.set_counter(next); // only reached with a matching token
///     "counted"
/// }
///
/// # let config = SessionConfig::<AppSession>::new(Key::from_secret(&[7; 32]).unwrap()).unwrap();
/// let app: Router = Router::new()
///     .route("/", get(form))
///     .route("/count", post(count))
///     .layer(SessionLayer::new(config).with_csrf());
/// // The same, as two layers (the CSRF layer first, so the session layer wraps it):
/// # let config = SessionConfig::<AppSession>::new(Key::from_secret(&[7; 32]).unwrap()).unwrap();
/// use session_runtime::axum::CsrfLayer;
/// let app: Router = Router::new()
///     .route("/count", post(count))
///     .layer(CsrfLayer::<AppSession>::new().form_limit(16 * 1024))
///     .layer(SessionLayer::new(config));
/// ```
pub struct CsrfLayer<T> {
    settings: CsrfSettings<T>,
}

csrf_settings_impls!(CsrfLayer, "layer");

impl<S, T> Layer<S> for CsrfLayer<T> {
    type Service = CsrfService<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        CsrfService {
            inner,
            settings: self.settings,
        }
    }
}

/// The service made by [`CsrfLayer`].
pub struct CsrfService<S, T> {
    inner: S,
    settings: CsrfSettings<T>,
}

impl<S: Clone, T> Clone for CsrfService<S, T> {
    fn clone(&self) -> Self {
        CsrfService {
            inner: self.inner.clone(),
            settings: self.settings,
        }
    }
}

impl<S: core::fmt::Debug, T> core::fmt::Debug for CsrfService<S, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CsrfService")
            .field("inner", &self.inner)
            .field("form_limit", &self.settings.form_limit)
            .finish_non_exhaustive()
    }
}

impl<S, T> Service<Request<Body>> for CsrfService<S, T>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    T: CsrfSession + Send + Sync,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The clone that was polled ready serves this request (tower's rule).
        let clone = self.inner.clone();
        let mut inner = core::mem::replace(&mut self.inner, clone);
        let settings = self.settings;
        Box::pin(async move {
            // The extensions' borrow ends here, before the await.
            let slot = request.extensions().get::<SessionSlot<T>>().cloned();
            let method = request.method().as_str();
            let expected = match expected_token(slot, method).await {
                Ok(Some(token)) => token,
                Ok(None) => return inner.call(request).await,
                Err(refusal) => return Ok(respond(refusal)),
            };
            let (request, verdict) = check(request, expected, settings.form_limit).await;
            match verdict {
                Ok(()) => inner.call(request).await,
                Err(refusal) => Ok(respond(refusal)),
            }
        })
    }
}

impl<T: CsrfSession> SessionLayer<T> {
    /// This layer with the CSRF check of [`CsrfLayer`] inside it: one layer
    /// that loads and stores the session and refuses unsafe requests
    /// without its token, in the only order that works (axum).
    pub fn with_csrf(self) -> tower_layer::Stack<CsrfLayer<T>, SessionLayer<T>> {
        tower_layer::Stack::new(CsrfLayer::new(), self)
    }
}

/// Checks the header, else the form field; gives the request back whole.
async fn check(
    request: Request<Body>,
    expected: CsrfToken,
    form_limit: usize,
) -> (Request<Body>, Result<(), Refusal>) {
    let header = request.headers().get(CsrfToken::HEADER);
    let content_type = request.headers().get(CONTENT_TYPE);
    if let Some(verdict) = header_verdict(
        &expected,
        header.map(HeaderValue::as_bytes),
        content_type.map(HeaderValue::as_bytes),
    ) {
        return (request, verdict);
    }
    let (parts, body) = request.into_parts();
    match Limited::new(body, form_limit).collect().await {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            let verdict = form_verdict(&expected, &bytes);
            (Request::from_parts(parts, Body::from(bytes)), verdict)
        }
        // Over the limit, or the client broke off: either way no token.
        Err(_) => (
            Request::from_parts(parts, Body::empty()),
            Err(Refusal::TooLarge),
        ),
    }
}

fn respond(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Session(err) => err.into_response(),
        Refusal::Randomness => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Refusal::Forbidden => (StatusCode::FORBIDDEN, Refusal::FORBIDDEN_BODY).into_response(),
        Refusal::TooLarge => {
            (StatusCode::PAYLOAD_TOO_LARGE, Refusal::TOO_LARGE_BODY).into_response()
        }
    }
}
