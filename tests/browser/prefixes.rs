//! The `__Http-` and `__Host-Http-` cookie prefixes of
//! draft-ietf-httpbis-layered-cookies-02 in headless Chromium, driven through
//! chromedriver (see `webdriver.rs`), on `http://localhost` (a potentially
//! trustworthy origin, where `Secure` cookies work).
//!
//! It measures, and asserts, what Chromium does with:
//! 1. `Set-Cookie` headers (raw, bypassing the library) that keep or break
//!    each rule: `__Http-` needs `Secure` and `HttpOnly`; `__Host-Http-`
//!    also `Path=/` (written out) and no `Domain`; prefixes match in any
//!    case; `__Host-` alone does not need `HttpOnly` (the control);
//! 2. `document.cookie`: a page script can set neither prefix, cannot
//!    overwrite a `__Http-` cookie, and does not see it, while it can set a
//!    `__Host-` cookie (the control);
//! 3. the library's own sessions named `__Host-Http-app` (the defaults) and
//!    `__Http-scoped` (with `path = "/session"`), which the derive accepts:
//!    set, sent back and updated.
//!
//! What was stored is read on the wire (the `Cookie` header the server
//! records) and from WebDriver's cookie list, which includes `HttpOnly`
//! cookies. Without Chromium the test prints SKIP (a failure under
//! `REQUIRE_BROWSER=1`).

mod server;
mod webdriver;

use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use server::{navigate, Server};
use session_runtime::axum::{RequestSession, SessionLayer};
use session_runtime::{CookieSession, SessionConfig};
use session_tests::key;
use webdriver::{browser_or_skip, Browser};

/// One raw `Set-Cookie` and whether Chromium should store it.
struct Case {
    name: &'static str,
    attributes: &'static str,
    stored: bool,
    /// Where the cookie is sent (its `Path`), to look for it on the wire.
    echo: &'static str,
}

const fn case(name: &'static str, attributes: &'static str, stored: bool) -> Case {
    Case {
        name,
        attributes,
        stored,
        echo: "/echo",
    }
}

/// Every rule of both prefixes, kept and broken, and the controls.
const CASES: &[Case] = &[
    case("__Http-ok", "Secure; HttpOnly; Path=/", true),
    case("__Http-nohttponly", "Secure; Path=/", false),
    case("__Http-nosecure", "HttpOnly; Path=/", false),
    case("__HTTP-upper", "Secure; HttpOnly; Path=/", true),
    case("__http-lower", "Secure; Path=/", false),
    // `__Http-` leaves the path free.
    Case {
        name: "__Http-path",
        attributes: "Secure; HttpOnly; Path=/echo/deep",
        stored: true,
        echo: "/echo/deep",
    },
    case("__Host-Http-ok", "Secure; HttpOnly; Path=/", true),
    case("__Host-Http-nohttponly", "Secure; Path=/", false),
    case("__Host-Http-nosecure", "HttpOnly; Path=/", false),
    Case {
        name: "__Host-Http-path",
        attributes: "Secure; HttpOnly; Path=/echo/deep",
        stored: false,
        echo: "/echo/deep",
    },
    case(
        "__Host-Http-domain",
        "Secure; HttpOnly; Path=/; Domain=localhost",
        false,
    ),
    // The `__Host-` rule wants `Path=/` written out, not defaulted.
    case("__Host-Http-nopath", "Secure; HttpOnly", false),
    case("__host-http-lower", "Secure; Path=/", false),
    // Control: `__Host-` does not need HttpOnly.
    case("__Host-ctl", "Secure; Path=/", true),
    // Controls: without a prefix, each attribute set refused above is fine,
    // so the refusals come from the prefix rules alone.
    case("ctl-nohttponly", "Secure; Path=/", true),
    case("ctl-nosecure", "HttpOnly; Path=/", true),
    case(
        "ctl-domain",
        "Secure; HttpOnly; Path=/; Domain=localhost",
        true,
    ),
    case("ctl-nopath", "Secure; HttpOnly", true),
    Case {
        name: "ctl-path",
        attributes: "Secure; HttpOnly; Path=/echo/deep",
        stored: true,
        echo: "/echo/deep",
    },
];

/// The sessions the derive accepts with the new prefixes.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-Http-app", version = 1)]
struct HostHttp {
    visits: u32,
}

#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Http-scoped", version = 1, path = "/session")]
struct Scoped {
    visits: u32,
}

async fn set_all() -> impl IntoResponse {
    let mut headers = HeaderMap::new();
    for case in CASES {
        let line = format!("{}=1; {}", case.name, case.attributes);
        headers.append(SET_COOKIE, HeaderValue::try_from(line).expect("ASCII"));
    }
    (headers, "set")
}

async fn host_http_visit(mut session: RequestSession<HostHttp>) -> String {
    let visits = session.visits + 1;
    session.set_visits(visits);
    format!("host-http visits {visits}")
}

async fn scoped_visit(mut session: RequestSession<Scoped>) -> String {
    let visits = session.visits + 1;
    session.set_visits(visits);
    format!("scoped visits {visits}")
}

