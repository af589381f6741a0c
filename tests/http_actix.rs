//! The actix-web adapter over real HTTP on 127.0.0.1: the actix example app
//! (`examples/actix_app.rs`, compiled in here) in an actix system on its own
//! thread with one worker, driven by the same hyper client as the axum tests.

#[allow(dead_code)]
#[path = "../examples/actix_app.rs"]
mod actix_app;
#[path = "http/client.rs"]
mod client;

use std::net::{Ipv4Addr, SocketAddr};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServerHandle, Service as _, ServiceRequest, ServiceResponse};
use actix_web::http::header::{LOCATION, SET_COOKIE};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, FromRequest as _, HttpResponse};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use session_runtime::actix::{CsrfMiddleware, SessionMiddleware};
use session_runtime::{
    BoundedString, CookieSession, CsrfToken, Key, ManualClock, RequestSession, SessionConfig,
};
use session_tests::{config_on, key, Guarded, T0_MS};

use actix_app::ActixSession;
use client::{
    assert_line, assert_missing_layer_is_explained, assert_one_session_cookie, send, tamper,
    value_of, Client,
};

const NAME: &str = ActixSession::NAME;

/// A running actix-web server; dropping it stops the server and joins its thread.
struct ActixServer {
    addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Drop for ActixServer {
    fn drop(&mut self) {
        // `stop` sends the command at once; the returned future only waits.
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

/// Starts `HttpServer::new($factory)` on 127.0.0.1 with an OS-chosen port.
macro_rules! serve {
    ($factory:expr) => {{
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new($factory)
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .bind((Ipv4Addr::LOCALHOST, 0))?;
                let addr = server.addrs()[0];
                let server = server.run();
                let _ = ready_tx.send((addr, server.handle()));
                server.await
            })
        });
        let (addr, handle) = ready_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the actix server did not start");
        ActixServer {
            addr,
            handle,
            thread: Some(thread),
        }
    }};
}

fn config(clock: &ManualClock, keys: &[Key]) -> SessionConfig<ActixSession> {
    SessionConfig::<ActixSession>::builder(keys[0].clone())
        .verify_keys(keys[1..].iter().cloned())
        .clock(clock.clone())
        .build()
        .expect("valid config")
}

/// The example app, as its `main` builds it, with `keys` on `clock`.
fn example(clock: &ManualClock, keys: &[Key]) -> ActixServer {
    let config = config(clock, keys);
    serve!(move || App::new()
        .wrap(SessionMiddleware::new(config.clone()))
        .configure(actix_app::routes))
}

/// The extractor awaits `revocation_check_async` before the handler sees the
/// session (docs/operations.md), as the axum one does.
#[tokio::test]
async fn the_extractor_awaits_the_async_revocation_check() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let clock = ManualClock::new(T0_MS);
    let revoked = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&revoked);
    let config = SessionConfig::<ActixSession>::builder(key(1))
        .clock(clock.clone())
        .revocation_check_async(move |_, _| {
            let flag = Arc::clone(&flag);
            async move {
                tokio::task::yield_now().await;
                !flag.load(Ordering::SeqCst)
            }
        })
        .build()
        .expect("valid config");
    let server = serve!(move || App::new()
        .wrap(SessionMiddleware::new(config.clone()))
        .configure(actix_app::routes));
    let mut browser = Client::new(server.addr);
    browser.post("/login", "name=grace").await;
    browser.assert_page(&["cookie: valid", "user: grace"]).await;

    revoked.store(true, Ordering::SeqCst);
    let home = browser.assert_page(&["cookie: refused (revoked)"]).await;
    assert!(!home.body.contains("user: grace"), "{}", home.body);
}

