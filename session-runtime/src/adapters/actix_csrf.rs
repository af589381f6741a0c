//! The actix-web CSRF check: [`CsrfMiddleware`] (re-exported as
//! `session_runtime::actix::CsrfMiddleware`).

use std::rc::Rc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest};
use actix_web::http::header::{HeaderValue, CONTENT_TYPE};
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};

use super::actix_service::{actix_middleware, Inner, Reply};
use super::csrf_check::{
    csrf_settings_impls, expected_token, form_verdict, header_verdict, CsrfSettings, Refusal,
};
use super::slot::SessionSlot;
use crate::csrf::{CsrfSession, CsrfToken};

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
/// The session type says where the token lives: a `CsrfToken` field, or a
/// `[u8; 32]` field marked `#[session(csrf)]` ([`CsrfSession`]).
///
/// It must run *inside* the
/// [`SessionMiddleware`](super::actix::SessionMiddleware) of the same session
/// type. In actix-web the last `.wrap` runs first, so `.wrap(CsrfMiddleware)`
/// comes before `.wrap(SessionMiddleware)`; or
/// [`SessionMiddleware::with_csrf`](super::actix::SessionMiddleware::with_csrf)
/// adds both in one `wrap`:
///
/// ```
/// use actix_web::{web, App, HttpResponse};
/// use serde::{Deserialize, Serialize};
/// use session_runtime::actix::{CsrfMiddleware, RequestSession, SessionMiddleware};
/// use session_runtime::{CookieSession, CsrfToken, Key, SessionConfig};
///
/// #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
/// #[session(name = "__Host-app", version = 1)]
/// struct AppSession {
///     #[session(csrf)]
///     csrf: [u8; 32], // or `csrf: CsrfToken`, without the attribute
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
///     .wrap(SessionMiddleware::new(config.clone()).with_csrf())
///     .route("/", web::get().to(form));
/// # let _ = app;
/// // The same, as two middleware:
/// let app = App::new()
///     .wrap(CsrfMiddleware::<AppSession>::new())
///     .wrap(SessionMiddleware::new(config))
///     .route("/", web::get().to(form));
/// # let _ = app;
/// ```
pub struct CsrfMiddleware<T> {
    pub(super) settings: CsrfSettings<T>,
}

csrf_settings_impls!(CsrfMiddleware, "middleware");

actix_middleware!(CsrfMiddleware: CsrfSession => CsrfMiddlewareService, |this, service| {
    CsrfMiddlewareService {
        service: Rc::new(service),
        settings: this.settings,
    }
});

/// The service made by [`CsrfMiddleware`].
pub struct CsrfMiddlewareService<S, T> {
    pub(super) service: Rc<S>,
    pub(super) settings: CsrfSettings<T>,
}

impl<S, T> core::fmt::Debug for CsrfMiddlewareService<S, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CsrfMiddlewareService")
            .field("form_limit", &self.settings.form_limit)
            .finish_non_exhaustive()
    }
}

impl<S, T: CsrfSession> CsrfMiddlewareService<S, T> {
    fn handle<B: MessageBody + 'static>(&self, mut request: ServiceRequest) -> Reply<B>
    where
        S: Inner<B>,
    {
        let service = Rc::clone(&self.service);
        let settings = self.settings;
        Box::pin(async move {
            let refuse = |request: ServiceRequest, refusal: Refusal| {
                Ok(request
                    .into_response(respond(refusal))
                    .map_into_right_body())
            };
            // The extensions' borrow ends here, before the await.
            let slot = request.extensions().get::<SessionSlot<T>>().cloned();
            let method = request.method().as_str();
            let expected = match expected_token(slot, method).await {
                Ok(Some(token)) => token,
                Ok(None) => return Ok(service.call(request).await?.map_into_left_body()),
                Err(refusal) => return refuse(request, refusal),
            };
            let header = request.headers().get(CsrfToken::HEADER);
            let content_type = request.headers().get(CONTENT_TYPE);
            let (header, content_type) = (
                header.map(HeaderValue::as_bytes),
                content_type.map(HeaderValue::as_bytes),
            );
            let verdict = match header_verdict(&expected, header, content_type) {
                Some(verdict) => verdict,
                None => {
                    let payload = request.extract::<web::Payload>().await?;
                    match payload.to_bytes_limited(settings.form_limit).await {
                        Ok(Ok(bytes)) => {
                            let verdict = form_verdict(&expected, &bytes);
                            // Hand the body back for the handler's own extractors.
                            request.set_payload(bytes.into());
                            verdict
                        }
                        Ok(Err(err)) => return Err(err),
                        Err(_) => Err(Refusal::TooLarge),
                    }
                }
            };
            match verdict {
                Ok(()) => Ok(service.call(request).await?.map_into_left_body()),
                Err(refusal) => refuse(request, refusal),
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