fn app() -> Router {
    let host_http = SessionConfig::<HostHttp>::new(key(1)).expect("valid config");
    let scoped = SessionConfig::<Scoped>::new(key(1)).expect("valid config");
    Router::new()
        .route(
            "/session/host-http",
            get(host_http_visit).layer(SessionLayer::new(host_http)),
        )
        .route(
            "/session/scoped",
            get(scoped_visit).layer(SessionLayer::new(scoped)),
        )
        .route("/set", get(set_all))
        .route("/page", get(|| async { Html("<p>page</p>") }))
        .route("/echo", get(|| async { "echo" }))
        .route("/echo/deep", get(|| async { "echo deep" }))
}

/// The value of cookie `name` in a `Cookie` header, if sent.
fn sent<'a>(cookie: &'a str, name: &str) -> Option<&'a str> {
    cookie
        .split("; ")
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// The names of the cookies WebDriver lists for the current page.
fn listed(browser: &Browser) -> Vec<String> {
    browser
        .get_all_cookies()
        .unwrap_or_else(|e| panic!("reading cookies: {e}"))
        .iter()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

#[test]
fn http_prefixes_in_headless_chromium() {
    let Some(browser) = browser_or_skip("browser_prefixes") else {
        return;
    };
    let server = Server::start(app());

    // (1) Raw Set-Cookie headers.
    navigate(&browser, &server.url("/set"));
    navigate(&browser, &server.url("/echo"));
    navigate(&browser, &server.url("/echo/deep"));
    navigate(&browser, &server.url("/page"));
    let on_page = listed(&browser);
    let mut table = Vec::new();
    for case in CASES {
        let wire = server.last(case.echo).cookie;
        let stored = sent(&wire, case.name).is_some();
        table.push(format!(
            "{}=1; {} -> {}",
            case.name,
            case.attributes,
            if stored { "stored" } else { "refused" }
        ));
        assert_eq!(
            stored, case.stored,
            "{}; {}: Cookie on {} was {wire:?}",
            case.name, case.attributes, case.echo
        );
        if case.echo == "/echo" {
            assert_eq!(
                on_page.iter().any(|name| name == case.name),
                case.stored,
                "WebDriver's list for {}: {on_page:?}",
                case.name
            );
        }
    }

    // (2) Page scripts. Each assignment is a separate `document.cookie` set.
    let script = r#"
        for (const line of arguments[0]) { document.cookie = line; }
        return document.cookie;
    "#;
    let lines = json!([
        "__Http-js=1; Secure; Path=/",
        "__Host-Http-js=1; Secure; Path=/",
        "__Host-js=1; Secure; Path=/",
        "__Http-ok=overwritten; Secure; Path=/",
        "__Host-Http-ok=overwritten; Secure; Path=/",
    ]);
    let visible = browser
        .execute_script(script, &[lines])
        .unwrap_or_else(|e| panic!("running the script: {e}"));
    let visible = visible.as_str().unwrap_or("").to_owned();
    navigate(&browser, &server.url("/echo"));
    let wire = server.last("/echo").cookie;
    assert_eq!(sent(&wire, "__Http-js"), None, "{wire}");
    assert_eq!(sent(&wire, "__Host-Http-js"), None, "{wire}");
    assert_eq!(sent(&wire, "__Host-js"), Some("1"), "the control: {wire}");
    assert_eq!(
        sent(&wire, "__Http-ok"),
        Some("1"),
        "not overwritten: {wire}"
    );
    assert_eq!(
        sent(&wire, "__Host-Http-ok"),
        Some("1"),
        "not overwritten: {wire}"
    );
    // HttpOnly: a script sees neither prefixed cookie, only the controls.
    assert!(!visible.contains("__Http-ok") && !visible.contains("__Host-Http-ok"));
    assert!(visible.contains("__Host-ctl=1"), "{visible:?}");

    // (3) The library's sessions.
    for (path, name) in [
        ("/session/host-http", HostHttp::NAME),
        ("/session/scoped", Scoped::NAME),
    ] {
        navigate(&browser, &server.url(path));
        assert!(sent(&server.last(path).cookie, name).is_none());
        navigate(&browser, &server.url(path));
        let first = server.last(path).cookie;
        assert!(sent(&first, name).is_some(), "{name} came back: {first}");
        let text = browser.body_text().expect("page text");
        assert!(text.ends_with("visits 2"), "{name}: {text}");
        navigate(&browser, &server.url(path));
        let text = browser.body_text().expect("page text");
        assert!(text.ends_with("visits 3"), "{name}: {text}");
    }
    // `Path=/session`: not sent elsewhere, as declared.
    navigate(&browser, &server.url("/echo"));
    let elsewhere = server.last("/echo").cookie;
    assert!(sent(&elsewhere, Scoped::NAME).is_none(), "{elsewhere}");
    assert!(sent(&elsewhere, HostHttp::NAME).is_some(), "{elsewhere}");

    println!(
        "browser_prefixes: Chromium {}\n  {}\n  document.cookie: __Http-js and __Host-Http-js \
         refused, __Host-js stored, __Http-ok and __Host-Http-ok not overwritten, script sees \
         {visible:?}\n  sessions __Host-Http-app and __Http-scoped (Path=/session): set, sent \
         back, updated",
        browser
            .execute_script("return navigator.userAgent", &[])
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        table.join("\n  ")
    );
}
