//! The axum CSRF check: [`CsrfLayer`] (re-exported as
//! `session_runtime::axum::CsrfLayer`).

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Limited};
use tower_layer::Layer;
use tower_service::Service;

use super::{extract, SessionSlot};
use crate::csrf::{is_form, method_needs_token, token_in_form, Refusal, TokenField};
use crate::{CookieSession, CsrfToken};

/// The largest form body [`CsrfLayer`] reads by default to find the token.
pub const DEFAULT_FORM_LIMIT: usize = 64 * 1024;

/// A tower layer for axum that refuses `POST`, `PUT`, `PATCH` and `DELETE`
/// (every method but `GET`, `HEAD`, `OPTIONS` and `TRACE`) with
/// `403 Forbidden` unless they carry the session's [`CsrfToken`], and gives
/// every session a token on its first safe request, so pages can render it.
///
/// The token is read from the `X-CSRF-Token` header, or else from the
/// `csrf_token` field of an `application/x-www-form-urlencoded` body. The
/// body is read at most up to a limit (64 KiB by default, `413` above it)
/// and handed on to the handler unchanged, so `Form<...>` still works.
/// Multipart forms must send the header.
///
/// Add it *inside* the [`SessionLayer`](super::tower::SessionLayer) of the
/// same session type (i.e. `.layer(CsrfLayer::new(..))` before
/// `.layer(SessionLayer::new(..))`). It tells where the token lives with two
/// functions, so the field can be a `CsrfToken` or a `[u8; 32]`:
///
/// ```
/// use axum::{routing::{get, post}, Router};
/// use serde::{Deserialize, Serialize};
/// use session_runtime::axum::{CsrfLayer, CsrfToken, RequestSession, SessionLayer};
/// use session_runtime::{CookieSession, Key, SessionConfig};
///
/// #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
/// #[session(name = "__Host-app", version = 1)]
/// struct AppSession {
///     csrf: CsrfToken, // or `[u8; 32]`: `|s| CsrfToken::from(*s.csrf())`, `|s, t| s.set_csrf(t.into())`
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
///     .layer(CsrfLayer::<AppSession>::new(|s| *s.csrf(), |s, token| s.set_csrf(token)))
///     .layer(SessionLayer::new(config));
/// ```
pub struct CsrfLayer<T> {
    field: TokenField<T>,
    form_limit: usize,
}

impl<T> Clone for CsrfLayer<T> {
    fn clone(&self) -> Self {
        CsrfLayer {
            field: self.field,
            form_limit: self.form_limit,
        }
    }
}

impl<T> core::fmt::Debug for CsrfLayer<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CsrfLayer")
            .field("form_limit", &self.form_limit)
            .finish_non_exhaustive()
    }
}

impl<T: CookieSession> CsrfLayer<T> {
    /// A layer reading the token with `get` and storing a new one with `set`.
    pub fn new(get: fn(&T) -> CsrfToken, set: fn(&mut T, CsrfToken)) -> Self {
        CsrfLayer {
            field: TokenField { get, set },
            form_limit: DEFAULT_FORM_LIMIT,
        }
    }

    /// The largest form body read to find the token (default 64 KiB).
    pub fn form_limit(mut self, bytes: usize) -> Self {
        self.form_limit = bytes;
        self
    }
}

impl<S, T> Layer<S> for CsrfLayer<T> {
    type Service = CsrfService<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        CsrfService {
            inner,
            field: self.field,
            form_limit: self.form_limit,
        }
    }
}

/// The service made by [`CsrfLayer`].
pub struct CsrfService<S, T> {
    inner: S,
    field: TokenField<T>,
    form_limit: usize,
}

impl<S: Clone, T> Clone for CsrfService<S, T> {
    fn clone(&self) -> Self {
        CsrfService {
            inner: self.inner.clone(),
            field: self.field,
            form_limit: self.form_limit,
        }
    }
}

impl<S: core::fmt::Debug, T> core::fmt::Debug for CsrfService<S, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CsrfService")
            .field("inner", &self.inner)
            .field("form_limit", &self.form_limit)
            .finish_non_exhaustive()
    }
}

impl<S, T> Service<Request<Body>> for CsrfService<S, T>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    T: CookieSession + Send + Sync,
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
        let field = self.field;
        let form_limit = self.form_limit;
        Box::pin(async move {
            // The extensions' borrow ends here, before the await.
            let slot = request.extensions().get::<SessionSlot<T>>().cloned();
            let session = extract(slot).await;
            let method = request.method().as_str();
            let expected = match Refusal::current_token(session, field, method) {
                Ok(token) => token,
                Err(refusal) => return Ok(respond(refusal)),
            };
            if !method_needs_token(request.method().as_str()) {
                return inner.call(request).await;
            }
            let (request, verdict) = check(request, expected, form_limit).await;
            match verdict {
                Ok(()) => inner.call(request).await,
                Err(refusal) => Ok(respond(refusal)),
            }
        })
    }
}

/// Checks the header, else the form field; gives the request back whole.
async fn check(
    request: Request<Body>,
    expected: CsrfToken,
    form_limit: usize,
) -> (Request<Body>, Result<(), Refusal>) {
    if let Some(header) = request.headers().get(CsrfToken::HEADER) {
        let ok = header.to_str().is_ok_and(|text| expected.matches(text));
        return (request, verdict(ok));
    }
    let is_form_body = request
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| is_form(value.as_bytes()));
    if !is_form_body {
        return (request, verdict(false));
    }
    let (parts, body) = request.into_parts();
    let bytes = match Limited::new(body, form_limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            // Over the limit, or the client broke off: either way no token.
            let request = Request::from_parts(parts, Body::empty());
            return (request, Err(Refusal::TooLarge));
        }
    };
    let ok = token_in_form(&bytes).is_some_and(|text| expected.matches(text));
    (Request::from_parts(parts, Body::from(bytes)), verdict(ok))
}

fn verdict(ok: bool) -> Result<(), Refusal> {
    if ok {
        Ok(())
    } else {
        Err(Refusal::Forbidden)
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
