//! The axum adapter over real HTTP on 127.0.0.1: the example app
//! (`examples/axum_app.rs`, compiled in here) on an ephemeral port, driven by a
//! hyper client with a cookie jar. The session configs use a manual clock, so
//! time moves only when a test says so.

#[allow(dead_code)]
#[path = "../examples/axum_app.rs"]
mod axum_app;
#[path = "http/client.rs"]
mod client;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use http::header::SET_COOKIE;
use http::StatusCode;
use session_runtime::adapter::{FinishError, FinishErrorKind};
use session_runtime::axum::{RequestSession, SessionLayer, SessionStoreFailed};
use session_runtime::{CookieSession, Key, ManualClock, SessionConfig};
use session_tests::{key, Guarded, Liar, T0_MS};

use axum_app::{AppSession, Prefs};
use client::{
    assert_line, assert_missing_layer_is_explained, assert_one_session_cookie, send,
    send_with_header, tamper, value_of, Client,
};

const APP: &str = AppSession::NAME;
const PREFS: &str = Prefs::NAME;

/// Configs for both session types: `keys[0]` signs, the rest verify.
fn configs(clock: &ManualClock, keys: &[Key]) -> (SessionConfig<AppSession>, SessionConfig<Prefs>) {
    let app = SessionConfig::<AppSession>::builder(keys[0].clone())
        .verify_keys(keys[1..].iter().cloned())
        .clock(clock.clone())
        .build()
        .expect("valid config");
    let prefs = SessionConfig::<Prefs>::builder(keys[0].clone())
        .verify_keys(keys[1..].iter().cloned())
        .clock(clock.clone())
        .build()
        .expect("valid config");
    (app, prefs)
}

/// Serves `router` on 127.0.0.1 with an OS-chosen port. The server is a task
/// of the test's runtime: it stops when the test ends.
async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// The example app with keys `keys` on `clock`.
async fn example(clock: &ManualClock, keys: &[Key]) -> SocketAddr {
    let (app, prefs) = configs(clock, keys);
    serve(axum_app::router(app, prefs)).await
}

/// A browser logged in as `ada` to the example app (key 1) on `clock`,
/// having followed the login's redirect to `/` (which shows the welcome
/// flash and the CSRF token the login made).
async fn logged_in_as_ada(clock: &ManualClock) -> Client {
    let mut browser = Client::with_csrf(example(clock, &[key(1)]).await);
    browser.post("/login", "name=ada").await;
    browser.get("/").await;
    browser
}

