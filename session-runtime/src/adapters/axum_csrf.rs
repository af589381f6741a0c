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
    csrf_settings_impls, expected_token, form_verdict, header_verdict, CsrfSettings,
};
use super::SessionSlot;
use crate::csrf::Refusal;
use crate::{CookieSession, CsrfToken};

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
        let settings = self.settings;
        Box::pin(async move {
            // The extensions' borrow ends here, before the await.
            let slot = request.extensions().get::<SessionSlot<T>>().cloned();
            let method = request.method().as_str();
            let expected = match expected_token(slot, settings.field, method).await {
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