#[tokio::test]
async fn login_counter_logout_flow() {
    let clock = ManualClock::new(T0_MS);
    let server = example(&clock, &[key(1)]);
    let mut browser = Client::new(server.addr);

    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_line(&home.body, "cookie: none yet");
    assert_line(&home.body, "user: (not logged in)");
    assert!(home.set_cookies().is_empty(), "untouched: no cookie");

    let login = browser.post("/login", "name=grace").await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert_one_session_cookie(&login, "__Host-actix");

    let home = browser.assert_page(&["cookie: valid", "user: grace"]).await;
    assert!(home.set_cookies().is_empty(), "read-only: no cookie");
    assert!(browser.get("/health").await.set_cookies().is_empty());

    for _ in 0..3 {
        let reply = browser.post("/counter", "").await;
        assert_eq!(reply.set_cookies_for(NAME).len(), 1);
    }
    assert_line(&browser.get("/").await.body, "counter: 3");

    clock.advance(Duration::from_secs(1));
    let before = browser.cookie(NAME).expect("logged in").to_owned();
    let again = browser.post("/login", "name=grace").await;
    assert_eq!(
        again.set_cookies_for(NAME).len(),
        1,
        "renew() always re-issues"
    );
    assert_ne!(browser.cookie(NAME), Some(before.as_str()));

    let logout = browser.post("/logout", "").await;
    let set = logout.set_cookies();
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(set[0].starts_with("__Host-actix=; Max-Age=0;"), "{set:?}");
    assert_eq!(browser.cookie(NAME), None);
    assert_line(&browser.get("/").await.body, "user: (not logged in)");
}

#[tokio::test]
async fn tampered_cookie_gives_a_fresh_session_and_the_app_sees_why() {
    let clock = ManualClock::new(T0_MS);
    let server = example(&clock, &[key(1)]);
    let mut browser = Client::new(server.addr);
    browser.post("/login", "name=grace").await;
    let value = browser.cookie(NAME).expect("logged in").to_owned();
    let forged = format!("{NAME}={}", tamper(&value));
    let reply = send(server.addr, http::Method::GET, "/", Some(&forged), None).await;
    assert_line(&reply.body, "cookie: refused (bad_signature)");
    assert_line(&reply.body, "user: (not logged in)");
    assert!(reply.set_cookies().is_empty());
}

#[tokio::test]
async fn old_key_cookie_is_reissued_and_expiry_follows_the_injected_clock() {
    let clock = ManualClock::new(T0_MS);
    let old = example(&clock, &[key(1)]);
    let mut browser = Client::new(old.addr);
    browser.post("/login", "name=grace").await;
    let old_cookie = browser.cookie(NAME).expect("logged in").to_owned();

    let rotating = example(&clock, &[key(2), key(1)]);
    browser.retarget(rotating.addr);
    let home = browser.assert_page(&["cookie: valid (previous key"]).await;
    let set = home.set_cookies();
    assert_eq!(set.len(), 1, "re-keyed although untouched: {set:?}");
    assert_ne!(value_of(&set[0]), old_cookie);

    let current_only = example(&clock, &[key(2)]);
    browser.retarget(current_only.addr);
    browser.assert_page(&["cookie: valid", "user: grace"]).await;

    clock.advance(Duration::from_secs(24 * 3600 + 1));
    browser
        .assert_page(&["cookie: refused (idle_expired)", "user: (not logged in)"])
        .await;
}

/// A second session type, to show two middlewares side by side.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-cart", version = 1)]
struct Cart {
    items: u8,
}

async fn both(
    mut session: RequestSession<ActixSession>,
    mut cart: RequestSession<Cart>,
) -> HttpResponse {
    session.set_counter(7);
    cart.set_items(2);
    HttpResponse::Ok()
        .append_header((SET_COOKIE, "plain=1; Path=/"))
        .append_header((SET_COOKIE, "other=2; Path=/"))
        .body("both")
}

