//! End to end in headless Chromium: the axum example app (compiled in from
//! `examples/axum_app.rs`) plus three routes for a session at the size limit,
//! served on 127.0.0.1 and driven through chromedriver (see `webdriver.rs`).
//!
//! It proves, in a real browser:
//! 1. the login → counter → cart → theme → logout flow works by clicking the
//!    app's own forms;
//! 2. a session type whose compile-time `MAX_COOKIE_LEN` is exactly 4096
//!    (`session_tests::AtBudget`), filled to its maximum, is stored by Chromium
//!    and sent back byte for byte;
//! 3. the `__Host-` default name with `Secure; Path=/` and no `Domain` is
//!    accepted over `http://localhost`;
//! 4. a cookie one byte over 4096, forced through a raw header (bypassing the
//!    library), is silently dropped while the old cookie stays, so the app keeps
//!    seeing the stale session: exactly why the library never emits one;
//! 5. the app's forms carry the CSRF token and work, while a form on another
//!    origin (`http://127.0.0.1:<other port>`) posting to the app gets `403`;
//! 6. the flash messages after login and logout are shown once.
//!
//! A recording middleware (`server.rs`) keeps every request's `Cookie` and every response's
//! `Set-Cookie`, so "sent back intact" is checked on the wire. Without Chromium
//! the test prints SKIP (a failure under `REQUIRE_BROWSER=1`, as in CI).

mod server;
mod webdriver;

#[allow(dead_code)]
#[path = "../../examples/axum_app.rs"]
mod axum_app;

use std::time::{Duration, Instant};

use axum::response::{AppendHeaders, IntoResponse};
use axum::routing::get;
use axum::Router;
use http::header::SET_COOKIE;
use server::{assert_page, body, click, navigate, Exchange, Server};
use session_runtime::tower::SessionLayer;
use session_runtime::{
    BoundedString, CookieSession, Lifetime, LoadStatus, RequestSession, SessionConfig,
};
use session_tests::{key, AtBudget};
use webdriver::{browser_or_skip, Browser};

use axum_app::{AppSession, Prefs};

/// Chromium's `kMaxCookieNamePlusValueSize`.
const BROWSER_LIMIT: usize = 4096;

/// Fills `AtBudget` to its maximum encoded size: a 3027-byte string (2-byte
/// length prefix) and the 3-byte array.
async fn big_fill(mut big: RequestSession<AtBudget>) -> &'static str {
    let blob: String = (0..3027)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    big.set_blob(BoundedString::try_from(blob).expect("3027 bytes fit"));
    big.set_pad([0xfe, 0xed, 0x42]);
    "big: filled"
}

async fn big_check(big: RequestSession<AtBudget>) -> String {
    let status = match big.status() {
        LoadStatus::Valid => "valid".to_owned(),
        LoadStatus::Missing => "missing".to_owned(),
        other => format!("{other:?}"),
    };
    let intact = big.blob().len() == 3027
        && big
            .blob()
            .bytes()
            .enumerate()
            .all(|(i, b)| b == b'a' + (i % 26) as u8)
        && *big.pad() == [0xfe, 0xed, 0x42];
    format!(
        "big: {status}; blob {} bytes; intact {intact}",
        big.blob().len()
    )
}

/// A `Set-Cookie` the library would never emit: name + value = 4097 bytes.
async fn big_overflow() -> impl IntoResponse {
    let value: String = (0..BROWSER_LIMIT + 1 - AtBudget::NAME.len())
        .map(|i| char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i % 26]))
        .collect();
    (
        AppendHeaders([(
            SET_COOKIE,
            format!(
                "{}={value}; Path=/; Secure; HttpOnly; SameSite=Lax",
                AtBudget::NAME
            ),
        )]),
        "big: overflow sent",
    )
}

/// A session for the per-session lifetime checks (`/life/*`).
#[derive(CookieSession, serde::Serialize, serde::Deserialize, Default, Debug)]
#[session(name = "__Host-life", version = 1)]
struct LifeSession {
    logins: u32,
}

/// Remember-me sessions last 30 days in this test's configuration.
const REMEMBER_ME: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// What both logins do: renew the session, count the login, set `lifetime`.
fn log_in(session: &mut RequestSession<LifeSession>, lifetime: Lifetime) {
    session.renew();
    let logins = session.logins() + 1;
    session.set_logins(logins);
    session.set_lifetime(lifetime).expect("declared");
}

/// A login that chooses a browser-session cookie (no `Max-Age`).
async fn life_browser(mut session: RequestSession<LifeSession>) -> &'static str {
    log_in(&mut session, Lifetime::BrowserSession);
    "life: browser session"
}

/// A login with "remember me" ticked.
async fn life_remember(mut session: RequestSession<LifeSession>) -> &'static str {
    log_in(&mut session, Lifetime::RememberMe);
    "life: remember me"
}