#[tokio::test]
async fn login_counter_cart_logout_flow() {
    let clock = ManualClock::new(T0_MS);
    let mut browser = Client::with_csrf(example(&clock, &[key(1)]).await);

    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_line(&home.body, "cookie: none yet");
    assert_line(&home.body, "user: (not logged in)");
    // The CSRF layer gives the visitor a token on the first page view, and
    // the page's forms carry it.
    assert_eq!(
        home.set_cookies_for(APP).len(),
        1,
        "{:?}",
        home.set_cookies()
    );
    assert_eq!(browser.csrf().map(str::len), Some(43));

    let login = browser.post("/login", "name=Ada+%3CL%3E").await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert_one_session_cookie(&login, "__Host-app");

    // The name is typed, and escaped by the app.
    let home = browser
        .assert_page(&["cookie: valid", "user: Ada &lt;L&gt;", "counter: 0"])
        .await;
    // The flash message is shown once: taking it changes the session.
    assert_line(&home.body, r#"<p id="flash">Welcome, Ada &lt;L&gt;!</p>"#);
    assert_eq!(home.set_cookies_for(APP).len(), 1);
    let home = browser.get("/").await;
    assert!(!home.body.contains("id=\"flash\""), "{}", home.body);
    assert!(home.set_cookies().is_empty(), "read-only: no cookie");

    for _ in 0..2 {
        let reply = browser.post("/counter", "").await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(reply.set_cookies_for(APP).len(), 1);
    }
    let reply = browser.post("/cart", "item=fig").await;
    assert_eq!(reply.set_cookies_for(APP).len(), 1);
    browser
        .assert_page(&["counter: 2", "cart: [fig] (1/8)"])
        .await;

    // Logging in again with the same data still issues a new cookie: renew()
    // starts a new session lifetime (fixation defence).
    clock.advance(Duration::from_secs(1));
    let before = browser.cookie(APP).expect("logged in").to_owned();
    let old_token = browser.csrf().expect("token").to_owned();
    let again = browser.post("/login", "name=Ada+%3CL%3E").await;
    assert_eq!(again.set_cookies_for(APP).len(), 1);
    assert_ne!(browser.cookie(APP), Some(before.as_str()));
    // The login replaced the CSRF token: the old one no longer passes, the
    // page the login redirects to shows the new one.
    let stale = browser
        .post_raw("/counter", &format!("csrf_token={old_token}"))
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    browser.get("/").await;
    assert_ne!(browser.csrf(), Some(old_token.as_str()));

    // Logout clears the session and leaves a flash: the cookie now holds a
    // new session with only the message (and, after the next page, a new token).
    let before = browser.cookie(APP).expect("logged in").to_owned();
    let old_token = browser.csrf().expect("token").to_owned();
    let logout = browser.post("/logout", "").await;
    let set = logout.set_cookies();
    assert_eq!(set.len(), 1, "{set:?}");
    assert_ne!(value_of(&set[0]), before);
    let home = browser.get("/").await;
    assert_line(&home.body, r#"<p id="flash">You are logged out.</p>"#);
    assert_line(&home.body, "user: (not logged in)");
    assert_line(&home.body, "counter: 0");
    assert_line(&home.body, "cart: [] (0/8)");
    assert_ne!(
        browser.csrf(),
        Some(old_token.as_str()),
        "a new session, a new token"
    );
}

/// "Log out everywhere" is a form too: a cross-site post must not reach it.
/// (Without Redis configured the route answers 503 once the token passes.)
#[tokio::test]
async fn logout_everywhere_needs_the_csrf_token() {
    let clock = ManualClock::new(T0_MS);
    let (app, prefs) = configs(&clock, &[key(1)]);
    let ops = axum_app::ops_env::routes(app.clone(), None);
    let addr = serve(axum_app::router(app, prefs).merge(ops)).await;
    let mut browser = Client::with_csrf(addr);
    browser.post("/login", "name=ada").await;
    browser.get("/").await; // the login's redirect: the page shows the new token
    let reply = browser.post_raw("/logout-everywhere", "").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = browser.post("/logout-everywhere", "").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn csrf_posts_without_the_sessions_token_are_refused() {
    let clock = ManualClock::new(T0_MS);
    let addr = example(&clock, &[key(1)]).await;
    let mut browser = Client::with_csrf(addr);
    browser.post("/counter", "").await;
    let token = browser.csrf().expect("token").to_owned();
    assert_line(&browser.get("/").await.body, "counter: 1");

    // No token, a wrong token, another visitor's token: 403, nothing changes.
    let mut other = Client::with_csrf(addr);
    other.get("/").await;
    let foreign = other.csrf().expect("token").to_owned();
    for form in [
        "",
        "csrf_token=",
        "csrf_token=AAAA",
        &format!("csrf_token={foreign}"),
    ] {
        let reply = browser.post_raw("/counter", form).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{form:?}");
        assert!(reply.set_cookies().is_empty());
    }
    // A cross-site request carries the cookie but cannot know the token.
    let cookie = browser.cookie_header();
    let reply = send(
        addr,
        http::Method::POST,
        "/logout",
        cookie.as_deref(),
        Some(""),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_line(&browser.get("/").await.body, "counter: 1");

    // The `X-CSRF-Token` header works as well as the form field...
    let cookie = browser.cookie_header();
    for (value, status) in [
        (token.as_str(), StatusCode::SEE_OTHER),
        ("AAAA", StatusCode::FORBIDDEN),
    ] {
        let header = ("x-csrf-token", value);
        let reply = send_with_header(
            addr,
            http::Method::POST,
            "/counter",
            cookie.as_deref(),
            header,
        )
        .await;
        assert_eq!(reply.status, status, "{value}");
        for set_cookie in reply.set_cookies() {
            browser.apply(&set_cookie);
        }
    }
    assert_line(&browser.get("/").await.body, "counter: 2");
    // ...and the form body still reaches the handler's own `Form` extractor
    // after the check.
    let reply = browser
        .post_raw("/cart", &format!("item=pear&csrf_token={token}"))
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_line(&browser.get("/").await.body, "cart: [pear] (1/8)");
}

#[tokio::test]
async fn untouched_routes_send_no_set_cookie_and_session_types_are_independent() {
    let clock = ManualClock::new(T0_MS);
    let mut browser = logged_in_as_ada(&clock).await;
    let app_cookie = browser.cookie(APP).expect("logged in").to_owned();

    for path in ["/health", "/"] {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(
            reply.set_cookies().is_empty(),
            "{path}: {:?}",
            reply.set_cookies()
        );
    }

    // The second session type has its own cookie; changing it leaves the first alone.
    let theme = browser.post("/theme", "").await;
    let set = theme.set_cookies();
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(set[0].starts_with("__Host-prefs="), "{set:?}");
    browser.assert_page(&["theme: dark", "user: ada"]).await;
    assert_eq!(browser.cookie(APP), Some(app_cookie.as_str()));

    // Logout clears the app session only; preferences survive.
    browser.post("/logout", "").await;
    browser
        .assert_page(&["user: (not logged in)", "theme: dark"])
        .await;
}

#[tokio::test]
async fn tampered_or_garbage_cookie_gives_a_fresh_session_and_the_app_sees_why() {
    let clock = ManualClock::new(T0_MS);
    let addr = example(&clock, &[key(1)]).await;
    let mut browser = Client::with_csrf(addr);
    browser.post("/login", "name=ada").await;
    let value = browser.cookie(APP).expect("logged in").to_owned();

    let forged = format!("{APP}={}", tamper(&value));
    let reply = send(addr, http::Method::GET, "/", Some(&forged), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_line(&reply.body, "cookie: refused (bad_signature)");
    assert_line(&reply.body, "user: (not logged in)");
    // The fresh session only gets a CSRF token of its own.
    let set = reply.set_cookies_for(APP);
    assert_eq!(set.len(), 1, "{set:?}");
    let mut fresh = Client::new(addr);
    fresh.apply(&set[0]);
    assert_line(&fresh.get("/").await.body, "user: (not logged in)");

    let garbage = format!("{APP}=%%not-base64%%");
    let reply = send(addr, http::Method::GET, "/", Some(&garbage), None).await;
    assert_line(&reply.body, "cookie: refused (not_base64)");

    // The CSRF token lived in the refused cookie: a post riding on it fails.
    let token = browser.csrf().expect("token").to_owned();
    let form = format!("csrf_token={token}");
    let reply = send(
        addr,
        http::Method::POST,
        "/counter",
        Some(&forged),
        Some(&form),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.set_cookies().is_empty());
}

/// The extractor awaits `revocation_check_async` before the handler sees the
/// session (docs/operations.md): a revoked user's next request gets a fresh
/// session, and the check's future really is awaited (it yields first).
#[tokio::test]
async fn the_extractor_awaits_the_async_revocation_check() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let clock = ManualClock::new(T0_MS);
    let revoked = Arc::new(AtomicBool::new(false));
    let checks = Arc::new(AtomicUsize::new(0));
    let (flag, count) = (Arc::clone(&revoked), Arc::clone(&checks));
    let app = SessionConfig::<AppSession>::builder(key(1))
        .clock(clock.clone())
        .revocation_check_async(move |_, _| {
            let (flag, count) = (Arc::clone(&flag), Arc::clone(&count));
            async move {
                tokio::task::yield_now().await;
                count.fetch_add(1, Ordering::SeqCst);
                !flag.load(Ordering::SeqCst)
            }
        })
        .build()
        .expect("valid config");
    let (_, prefs) = configs(&clock, &[key(1)]);
    let mut browser = Client::with_csrf(serve(axum_app::router(app, prefs)).await);
    browser.post("/login", "name=ada").await;
    browser.assert_page(&["cookie: valid", "user: ada"]).await;
    assert!(checks.load(Ordering::SeqCst) >= 1, "the check ran");

    revoked.store(true, Ordering::SeqCst);
    let home = browser.assert_page(&["cookie: refused (revoked)"]).await;
    assert!(!home.body.contains("user: ada"), "{}", home.body);
}

#[tokio::test]
async fn old_key_cookie_is_accepted_and_reissued_with_the_current_key() {
    let clock = ManualClock::new(T0_MS);
    let mut browser = logged_in_as_ada(&clock).await;
    let old_cookie = browser.cookie(APP).expect("logged in").to_owned();

    // Deploy with a new key, the old one kept for verification.
    browser.retarget(example(&clock, &[key(2), key(1)]).await);
    let home = browser
        .assert_page(&["cookie: valid (previous key", "user: ada"])
        .await;
    let set = home.set_cookies();
    assert_eq!(set.len(), 1, "re-keyed although untouched: {set:?}");
    let new_cookie = value_of(&set[0]).to_owned();
    assert_ne!(new_cookie, old_cookie);
    let home = browser.assert_page(&["cookie: valid"]).await;
    assert!(home.set_cookies().is_empty(), "re-keyed once, then quiet");

    // Later the old key is dropped: the re-issued cookie still works, the old one not.
    let addr = example(&clock, &[key(2)]).await;
    browser.retarget(addr);
    browser.assert_page(&["cookie: valid", "user: ada"]).await;
    let stale = format!("{APP}={old_cookie}");
    let reply = send(addr, http::Method::GET, "/", Some(&stale), None).await;
    assert_line(&reply.body, "cookie: refused (unknown_key)");
}

#[tokio::test]
async fn idle_refresh_and_expiry_follow_the_injected_clock() {
    let clock = ManualClock::new(T0_MS);
    let mut browser = logged_in_as_ada(&clock).await;

    // Past the refresh interval (1 h): a route that uses the session re-issues
    // it to keep the idle timeout rolling; a route that does not stays quiet.
    clock.advance(Duration::from_secs(2 * 3600));
    assert!(browser.get("/health").await.set_cookies().is_empty());
    let before = browser.cookie(APP).expect("cookie").to_owned();
    let home = browser.assert_page(&["cookie: valid"]).await;
    assert_eq!(home.set_cookies_for(APP).len(), 1, "idle refresh");
    assert_ne!(browser.cookie(APP), Some(before.as_str()));

    // 24 h without a request: the cookie is refused from the timestamp under the
    // MAC, whatever Max-Age the browser was told.
    clock.advance(Duration::from_secs(24 * 3600 + 1));
    browser
        .assert_page(&["cookie: refused (idle_expired)", "user: (not logged in)"])
        .await;
}

#[tokio::test]
async fn concurrent_requests_last_response_wins() {
    let clock = ManualClock::new(T0_MS);
    let mut browser = logged_in_as_ada(&clock).await;
    // Two tabs send the same cookie before either response arrives: each
    // response carries the whole session, so the second overwrites the first.
    let mut tab_a = browser.clone();
    let mut tab_b = browser.clone();
    let (a, b) = tokio::join!(tab_a.post("/counter", ""), tab_b.post("/counter", ""));
    for reply in [&a, &b] {
        assert_eq!(reply.set_cookies_for(APP).len(), 1);
        browser.apply(&reply.set_cookies_for(APP)[0]);
    }
    // not 2: one increment is lost
    browser.assert_page(&["counter: 1"]).await;
}

async fn both(
    mut app: RequestSession<AppSession>,
    mut prefs: RequestSession<Prefs>,
) -> impl IntoResponse {
    app.set_counter(7);
    prefs.set_dark(true);
    (
        AppendHeaders([
            (SET_COOKIE, "plain=1; Path=/"),
            (SET_COOKIE, "other=2; Path=/"),
        ]),
        "both",
    )
}

#[tokio::test]
async fn other_set_cookie_headers_are_kept() {
    let clock = ManualClock::new(T0_MS);
    let (app, prefs) = configs(&clock, &[key(1)]);
    let router = Router::new()
        .route("/both", post(both))
        .layer(SessionLayer::new(app.clone()))
        .layer(SessionLayer::new(prefs))
        // The same session type layered twice is written once.
        .layer(SessionLayer::new(app));
    let mut browser = Client::new(serve(router).await);
    let reply = browser.post("/both", "").await;
    let names: Vec<String> = reply
        .set_cookies()
        .iter()
        .map(|c| c.split('=').next().unwrap().to_owned())
        .collect();
    // Appended after the handler's own, innermost layer first; the app session
    // is stored once, by the outermost of its two layers.
    assert_eq!(names, ["plain", "other", PREFS, APP]);
}

async fn needs_app_session(session: RequestSession<AppSession>) -> String {
    format!("counter {}", session.counter())
}

async fn optional_session(session: Option<RequestSession<AppSession>>) -> &'static str {
    match session {
        Some(_) => "with session",
        None => "without session",
    }
}

#[tokio::test]
async fn a_missing_layer_is_a_clear_error_not_a_silent_loss() {
    let clock = ManualClock::new(T0_MS);
    let (_, prefs) = configs(&clock, &[key(1)]);
    // Only the Prefs layer: the AppSession extractor finds no slot.
    let router = Router::new()
        .route("/", get(needs_app_session))
        .route("/optional", get(optional_session))
        .layer(SessionLayer::new(prefs));
    let addr = serve(router).await;
    assert_missing_layer_is_explained(
        addr,
        &[
            "RequestSession<AppSession> (cookie `__Host-app`)",
            "no session layer for AppSession wraps this route",
            ".layer(session_runtime::axum::SessionLayer::new(config))",
        ],
    )
    .await;
}

async fn guarded_login(mut session: RequestSession<Guarded>) -> &'static str {
    session.renew();
    session.set_user(Some(7));
    "logged in"
}

/// The handler behind every guard: it extracts the session the guard holds.
async fn guarded_page(mut session: RequestSession<Guarded>) -> String {
    let visits = session.handler_visits() + 1;
    session.set_handler_visits(visits);
    format!(
        "guard {} handler {visits} after {}",
        session.guard_visits(),
        session.after()
    )
}

/// The common guard: reads, holds the handle while the handler runs.
async fn guard_reads(session: RequestSession<Guarded>, request: Request, next: Next) -> Response {
    if session.user().is_none() {
        return Redirect::to("/login").into_response();
    }
    next.run(request).await
}

/// A guard that writes before (published) and after the handler.
async fn guard_writes(
    mut session: RequestSession<Guarded>,
    request: Request,
    next: Next,
) -> Response {
    if session.user().is_none() {
        return Redirect::to("/login").into_response();
    }
    let visits = session.guard_visits() + 1;
    session.set_guard_visits(visits);
    RequestSession::publish(&mut session);
    let response = next.run(request).await;
    // The handle still shows the state before the handler; move it to the
    // latest state before reading and changing it again.
    RequestSession::refresh(&mut session);
    let handler_visits = *session.handler_visits();
    session.set_after(handler_visits);
    response
}

/// A guard that changes the session after the handler from what it read before.
async fn guard_writes_stale(
    mut session: RequestSession<Guarded>,
    request: Request,
    next: Next,
) -> Response {
    let seen = *session.handler_visits();
    let response = next.run(request).await;
    session.set_after(seen); // `seen` may be stale: refused, not stored
    response
}

/// A guard that writes and keeps its changes while calling the handler.
async fn guard_holds_changes(
    mut session: RequestSession<Guarded>,
    request: Request,
    next: Next,
) -> Response {
    session.set_guard_visits(99);
    next.run(request).await
}

fn guarded_router(config: SessionConfig<Guarded>) -> Router {
    Router::new()
        .route("/reads", get(guarded_page))
        .route_layer(axum::middleware::from_fn(guard_reads))
        .merge(
            Router::new()
                .route("/writes", get(guarded_page))
                .route_layer(axum::middleware::from_fn(guard_writes)),
        )
        .merge(
            Router::new()
                .route("/stale", get(guarded_page))
                .route_layer(axum::middleware::from_fn(guard_writes_stale)),
        )
        .merge(
            Router::new()
                .route("/holds", get(guarded_page))
                .route_layer(axum::middleware::from_fn(guard_holds_changes)),
        )
        .route("/login", post(guarded_login))
        .layer(SessionLayer::new(config))
}

#[tokio::test]
async fn a_guard_middleware_and_its_handler_share_the_session() {
    let config = SessionConfig::<Guarded>::new(key(1)).expect("valid config");
    let mut browser = Client::new(serve(guarded_router(config)).await);
    let name = Guarded::NAME;

    // Not logged in: the guard redirects, the handler never runs, no cookie.
    let reply = browser.get("/reads").await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.headers["location"], "/login");
    assert!(reply.set_cookies().is_empty());
    assert_eq!(
        browser.post("/login", "").await.set_cookies_for(name).len(),
        1
    );

    // Guard reads (holding its handle), handler writes: stored once.
    for visit in 1..=2 {
        let reply = browser.get("/reads").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body, format!("guard 0 handler {visit} after 0"));
        assert_eq!(reply.set_cookies().len(), 1, "{:?}", reply.set_cookies());
    }

    // Guard writes and publishes, handler writes, guard writes again after
    // the handler: all three changes, one Set-Cookie.
    let reply = browser.get("/writes").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, "guard 1 handler 3 after 0");
    assert_eq!(reply.set_cookies().len(), 1, "{:?}", reply.set_cookies());
    let reply = browser.get("/reads").await;
    assert_eq!(reply.body, "guard 1 handler 4 after 3");

    // A guard that keeps unpublished changes while the handler asks for the
    // session: refused with a message naming the fix, nothing stored.
    let before = browser.cookie(name).expect("cookie").to_owned();
    let reply = browser.get("/holds").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_line(
        &reply.body,
        "RequestSession<Guarded> (cookie `__Host-guarded`) is already in use",
    );
    assert_line(&reply.body, "RequestSession::publish(&mut session);");
    assert!(reply.set_cookies().is_empty());
    assert_eq!(browser.cookie(name), Some(before.as_str()));

    // A guard that writes, after the handler, what it read before: refused.
    let reply = browser.get("/stale").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.set_cookies().is_empty());
    assert_eq!(
        browser.get("/reads").await.body,
        "guard 1 handler 5 after 3"
    );
}

