//! The app under test: the session struct, the script interpreter on real
//! `RequestSession` handles, and the same routes in axum and actix-web
//! (`/plain` or `/csrf` behind the CSRF layer, then `/p` or `/g` behind the
//! guard middleware, then `/run`).

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use session_runtime::{
    BoundedString, CookieSession, CsrfToken, Flash, Lifetime, LoadStatus, RequestSession, Session,
};

use crate::spec::{decode_steps, param, Life, SessionOp, Step, H};

/// The session of the tests: a user id, a counter, a flash message and the
/// CSRF token.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-model", version = 1)]
pub struct ModelSession {
    /// Who is logged in.
    pub user: Option<u32>,
    /// Counts.
    pub counter: u32,
    /// One message for the next page.
    pub flash: Flash<BoundedString<8>>,
    /// The CSRF token (the derive's `CsrfSession`).
    pub csrf: CsrfToken,
}

/// A handle.
pub type Handle = RequestSession<ModelSession>;

/// The library's lifetime of a model lifetime.
pub fn lifetime(life: Life) -> Lifetime {
    match life {
        Life::Standard => Lifetime::Standard,
        Life::Browser => Lifetime::BrowserSession,
        Life::RememberMe => Lifetime::RememberMe,
    }
}

thread_local! {
    /// Handles kept past the response (`Step::Keep`), dropped by the
    /// harness once the response is checked. Both frameworks run a
    /// request's futures on the test's thread.
    static KEPT: RefCell<Vec<Handle>> = const { RefCell::new(Vec::new()) };
}

/// Drops the handles kept past the last response.
pub fn drop_kept() {
    let kept = KEPT.with(|kept| std::mem::take(&mut *kept.borrow_mut()));
    drop(kept);
}

/// How the status prints.
pub fn status_text(status: &LoadStatus) -> String {
    match status {
        LoadStatus::Missing => "missing".into(),
        LoadStatus::Valid => "valid".into(),
        LoadStatus::ValidVerifyKey => "valid_verify_key".into(),
        LoadStatus::Rejected(rejection) => format!("rejected:{}", rejection.kind()),
        other => format!("{other:?}"),
    }
}

/// The token's text, or `unset`.
fn token_text(token: &CsrfToken) -> String {
    if token.is_unset() {
        "unset".into()
    } else {
        token.to_base64url()
    }
}

/// Runs one operation on a session (a handle dereferences to it); returns
/// the line it prints, if any. Each arm uses the accessor its name says
/// (getters through `Deref`, setters, `_mut` and `get_mut` through
/// `DerefMut`).
pub fn apply<S>(session: &mut S, op: SessionOp, who: &str) -> Option<String>
where
    S: core::ops::DerefMut<Target = Session<ModelSession>>,
{
    match op {
        SessionOp::Print => {
            return Some(format!(
                "{who}: user={:?} counter={} flash={:?} lifetime={:?} status={} csrf={}",
                session.user(),
                session.counter(),
                session.flash().peek().map(BoundedString::as_str),
                session.lifetime(),
                status_text(session.status()),
                token_text(session.csrf())
            ))
        }
        SessionOp::SetUser(user) => session.set_user(user.map(u32::from)),
        SessionOp::IncCounter => *session.counter_mut() += 1,
        SessionOp::SetCounterSame => {
            let counter = *session.counter();
            session.set_counter(counter);
        }
        SessionOp::GetMut => {
            let _: &mut ModelSession = session.get_mut();
        }
        SessionOp::SetLifetime(life) => {
            let result = match session.set_lifetime(lifetime(life)) {
                Ok(()) => "ok".to_owned(),
                Err(err) if err.to_string().contains(".remember_me(idle, absolute)") => {
                    "err names .remember_me(idle, absolute)".to_owned()
                }
                Err(err) => format!("err {err}"),
            };
            return Some(format!(
                "{who}: set_lifetime({:?})={result}",
                lifetime(life)
            ));
        }
        SessionOp::Renew => session.renew(),
        SessionOp::Clear => session.clear(),
        SessionOp::FlashSet(n) => session
            .flash_mut()
            .set(BoundedString::truncating(&format!("m{n}"))),
        SessionOp::FlashTake => {
            let taken = if session.flash().is_set() {
                session.flash_mut().take()
            } else {
                None
            };
            return Some(format!(
                "{who}: took={:?}",
                taken.as_ref().map(BoundedString::as_str)
            ));
        }
        SessionOp::FlashTakeBlind => {
            let taken = session.flash_mut().take();
            return Some(format!(
                "{who}: took={:?}",
                taken.as_ref().map(BoundedString::as_str)
            ));
        }
    }
    None
}