/// The app under test: the example's routes and sessions, plus `/big/*` and
/// `/life/*`.
fn app() -> Router {
    let app = SessionConfig::<AppSession>::new(key(1)).expect("valid config");
    let prefs = SessionConfig::<Prefs>::new(key(1)).expect("valid config");
    let big = SessionConfig::<AtBudget>::new(key(1)).expect("valid config");
    let big_routes = Router::new()
        .route("/big/fill", get(big_fill))
        .route("/big/check", get(big_check))
        .route("/big/overflow", get(big_overflow))
        .layer(SessionLayer::new(big));
    let life = SessionConfig::<LifeSession>::builder(key(1))
        .remember_me(REMEMBER_ME, REMEMBER_ME)
        .build()
        .expect("valid config");
    let life_routes = Router::new()
        .route("/life/browser", get(life_browser))
        .route("/life/remember", get(life_remember))
        .layer(SessionLayer::new(life));
    axum_app::router(app, prefs)
        .merge(big_routes)
        .merge(life_routes)
}

/// A second origin, `http://127.0.0.1:<its port>`, serving a cross-site form aimed at the app on
/// `app_port`.
fn attacker_site(app_port: u16) -> Router {
    // The page a malicious site would serve: the app's own form, minus the
    // token it cannot read.
    let page = format!(
        r#"<!doctype html><html><body><form id="attack" method="post" action="http://localhost:{app_port}/counter"><button>win a prize</button></form></body></html>"#
    );
    Router::new().route("/", get(move || async move { axum::response::Html(page) }))
}

fn cookie(browser: &Browser, name: &str) -> Option<serde_json::Value> {
    browser
        .get_cookie(name)
        .unwrap_or_else(|e| panic!("reading cookies: {e}"))
}

