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

use axum::response::{AppendHeaders, IntoResponse};
use axum::routing::{get, post};
use axum::Router;
use http::header::SET_COOKIE;
use http::StatusCode;
use session_runtime::tower::{SessionLayer, SessionStoreFailed};
use session_runtime::{CookieSession, Key, ManualClock, RequestSession, SessionConfig};
use session_tests::{key, Liar, T0_MS};

use axum_app::{AppSession, Prefs};
use client::{send, tamper, value_of, Client};

const APP: &str = AppSession::NAME;
const PREFS: &str = Prefs::NAME;

/// Configs for both session types: `keys[0]` signs, the rest verify.
fn configs(clock: &ManualClock, keys: &[Key]) -> (SessionConfig<AppSession>, SessionConfig<Prefs>) {
    let app = SessionConfig::<AppSession>::builder(keys[0].clone())
        .previous_keys(keys[1..].iter().cloned())
        .clock(clock.clone())
        .build()
        .expect("valid config");
    let prefs = SessionConfig::<Prefs>::builder(keys[0].clone())
        .previous_keys(keys[1..].iter().cloned())
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

fn assert_line(body: &str, line: &str) {
    assert!(
        body.contains(line),
        "expected {line:?} in the page:\n{body}"
    );
}

#[tokio::test]
async fn login_counter_cart_logout_flow() {
    let clock = ManualClock::new(T0_MS);
    let mut browser = Client::new(example(&clock, &[key(1)]).await);

    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_line(&home.body, "cookie: none yet");
    assert_line(&home.body, "user: (not logged in)");
    assert_eq!(
        home.set_cookies(),
        Vec::<String>::new(),
        "untouched: no cookie"
    );

    let login = browser.post("/login", "name=Ada+%3CL%3E").await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let set = login.set_cookies();
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(set[0].starts_with("__Host-app="), "{set:?}");
    assert!(
        set[0].ends_with("; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Lax"),
        "{set:?}"
    );

    let home = browser.get("/").await;
    assert_line(&home.body, "cookie: valid");
    assert_line(&home.body, "user: Ada &lt;L&gt;"); // typed, and escaped by the app
    assert_line(&home.body, "counter: 0");
    assert!(home.set_cookies().is_empty(), "read-only: no cookie");

    for _ in 0..2 {
        let reply = browser.post("/counter", "").await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(reply.set_cookies_for(APP).len(), 1);
    }
    let reply = browser.post("/cart", "item=fig").await;
    assert_eq!(reply.set_cookies_for(APP).len(), 1);
    let home = browser.get("/").await;
    assert_line(&home.body, "counter: 2");
    assert_line(&home.body, "cart: [fig] (1/8)");

    // Logging in again with the same data still issues a new cookie: renew()
    // starts a new session lifetime (fixation defence).
    clock.advance(Duration::from_secs(1));
    let before = browser.cookie(APP).expect("logged in").to_owned();
    let again = browser.post("/login", "name=Ada+%3CL%3E").await;
    assert_eq!(again.set_cookies_for(APP).len(), 1);
    assert_ne!(browser.cookie(APP), Some(before.as_str()));

    let logout = browser.post("/logout", "").await;
    let set = logout.set_cookies();
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(
        set[0].starts_with("__Host-app=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
        "{set:?}"
    );
    assert_eq!(browser.cookie(APP), None, "the expiring cookie deletes it");
    let home = browser.get("/").await;
    assert_line(&home.body, "user: (not logged in)");
    assert_line(&home.body, "counter: 0");
}

#[tokio::test]
async fn untouched_routes_send_no_set_cookie_and_session_types_are_independent() {
    let clock = ManualClock::new(T0_MS);
    let mut browser = Client::new(example(&clock, &[key(1)]).await);
    browser.post("/login", "name=ada").await;
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
    let home = browser.get("/").await;
    assert_line(&home.body, "theme: dark");
    assert_line(&home.body, "user: ada");
    assert_eq!(browser.cookie(APP), Some(app_cookie.as_str()));

    // Logout clears the app session only; preferences survive.
    browser.post("/logout", "").await;
    let home = browser.get("/").await;
    assert_line(&home.body, "user: (not logged in)");
    assert_line(&home.body, "theme: dark");
}

#[tokio::test]
async fn tampered_or_garbage_cookie_gives_a_fresh_session_and_the_app_sees_why() {
    let clock = ManualClock::new(T0_MS);
    let addr = example(&clock, &[key(1)]).await;
    let mut browser = Client::new(addr);
    browser.post("/login", "name=ada").await;
    let value = browser.cookie(APP).expect("logged in").to_owned();

    let forged = format!("{APP}={}", tamper(&value));
    let reply = send(addr, http::Method::GET, "/", Some(&forged), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_line(&reply.body, "cookie: refused (bad_signature)");
    assert_line(&reply.body, "user: (not logged in)");
    assert!(
        reply.set_cookies().is_empty(),
        "a fresh untouched session sends nothing"
    );

    let garbage = format!("{APP}=%%not-base64%%");
    let reply = send(addr, http::Method::GET, "/", Some(&garbage), None).await;
    assert_line(&reply.body, "cookie: refused (not_base64)");

    // A mutation on top of a refused cookie starts a fresh session.
    let reply = send(
        addr,
        http::Method::POST,
        "/counter",
        Some(&forged),
        Some(""),
    )
    .await;
    let set = reply.set_cookies_for(APP);
    assert_eq!(set.len(), 1);
    let mut fresh = Client::new(addr);
    fresh.apply(&set[0]);
    let home = fresh.get("/").await;
    assert_line(&home.body, "cookie: valid");
    assert_line(&home.body, "counter: 1");
    assert_line(&home.body, "user: (not logged in)");
}

#[tokio::test]
async fn old_key_cookie_is_accepted_and_reissued_with_the_current_key() {
    let clock = ManualClock::new(T0_MS);
    let mut browser = Client::new(example(&clock, &[key(1)]).await);
    browser.post("/login", "name=ada").await;
    let old_cookie = browser.cookie(APP).expect("logged in").to_owned();

    // Deploy with a new key, the old one kept for verification.
    browser.retarget(example(&clock, &[key(2), key(1)]).await);
    let home = browser.get("/").await;
    assert_line(&home.body, "cookie: valid (previous key");
    assert_line(&home.body, "user: ada");
    let set = home.set_cookies();
    assert_eq!(set.len(), 1, "re-keyed although untouched: {set:?}");
    let new_cookie = value_of(&set[0]).to_owned();
    assert_ne!(new_cookie, old_cookie);
    let home = browser.get("/").await;
    assert_line(&home.body, "cookie: valid");
    assert!(home.set_cookies().is_empty(), "re-keyed once, then quiet");

    // Later the old key is dropped: the re-issued cookie still works, the old one not.
    let addr = example(&clock, &[key(2)]).await;
    browser.retarget(addr);
    let home = browser.get("/").await;
    assert_line(&home.body, "cookie: valid");
    assert_line(&home.body, "user: ada");
    let stale = format!("{APP}={old_cookie}");
    let reply = send(addr, http::Method::GET, "/", Some(&stale), None).await;
    assert_line(&reply.body, "cookie: refused (unknown_key)");
}

#[tokio::test]
async fn idle_refresh_and_expiry_follow_the_injected_clock() {
    let clock = ManualClock::new(T0_MS);
    let mut browser = Client::new(example(&clock, &[key(1)]).await);
    browser.post("/login", "name=ada").await;

    // Past the refresh interval (1 h): a route that uses the session re-issues
    // it to keep the idle timeout rolling; a route that does not stays quiet.
    clock.advance(Duration::from_secs(2 * 3600));
    assert!(browser.get("/health").await.set_cookies().is_empty());
    let before = browser.cookie(APP).expect("cookie").to_owned();
    let home = browser.get("/").await;
    assert_line(&home.body, "cookie: valid");
    assert_eq!(home.set_cookies_for(APP).len(), 1, "idle refresh");
    assert_ne!(browser.cookie(APP), Some(before.as_str()));

    // 24 h without a request: the cookie is refused from the timestamp under the
    // MAC, whatever Max-Age the browser was told.
    clock.advance(Duration::from_secs(24 * 3600 + 1));
    let home = browser.get("/").await;
    assert_line(&home.body, "cookie: refused (idle_expired)");
    assert_line(&home.body, "user: (not logged in)");
}

#[tokio::test]
async fn concurrent_requests_last_response_wins() {
    let clock = ManualClock::new(T0_MS);
    let mut browser = Client::new(example(&clock, &[key(1)]).await);
    browser.post("/login", "name=ada").await;
    // Two tabs send the same cookie before either response arrives: each
    // response carries the whole session, so the second overwrites the first.
    let mut tab_a = browser.clone();
    let mut tab_b = browser.clone();
    let (a, b) = tokio::join!(tab_a.post("/counter", ""), tab_b.post("/counter", ""));
    for reply in [&a, &b] {
        assert_eq!(reply.set_cookies_for(APP).len(), 1);
        browser.apply(&reply.set_cookies_for(APP)[0]);
    }
    let home = browser.get("/").await;
    assert_line(&home.body, "counter: 1"); // not 2: one increment is lost
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

async fn extracts_twice(
    _first: RequestSession<AppSession>,
    _second: RequestSession<AppSession>,
) -> &'static str {
    "unreachable"
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
    let reply = send(addr, http::Method::GET, "/", None, None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_line(
        &reply.body,
        "RequestSession<AppSession> (cookie `__Host-app`)",
    );
    assert_line(
        &reply.body,
        "no session layer for AppSession wraps this route",
    );
    assert_line(
        &reply.body,
        ".layer(session_runtime::tower::SessionLayer::new(config))",
    );
    let reply = send(addr, http::Method::GET, "/optional", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "without session");
}

#[tokio::test]
async fn two_live_handles_of_one_session_type_are_refused() {
    let clock = ManualClock::new(T0_MS);
    let (app, _) = configs(&clock, &[key(1)]);
    let router = Router::new()
        .route("/twice", get(extracts_twice))
        .route("/optional", get(optional_session))
        .layer(SessionLayer::new(app));
    let addr = serve(router).await;
    let reply = send(addr, http::Method::GET, "/twice", None, None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_line(
        &reply.body,
        "RequestSession<AppSession> (cookie `__Host-app`) is already in use",
    );
    let reply = send(addr, http::Method::GET, "/optional", None, None).await;
    assert_eq!(reply.body, "with session");
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