/// Extracts a handle through a framework's extractor.
pub trait Extract {
    /// The framework's refusal (a `500` response).
    type Refusal;
    /// Extracts a handle.
    async fn extract(&mut self) -> Result<Handle, Self::Refusal>;
}

/// The guard's extractor: its scripts have no extraction steps (the guard
/// extracts `G` once, when it starts), so it is never called.
pub struct NoExtraction;

impl Extract for NoExtraction {
    type Refusal = ();

    async fn extract(&mut self) -> Result<Handle, ()> {
        Err(())
    }
}

/// The handles one piece of code holds (indexed by [`H::index`]).
pub type Handles = [Option<Handle>; 3];

/// Runs the steps on handles in `scope` (steps on other handles are out of
/// that code's reach and do nothing; so does a step on a missing handle).
/// An extraction that fails ends the script with the refusal.
pub async fn run<E: Extract>(
    steps: &[Step],
    scope: &[H],
    handles: &mut Handles,
    extractor: &mut E,
    out: &mut Vec<String>,
) -> Result<(), E::Refusal> {
    for step in steps {
        let h = match step {
            Step::Extract(h)
            | Step::Op(h, _)
            | Step::Publish(h)
            | Step::Refresh(h)
            | Step::Drop(h)
            | Step::Keep(h) => *h,
        };
        if !scope.contains(&h) {
            continue;
        }
        let slot = &mut handles[h.index()];
        match *step {
            Step::Extract(_) => {
                let handle = extractor.extract().await?;
                *slot = Some(handle);
            }
            Step::Op(_, op) => {
                if let Some(handle) = slot.as_mut() {
                    out.extend(apply(handle, op, &format!("{h:?}")));
                }
            }
            Step::Publish(_) => {
                if let Some(handle) = slot.as_mut() {
                    RequestSession::publish(handle);
                }
            }
            Step::Refresh(_) => {
                if let Some(handle) = slot.as_mut() {
                    RequestSession::refresh(handle);
                }
            }
            Step::Drop(_) => drop(slot.take()),
            Step::Keep(_) => {
                if let Some(handle) = slot.take() {
                    KEPT.with(|kept| kept.borrow_mut().push(handle));
                }
            }
        }
    }
    Ok(())
}

/// The guard's scripts from the query: steps before and after the handler
/// (extractions dropped: the guard extracts `G` once, when it starts), and
/// whether it calls the handler.
pub fn guard_plan(query: &str) -> (Vec<Step>, bool, Vec<Step>) {
    let steps = |name| {
        decode_steps(param(query, name).unwrap_or(""))
            .into_iter()
            .filter(|step| !matches!(step, Step::Extract(_)))
            .collect::<Vec<_>>()
    };
    (steps("gb"), param(query, "gn") == Some("1"), steps("ga"))
}

/// The header the guard's lines travel in.
pub const GUARD_HEADER: &str = "x-guard";

/// The axum app.
pub mod axum_app {
    use axum::extract::{FromRequestParts as _, Request};
    use axum::http::request::Parts;
    use axum::http::{HeaderValue, StatusCode};
    use axum::middleware::{from_fn, Next};
    use axum::response::{IntoResponse, Response};
    use axum::routing::any;
    use axum::Router;
    use session_runtime::axum::{CsrfLayer, SessionLayer};
    use session_runtime::SessionConfig;

    use super::{
        guard_plan, run, Extract, Handle, Handles, ModelSession, NoExtraction, GUARD_HEADER,
    };
    use crate::spec::{decode_steps, param, H};

    struct Parts_<'p>(&'p mut Parts);

    impl Extract for Parts_<'_> {
        type Refusal = Response;

        async fn extract(&mut self) -> Result<Handle, Response> {
            Handle::from_request_parts(self.0, &())
                .await
                .map_err(IntoResponse::into_response)
        }
    }

    async fn handler(request: Request) -> Response {
        let query = request.uri().query().unwrap_or("").to_owned();
        let steps = decode_steps(param(&query, "h").unwrap_or(""));
        let (mut parts, _body) = request.into_parts();
        let mut handles: Handles = Default::default();
        let mut out = Vec::new();
        let result = run(
            &steps,
            &[H::A, H::B],
            &mut handles,
            &mut Parts_(&mut parts),
            &mut out,
        )
        .await;
        // The handles are dropped here, before the response leaves.
        drop(handles);
        match result {
            Ok(()) => out.join("\n").into_response(),
            Err(refusal) => refusal,
        }
    }

    async fn guard(request: Request, next: Next) -> Response {
        let query = request.uri().query().unwrap_or("").to_owned();
        let (before, call_next, after) = guard_plan(&query);
        let (mut parts, body) = request.into_parts();
        let mut handles: Handles = Default::default();
        match Handle::from_request_parts(&mut parts, &()).await {
            Ok(handle) => handles[H::G.index()] = Some(handle),
            Err(refusal) => return refusal.into_response(),
        }
        let mut out = Vec::new();
        let _ = run(&before, &[H::G], &mut handles, &mut NoExtraction, &mut out).await;
        let request = Request::from_parts(parts, body);
        let mut response = if call_next {
            next.run(request).await
        } else {
            StatusCode::SEE_OTHER.into_response()
        };
        let _ = run(&after, &[H::G], &mut handles, &mut NoExtraction, &mut out).await;
        drop(handles);
        response.headers_mut().insert(
            GUARD_HEADER,
            HeaderValue::try_from(out.join(" | ")).expect("printable lines"),
        );
        response
    }

    /// The routes, the CSRF layer on `/csrf`, the guard on `*/g`, all
    /// inside the session layer.
    pub fn router(config: SessionConfig<ModelSession>) -> Router {
        let run_route = || Router::new().route("/run", any(handler));
        let inner = || {
            Router::new()
                .nest("/p", run_route())
                .nest("/g", run_route().route_layer(from_fn(guard)))
        };
        Router::new()
            .nest("/plain", inner())
            .nest("/csrf", inner().layer(CsrfLayer::<ModelSession>::new()))
            .layer(SessionLayer::new(config))
    }
}