/// `name=value` of the `Set-Cookie` for `name` in `exchange`.
fn pair_set(exchange: &Exchange, name: &str) -> String {
    let prefix = format!("{name}=");
    let set = exchange
        .set_cookies
        .iter()
        .find(|c| c.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{} set no {name} cookie: {exchange:?}", exchange.path));
    set.split(';').next().expect("pair").to_owned()
}

/// Whether the request in `exchange` carried exactly the cookie `pair`.
fn sent(exchange: &Exchange, pair: &str) -> bool {
    exchange.cookie.split("; ").any(|c| c == pair)
}

#[test]
fn example_app_and_cookie_limit_in_headless_chromium() {
    let started = Instant::now();
    let Some(browser) = browser_or_skip("browser_e2e") else {
        return;
    };
    let launched = started.elapsed();
    let server = Server::start(app());
    let attacker = server.serve(attacker_site(server.port()));

    // (1) + (3): the flow, through the app's own forms, on http://localhost.
    navigate(&browser, &server.url("/"));
    assert_page(&browser, "cookie: none yet");
    assert_page(&browser, "user: (not logged in)");
    // The first page view gives the visitor a CSRF token for the forms.
    pair_set(&server.last("/"), AppSession::NAME);

    click(&browser, "#login button");
    assert_page(&browser, "Welcome, ada!");
    assert_page(&browser, "user: ada");
    assert_page(&browser, "cookie: valid");
    let login = server.last("/login");
    assert_eq!(login.set_cookies.len(), 1, "{login:?}");
    let set = &login.set_cookies[0];
    assert!(set.starts_with("__Host-app="), "{set}");
    assert!(
        set.ends_with("; Path=/; Secure; HttpOnly; SameSite=Lax"),
        "{set}"
    );
    assert!(!set.contains("Domain"), "{set}");
    let app_pair = pair_set(&login, AppSession::NAME);
    assert!(
        sent(&server.last("/"), &app_pair),
        "the __Host- cookie came back"
    );
    let stored = cookie(&browser, AppSession::NAME).expect("Chromium stored __Host-app");
    assert_eq!(stored["secure"], true);
    assert_eq!(stored["httpOnly"], true);
    assert_eq!(stored["path"], "/");
    assert_eq!(stored["sameSite"], "Lax");
    // Host-only (no Domain attribute): WebDriver reports the bare host.
    assert_eq!(stored["domain"], "localhost");

    click(&browser, "#count button");
    click(&browser, "#count button");
    assert_page(&browser, "counter: 2");
    click(&browser, "#cart-add button");
    assert_page(&browser, "cart: [apple] (1/8)");
    click(&browser, "#theme-toggle button");
    assert_page(&browser, "theme: dark");
    assert!(cookie(&browser, Prefs::NAME).is_some());

    // Reading the page again sends no Set-Cookie, and the flash is gone.
    navigate(&browser, &server.url("/"));
    assert_page(&browser, "counter: 2");
    assert!(!body(&browser).contains("Welcome"));
    assert!(server.last("/").set_cookies.is_empty());

    // (5) A form on another origin posts to the app: no token, so 403
    // (Chromium does not even send the SameSite=Lax cookie cross-site).
    navigate(&browser, &format!("http://127.0.0.1:{}/", attacker.port()));
    click(&browser, "#attack button");
    assert_page(&browser, "CSRF token missing or invalid");
    assert!(server.last("/counter").set_cookies.is_empty());
    navigate(&browser, &server.url("/"));
    assert_page(&browser, "counter: 2");

    let value = |browser: &Browser| {
        cookie(browser, AppSession::NAME).map(|c| c["value"].as_str().unwrap_or("").to_owned())
    };
    let logged_in = value(&browser).expect("logged in");
    click(&browser, "#logout button");
    assert_page(&browser, "You are logged out.");
    assert_page(&browser, "user: (not logged in)");
    assert_page(&browser, "counter: 0");
    assert_page(&browser, "theme: dark"); // the other session type survives
                                          // The old session is gone: the cookie now holds a new one with the flash.
    let replaced = pair_set(&server.last("/logout"), AppSession::NAME);
    assert_ne!(replaced, format!("{}={logged_in}", AppSession::NAME));
    assert!(sent(&server.last("/"), &replaced));
    navigate(&browser, &server.url("/"));
    assert!(!body(&browser).contains("logged out"), "shown once");
    let flow_done = started.elapsed();

    // (2): a session at the 4096-byte limit, filled to its maximum.
    assert_eq!(AtBudget::MAX_COOKIE_LEN, BROWSER_LIMIT);
    navigate(&browser, &server.url("/big/fill"));
    let big_pair = pair_set(&server.last("/big/fill"), AtBudget::NAME);
    let big_len = big_pair.len() - 1; // name + value, without the '='
    assert_eq!(big_len, AtBudget::MAX_COOKIE_LEN, "filled to the maximum");
    navigate(&browser, &server.url("/big/check"));
    assert_page(&browser, "big: valid; blob 3027 bytes; intact true");
    let check = server.last("/big/check");
    assert!(
        sent(&check, &big_pair),
        "the 4096-byte cookie came back intact"
    );
    let stored = cookie(&browser, AtBudget::NAME).expect("Chromium stored the 4096-byte cookie");
    let stored_value = stored["value"].as_str().expect("string value");
    assert_eq!(AtBudget::NAME.len() + stored_value.len(), BROWSER_LIMIT);
    assert_eq!(format!("{}={stored_value}", AtBudget::NAME), big_pair);

    // (4): one byte over, forced through a raw header: dropped, the old one stays.
    navigate(&browser, &server.url("/big/overflow"));
    let over = pair_set(&server.last("/big/overflow"), AtBudget::NAME);
    assert_eq!(over.len() - 1, BROWSER_LIMIT + 1);
    navigate(&browser, &server.url("/big/check"));
    assert_page(&browser, "big: valid; blob 3027 bytes; intact true");
    let check = server.last("/big/check");
    assert!(
        sent(&check, &big_pair),
        "the old 4096-byte cookie is still sent"
    );
    assert!(
        !check.cookie.contains(&over),
        "the 4097-byte cookie was not stored"
    );

    // (5): per-session lifetimes in the browser's cookie store: a
    // browser-session cookie has no expiry, a remember-me one expires in 30 days.
    navigate(&browser, &server.url("/life/browser"));
    assert_page(&browser, "life: browser session");
    let session_cookie = cookie(&browser, LifeSession::NAME).expect("stored");
    assert!(
        session_cookie
            .get("expiry")
            .is_none_or(serde_json::Value::is_null),
        "a browser-session cookie has no expiry: {session_cookie}"
    );
    navigate(&browser, &server.url("/life/remember"));
    assert_page(&browser, "life: remember me");
    let remembered = cookie(&browser, LifeSession::NAME).expect("stored");
    let expiry = remembered["expiry"].as_u64().unwrap_or_else(|| {
        panic!(
            "a remember-me cookie expires: {remembered} {:?}",
            server.last("/life/remember").set_cookies
        )
    });
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let left = expiry.saturating_sub(now);
    assert!(
        left > REMEMBER_ME.as_secs() - 120 && left <= REMEMBER_ME.as_secs() + 5,
        "remember-me cookie expires in {left} s: {remembered}"
    );

    println!(
        "browser_e2e: Chromium stored and sent back a {big_len}-byte cookie \
         (`{}` name {} + value {}; Cookie header pair {} bytes); a {}-byte one was dropped and \
         the old one kept; a browser-session cookie had no expiry, a remember-me one {left} s. \
         Browser launch {launched:?}, flow done at {flow_done:?}, total {:?}",
        AtBudget::NAME,
        AtBudget::NAME.len(),
        big_len - AtBudget::NAME.len(),
        big_pair.len(),
        BROWSER_LIMIT + 1,
        started.elapsed()
    );
}