#[tokio::test]
async fn other_set_cookie_headers_are_kept_and_session_types_coexist() {
    let clock = ManualClock::new(T0_MS);
    let app = config(&clock, &[key(1)]);
    let cart = config_on::<Cart>(1, &clock);
    let server = serve!(move || App::new()
        .wrap(SessionMiddleware::new(app.clone()))
        .wrap(SessionMiddleware::new(cart.clone()))
        .route("/both", web::post().to(both)));
    let reply = send(server.addr, http::Method::POST, "/both", None, Some("")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let mut names: Vec<String> = reply
        .set_cookies()
        .iter()
        .map(|c| c.split('=').next().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["__Host-actix", "__Host-cart", "other", "plain"]);
}

async fn needs_session(session: RequestSession<ActixSession>) -> HttpResponse {
    HttpResponse::Ok().body(format!("counter {}", session.counter()))
}

async fn optional_session(session: Option<RequestSession<ActixSession>>) -> HttpResponse {
    HttpResponse::Ok().body(if session.is_some() {
        "with session"
    } else {
        "without session"
    })
}

#[tokio::test]
async fn a_missing_middleware_is_a_clear_error() {
    let server = serve!(|| App::new()
        .route("/", web::get().to(needs_session))
        .route("/optional", web::get().to(optional_session)));
    assert_missing_layer_is_explained(
        server.addr,
        &[
            "RequestSession<ActixSession> (cookie `__Host-actix`)",
            ".wrap(session_runtime::actix::SessionMiddleware::new(config))",
        ],
    )
    .await;
}

async fn guarded_login(mut session: RequestSession<Guarded>) -> HttpResponse {
    session.renew();
    session.set_user(Some(7));
    HttpResponse::Ok().body("logged in")
}

async fn guarded_page(mut session: RequestSession<Guarded>) -> HttpResponse {
    let visits = session.handler_visits() + 1;
    session.set_handler_visits(visits);
    HttpResponse::Ok().body(format!(
        "guard {} handler {visits} after {}",
        session.guard_visits(),
        session.after()
    ))
}

fn to_login(request: ServiceRequest) -> ServiceResponse<BoxBody> {
    request.into_response(
        HttpResponse::SeeOther()
            .insert_header((LOCATION, "/login"))
            .finish(),
    )
}

/// The common guard (`middleware::from_fn`): reads, holds the handle while
/// the handler runs.
async fn guard_reads(
    session: RequestSession<Guarded>,
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if session.user().is_none() {
        return Ok(to_login(request));
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}

/// A guard that writes before (published) and after the handler.
async fn guard_writes(
    mut session: RequestSession<Guarded>,
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if session.user().is_none() {
        return Ok(to_login(request));
    }
    let visits = session.guard_visits() + 1;
    session.set_guard_visits(visits);
    RequestSession::publish(&mut session);
    let response = next.call(request).await?;
    RequestSession::refresh(&mut session);
    let handler_visits = *session.handler_visits();
    session.set_after(handler_visits);
    Ok(response.map_into_boxed_body())
}

/// A guard that keeps unpublished changes while calling the handler.
async fn guard_holds_changes(
    mut session: RequestSession<Guarded>,
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    session.set_guard_visits(99);
    Ok(next.call(request).await?.map_into_boxed_body())
}

#[tokio::test]
async fn a_guard_middleware_and_its_handler_share_the_session() {
    let config = SessionConfig::<Guarded>::new(key(1)).expect("valid config");
    let server = serve!(move || App::new()
        .wrap(SessionMiddleware::new(config.clone()))
        .route("/login", web::post().to(guarded_login))
        .service(
            web::scope("/reads")
                .wrap(from_fn(guard_reads))
                .route("", web::get().to(guarded_page))
        )
        .service(
            web::scope("/writes")
                .wrap(from_fn(guard_writes))
                .route("", web::get().to(guarded_page))
        )
        .service(
            web::scope("/holds")
                .wrap(from_fn(guard_holds_changes))
                .route("", web::get().to(guarded_page))
        )
        // `wrap_fn`: the same guard written as a closure.
        .service(
            web::scope("/wrapped")
                .wrap_fn(|request, service| {
                    let session = RequestSession::<Guarded>::extract(request.request());
                    let call = service.call(request);
                    async move {
                        let session = session.await?;
                        if session.user().is_none() {
                            return Err(actix_web::error::ErrorUnauthorized("log in first"));
                        }
                        call.await // the handler runs while `session` is held
                    }
                })
                .route("", web::get().to(guarded_page))
        ));
    let mut browser = Client::new(server.addr);
    let name = Guarded::NAME;

    // Not logged in: the guard redirects, the handler never runs, no cookie.
    let reply = browser.get("/reads").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(reply.set_cookies().is_empty());
    assert_eq!(
        browser.get("/wrapped").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        browser.post("/login", "").await.set_cookies_for(name).len(),
        1
    );

    // Guard reads (holding its handle), handler writes: stored once.
    for (visit, path) in [(1, "/reads"), (2, "/wrapped")] {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body, format!("guard 0 handler {visit} after 0"));
        assert_eq!(reply.set_cookies().len(), 1, "{:?}", reply.set_cookies());
    }

    // Guard writes and publishes, handler writes, guard writes again after
    // the handler: all three changes, one Set-Cookie.
    let reply = browser.get("/writes").await;
    assert_eq!(reply.body, "guard 1 handler 3 after 0");
    assert_eq!(reply.set_cookies().len(), 1, "{:?}", reply.set_cookies());
    assert_eq!(
        browser.get("/reads").await.body,
        "guard 1 handler 4 after 3"
    );

    // Unpublished changes while the handler asks: refused, nothing stored.
    let before = browser.cookie(name).expect("cookie").to_owned();
    let reply = browser.get("/holds").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_line(&reply.body, "is already in use");
    assert_line(&reply.body, "RequestSession::publish(&mut session);");
    assert!(reply.set_cookies().is_empty());
    assert_eq!(browser.cookie(name), Some(before.as_str()));
}

/// A session with a CSRF token kept as the README's `[u8; 32]`.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-forms", version = 1)]
struct Forms {
    #[session(csrf)]
    csrf: [u8; 32],
    saved: BoundedString<16>,
}

async fn form_page(session: RequestSession<Forms>) -> HttpResponse {
    HttpResponse::Ok().body(format!(
        r#"saved: {} <form method="post" action="/save">{}</form>"#,
        session.saved(),
        CsrfToken::from(*session.csrf()).hidden_input()
    ))
}

#[derive(Deserialize)]
struct SaveForm {
    text: String,
}

async fn save(mut session: RequestSession<Forms>, form: web::Form<SaveForm>) -> HttpResponse {
    session.set_saved(BoundedString::truncating(&form.text));
    HttpResponse::Ok().body("saved")
}

#[tokio::test]
async fn csrf_middleware_refuses_unsafe_requests_without_the_token() {
    let config = SessionConfig::<Forms>::new(key(1)).expect("valid config");
    let server = serve!(move || App::new()
        .wrap(CsrfMiddleware::<Forms>::new())
        .wrap(SessionMiddleware::new(config.clone()))
        .route("/", web::get().to(form_page))
        .route("/save", web::post().to(save))
        .route("/save", web::delete().to(save)));
    let mut browser = Client::new(server.addr);
    let first = browser.get("/").await;
    assert_eq!(
        first.set_cookies_for(Forms::NAME).len(),
        1,
        "a token on the first view"
    );
    let token = browser.csrf().expect("the page shows the token").to_owned();
    assert!(browser.get("/").await.set_cookies().is_empty(), "made once");

    for form in ["text=a", "text=a&csrf_token=", "text=a&csrf_token=AAAA"] {
        let reply = browser.post_raw("/save", form).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{form:?}");
        assert_line(&reply.body, "CSRF token missing or invalid");
    }
    let reply = send(server.addr, http::Method::DELETE, "/save", None, None).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    // The form field: the body still reaches the handler's `web::Form`.
    let reply = browser
        .post_raw("/save", &format!("text=hello&csrf_token={token}"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_line(&browser.get("/").await.body, "saved: hello");

    // An oversized form is refused before the handler.
    let big = format!("text={}&csrf_token={token}", "x".repeat(70 * 1024));
    assert_eq!(
        browser.post_raw("/save", &big).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

/// Two handles change the session at once: the session cannot be stored.
async fn writes_at_once(
    mut first: RequestSession<ActixSession>,
    mut second: RequestSession<ActixSession>,
) -> HttpResponse {
    first.set_counter(1);
    second.set_counter(2); // `first` still holds unpublished changes
    HttpResponse::Ok().body("saved (the handler thinks)")
}

/// A session that could not be stored gives an empty `500` (as the tower
/// adapter's): the reason is logged and attached as an extension for the
/// operator, never shown to the user.
#[tokio::test]
async fn a_failed_store_answers_500_without_internals() {
    let clock = ManualClock::new(T0_MS);
    let config = config(&clock, &[key(1)]);
    let server = serve!(move || App::new()
        .wrap(SessionMiddleware::new(config.clone()))
        // Registered last, so outermost: it sees the adapter's answer.
        .wrap_fn(|request, service| {
            let response = service.call(request);
            async move {
                let response = response.await?;
                let kind = response
                    .response()
                    .extensions()
                    .get::<session_runtime::adapter::FinishError>()
                    .map(|failed| format!("{:?}", failed.kind()));
                let mut response = response;
                if let Some(kind) = kind {
                    response.headers_mut().insert(
                        actix_web::http::header::HeaderName::from_static("x-test-finish-error"),
                        actix_web::http::header::HeaderValue::from_str(&kind).unwrap(),
                    );
                }
                Ok(response)
            }
        })
        .route("/once", web::post().to(writes_at_once)));
    let reply = send(server.addr, http::Method::POST, "/once", None, None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.body, "", "no internals in the body");
    assert!(reply.set_cookies().is_empty());
    assert_eq!(
        reply
            .headers
            .get("x-test-finish-error")
            .map(|v| v.to_str().unwrap()),
        Some("ConflictingWriters")
    );
}