/// The actix-web app.
pub mod actix_app {
    use actix_web::body::{BoxBody, MessageBody};
    use actix_web::dev::{ServiceRequest, ServiceResponse};
    use actix_web::http::header::{HeaderName, HeaderValue};
    use actix_web::middleware::{from_fn, Next};
    use actix_web::{web, FromRequest as _, HttpRequest, HttpResponse};
    use session_runtime::actix::{CsrfMiddleware, SessionMiddleware};
    use session_runtime::SessionConfig;

    use super::{
        guard_plan, run, Extract, Handle, Handles, ModelSession, NoExtraction, GUARD_HEADER,
    };
    use crate::spec::{decode_steps, param, H};

    struct Req<'r>(&'r HttpRequest);

    impl Extract for Req<'_> {
        type Refusal = HttpResponse;

        async fn extract(&mut self) -> Result<Handle, HttpResponse> {
            Handle::extract(self.0)
                .await
                .map_err(HttpResponse::from_error)
        }
    }

    async fn handler(request: HttpRequest) -> HttpResponse {
        let steps = decode_steps(param(request.query_string(), "h").unwrap_or(""));
        let mut handles: Handles = Default::default();
        let mut out = Vec::new();
        let result = run(
            &steps,
            &[H::A, H::B],
            &mut handles,
            &mut Req(&request),
            &mut out,
        )
        .await;
        drop(handles);
        match result {
            Ok(()) => HttpResponse::Ok().body(out.join("\n")),
            Err(refusal) => refusal,
        }
    }

    async fn guard(
        request: ServiceRequest,
        next: Next<impl MessageBody + 'static>,
    ) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
        let (before, call_next, after) = guard_plan(request.query_string());
        let mut handles: Handles = Default::default();
        match Handle::extract(request.request()).await {
            Ok(handle) => handles[H::G.index()] = Some(handle),
            Err(refusal) => return Ok(request.error_response(refusal)),
        }
        let mut out = Vec::new();
        let _ = run(&before, &[H::G], &mut handles, &mut NoExtraction, &mut out).await;
        let mut response = if call_next {
            next.call(request).await?.map_into_boxed_body()
        } else {
            request.into_response(HttpResponse::SeeOther().finish())
        };
        let _ = run(&after, &[H::G], &mut handles, &mut NoExtraction, &mut out).await;
        drop(handles);
        response.headers_mut().insert(
            HeaderName::from_static(GUARD_HEADER),
            HeaderValue::try_from(out.join(" | ")).expect("printable lines"),
        );
        Ok(response)
    }

    /// Registers the routes on `config`'s app: `/plain` and `/csrf` (with
    /// the CSRF middleware), each with `/p/run` and `/g/run` (the guard).
    pub fn routes(cfg: &mut web::ServiceConfig) {
        let scopes = |prefix: &str| {
            web::scope(prefix)
                .service(
                    web::scope("/g")
                        .wrap(from_fn(guard))
                        .route("/run", web::route().to(handler)),
                )
                .service(web::scope("/p").route("/run", web::route().to(handler)))
        };
        cfg.service(scopes("/plain"));
        cfg.service(scopes("/csrf").wrap(CsrfMiddleware::<ModelSession>::new()));
    }

    /// The session middleware for `config` (wrapped around everything).
    pub fn session_middleware(
        config: SessionConfig<ModelSession>,
    ) -> SessionMiddleware<ModelSession> {
        SessionMiddleware::new(config)
    }
}
