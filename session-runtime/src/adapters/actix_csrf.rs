//! The actix-web CSRF check: [`CsrfMiddleware`] (re-exported as
//! `session_runtime::actix::CsrfMiddleware`).

use core::future::{ready, Future, Ready};
use core::pin::Pin;
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, Error, HttpMessage, HttpResponse, ResponseError};

use super::{extract, SessionSlot};
use crate::csrf::{is_form, method_needs_token, token_in_form, Refusal, TokenField};
use crate::{CookieSession, CsrfToken};

/// The largest form body [`CsrfMiddleware`] reads by default to find the token.
const DEFAULT_FORM_LIMIT: usize = 64 * 1024;

/// actix-web middleware that refuses `POST`, `PUT`, `PATCH` and `DELETE`
/// (every method but `GET`, `HEAD`, `OPTIONS` and `TRACE`) with
/// `403 Forbidden` unless they carry the session's [`CsrfToken`], and gives
/// every session a token on its first safe request, so pages can render it.
///
/// The token is read from the `X-CSRF-Token` header, or else from the
/// `csrf_token` field of an `application/x-www-form-urlencoded` body, read at
/// most up to a limit (64 KiB by default, `413` above it) and handed on to
/// the handler unchanged, so `web::Form<...>` still works.
///
/// Register it so that it runs *inside* the
/// [`SessionMiddleware`](super::actix::SessionMiddleware) of the same session
/// type: in actix-web the last `.wrap` runs first, so `.wrap(CsrfMiddleware)`
/// comes before `.wrap(SessionMiddleware)`.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
/// use serde::{Deserialize, Serialize};
/// use session_runtime::actix::{CsrfMiddleware, SessionMiddleware};
/// use session_runtime::{CookieSession, CsrfToken, Key, RequestSession, SessionConfig};
///
/// #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
/// #[session(name = "__Host-app", version = 1)]
/// struct AppSession {
///     csrf: [u8; 32], // or `CsrfToken`
/// }
///
/// async fn form(session: RequestSession<AppSession>) -> HttpResponse {
///     let token = CsrfToken::from(*session.csrf());
///     HttpResponse::Ok().body(format!(
///         r#"<form method="post" action="/save">{}<button>save</button></form>"#,
///         token.hidden_input()
///     ))
/// }
///
/// # let config = SessionConfig::<AppSession>::new(Key::from_secret(&[7; 32]).unwrap()).unwrap();
/// let app = App::new()
///     .wrap(CsrfMiddleware::<AppSession>::new(
///         |s| CsrfToken::from(*s.csrf()),
///         |s, token| s.set_csrf(token.into()),
///     ))
///     .wrap(SessionMiddleware::new(config))
///     .route("/", web::get().to(form));
/// # let _ = app;
/// ```
pub struct CsrfMiddleware<T> {
    field: TokenField<T>,
    form_limit: usize,
}

impl<T> Clone for CsrfMiddleware<T> {
    fn clone(&self) -> Self {
        CsrfMiddleware {
            field: self.field,
            form_limit: self.form_limit,
        }
    }
}

impl<T> core::fmt::Debug for CsrfMiddleware<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CsrfMiddleware")
            .field("form_limit", &self.form_limit)
            .finish_non_exhaustive()
    }
}

impl<T: CookieSession> CsrfMiddleware<T> {
    /// A middleware reading the token with `get` and storing a new one with `set`.
    pub fn new(get: fn(&T) -> CsrfToken, set: fn(&mut T, CsrfToken)) -> Self {
        CsrfMiddleware {
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

impl<S, B, T> Transform<S, ServiceRequest> for CsrfMiddleware<T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    T: CookieSession,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = CsrfMiddlewareService<S, T>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CsrfMiddlewareService {
            service: Rc::new(service),
            field: self.field,
            form_limit: self.form_limit,
        }))
    }
}

/// The service made by [`CsrfMiddleware`].
pub struct CsrfMiddlewareService<S, T> {
    service: Rc<S>,
    field: TokenField<T>,
    form_limit: usize,
}

impl<S, T> core::fmt::Debug for CsrfMiddlewareService<S, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CsrfMiddlewareService")
            .field("form_limit", &self.form_limit)
            .finish_non_exhaustive()
    }
}

impl<S, B, T> Service<ServiceRequest> for CsrfMiddlewareService<S, T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
    T: CookieSession,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, mut request: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let field = self.field;
        let form_limit = self.form_limit;
        Box::pin(async move {
            let refuse = |request: ServiceRequest, response: HttpResponse| {
                Ok(request.into_response(response).map_into_right_body())
            };
            // The extensions' borrow ends here, before the await.
            let slot = request.extensions().get::<SessionSlot<T>>().cloned();
            let session = extract(slot).await;
            let method = request.method().as_str();
            let expected = match Refusal::current_token(session, field, method) {
                Ok(token) => token,
                Err(refusal) => return refuse(request, respond(refusal)),
            };
            if !method_needs_token(request.method().as_str()) {
                return Ok(service.call(request).await?.map_into_left_body());
            }
            let submitted_ok = if let Some(header) = request.headers().get(CsrfToken::HEADER) {
                header.to_str().is_ok_and(|text| expected.matches(text))
            } else if request
                .headers()
                .get(CONTENT_TYPE)
                .is_some_and(|value| is_form(value.as_bytes()))
            {
                let payload = request.extract::<web::Payload>().await?;
                let bytes = match payload.to_bytes_limited(form_limit).await {
                    Ok(Ok(bytes)) => bytes,
                    Ok(Err(err)) => return Err(err),
                    Err(_) => return refuse(request, respond(Refusal::TooLarge)),
                };
                let ok = token_in_form(&bytes).is_some_and(|text| expected.matches(text));
                // Hand the body back for the handler's own extractors.
                request.set_payload(bytes.into());
                ok
            } else {
                false
            };
            if submitted_ok {
                Ok(service.call(request).await?.map_into_left_body())
            } else {
                refuse(request, respond(Refusal::Forbidden))
            }
        })
    }
}

fn respond(refusal: Refusal) -> HttpResponse {
    let text = |mut builder: actix_web::HttpResponseBuilder, body: &'static str| {
        builder.content_type("text/plain; charset=utf-8").body(body)
    };
    match refusal {
        Refusal::Session(err) => err.error_response(),
        Refusal::Randomness => HttpResponse::InternalServerError().finish(),
        Refusal::Forbidden => text(HttpResponse::Forbidden(), Refusal::FORBIDDEN_BODY),
        Refusal::TooLarge => text(HttpResponse::PayloadTooLarge(), Refusal::TOO_LARGE_BODY),
    }
}