async fn reads_twice(
    first: RequestSession<AppSession>,
    second: RequestSession<AppSession>,
) -> String {
    format!("{} {}", first.counter(), second.counter())
}

async fn writes_in_turn(
    mut first: RequestSession<AppSession>,
    mut second: RequestSession<AppSession>,
) -> &'static str {
    first.set_counter(1);
    RequestSession::publish(&mut first);
    RequestSession::refresh(&mut second); // now it shows `first`'s change
    let next = second.counter() + 1;
    second.set_counter(next);
    "in turn"
}

async fn writes_from_a_stale_read(
    mut first: RequestSession<AppSession>,
    mut second: RequestSession<AppSession>,
) -> &'static str {
    let seen = *second.counter();
    first.set_counter(10);
    RequestSession::publish(&mut first);
    second.set_counter(seen + 1); // would overwrite 10 with 3
    "stale"
}

async fn writes_at_once(
    mut first: RequestSession<AppSession>,
    mut second: RequestSession<AppSession>,
) -> &'static str {
    first.set_counter(1);
    second.set_counter(2); // `first` still holds unpublished changes
    "at once"
}

async fn counter(session: RequestSession<AppSession>) -> String {
    session.counter().to_string()
}

#[tokio::test]
async fn several_handles_in_one_request_never_lose_an_update_silently() {
    let clock = ManualClock::new(T0_MS);
    let (app, _) = configs(&clock, &[key(1)]);
    let failures = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = failures.clone();
    let router = Router::new()
        .route("/twice", get(reads_twice))
        .route("/turn", post(writes_in_turn))
        .route("/once", post(writes_at_once))
        .route("/stale", post(writes_from_a_stale_read))
        .route("/counter", get(counter))
        .layer(SessionLayer::new(app))
        .layer(axum::middleware::map_response(move |response: Response| {
            let seen = seen.clone();
            async move {
                if let Some(failed) = response.extensions().get::<FinishError>() {
                    seen.lock().unwrap().push(failed.clone());
                }
                response
            }
        }));
    let mut browser = Client::new(serve(router).await);
    let reply = browser.get("/twice").await;
    assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, "0 0"));
    assert!(reply.set_cookies().is_empty());

    let reply = browser.post("/turn", "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.set_cookies().len(), 1);
    assert_eq!(browser.get("/counter").await.body, "2");

    for path in ["/once", "/stale"] {
        let reply = browser.post(path, "").await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert!(reply.set_cookies().is_empty(), "{path}: nothing is stored");
        assert_eq!(browser.get("/counter").await.body, "2");
    }
    let failures = failures.lock().unwrap();
    assert_eq!(failures.len(), 2);
    assert_eq!(*failures[0].kind(), FinishErrorKind::ConflictingWriters);
    assert!(
        failures[0]
            .message()
            .contains("changed the session at once"),
        "{failures:?}"
    );
    assert_eq!(*failures[1].kind(), FinishErrorKind::StaleWriter);
}

async fn overfill(mut liar: RequestSession<Liar>) -> impl IntoResponse {
    liar.get_mut().text = "far more than eight bytes".into();
    "saved (the handler thinks)"
}

#[tokio::test]
async fn a_session_that_cannot_be_stored_fails_the_request_instead_of_lying() {
    let config = SessionConfig::<Liar>::new(key(1)).expect("valid config");
    let failures = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = failures.clone();
    let router = Router::new()
        .route("/", post(overfill))
        .layer(SessionLayer::new(config))
        .layer(axum::middleware::map_response(
            move |response: axum::response::Response| {
                let seen = seen.clone();
                async move {
                    if let Some(failed) = response.extensions().get::<SessionStoreFailed>() {
                        seen.lock().unwrap().push(failed.message().to_owned());
                    }
                    response
                }
            },
        ));
    let reply = send(serve(router).await, http::Method::POST, "/", None, Some("")).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.set_cookies().is_empty());
    assert_eq!(reply.body, "");
    let failures = failures.lock().unwrap();
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].contains("compile-time bound of 8 bytes"),
        "{failures:?}"
    );
}
