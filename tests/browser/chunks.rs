//! A chunked session in headless Chromium (docs/wire-format.md, "Chunked
//! sessions"): a session at its maximum spread over three cookies, the first
//! two full (4096 and 4095 bytes of name + value against the 4096 limit), is stored and sent back byte
//! for byte in one `Cookie` header of about 9.5 KB; shrinking it deletes the
//! chunks it no longer uses in the browser; growing it again adds them back.
//! Without Chromium the test prints SKIP (a failure under
//! `REQUIRE_BROWSER=1`, as in CI).

mod server;
mod webdriver;

use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use server::{navigate, Server};
use session_runtime::axum::{
    BoundedString, CookieSession, LoadStatus, RequestSession, SessionConfig, SessionLayer,
};
use session_tests::key;
use webdriver::{browser_or_skip, Browser};

/// Chromium's `kMaxCookieNamePlusValueSize`.
const BROWSER_LIMIT: usize = 4096;

/// Three cookies at most; at its maximum the first two are full.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-chunky", version = 1, chunks = 3)]
struct Chunky {
    note: BoundedString<7000>,
}

/// The note of `len` bytes every route writes and checks.
fn note(len: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect()
}

async fn fill(mut session: RequestSession<Chunky>) -> &'static str {
    session.set_note(BoundedString::try_from(note(7000)).expect("fits"));
    "chunky: filled"
}

async fn shrink(mut session: RequestSession<Chunky>) -> &'static str {
    session.set_note(BoundedString::try_from(note(10)).expect("fits"));
    "chunky: shrunk"
}

async fn check(session: RequestSession<Chunky>) -> String {
    let status = match session.status() {
        LoadStatus::Valid => "valid".to_owned(),
        other => format!("{other:?}"),
    };
    let len = session.note().len();
    let intact = session.note().as_str() == note(len);
    format!("chunky: {status}; note {len} bytes; intact {intact}")
}

/// The app: three routes for one chunked session.
fn app() -> Router {
    let config = SessionConfig::<Chunky>::new(key(1)).expect("valid config");
    Router::new()
        .route("/fill", get(fill))
        .route("/shrink", get(shrink))
        .route("/check", get(check))
        .layer(SessionLayer::new(config))
}

fn visit(browser: &Browser, server: &Server, path: &str) -> String {
    navigate(browser, &server.url(path));
    browser.body_text().expect("page text")
}

/// The `name=value` pairs `set_cookies` set (not the expiring ones).
fn pairs(set_cookies: &[String]) -> Vec<String> {
    set_cookies
        .iter()
        .filter(|c| !c.contains("; Max-Age=0;"))
        .map(|c| c.split(';').next().expect("pair").to_owned())
        .collect()
}

#[test]
fn a_three_cookie_session_round_trips_in_chromium() {
    let Some(browser) = browser_or_skip("browser_chunks") else {
        return;
    };
    let server = Server::start(app());

    let page = visit(&browser, &server, "/fill");
    assert!(page.contains("chunky: filled"), "{page}");
    let set = pairs(&server.last("/fill").set_cookies);
    let names: Vec<&str> = set.iter().map(|p| p.split('=').next().unwrap()).collect();
    assert_eq!(
        names,
        ["__Host-chunky", "__Host-chunky.1", "__Host-chunky.2"]
    );
    // The boundaries: the first two chunks are full. Chunk 0 reaches the
    // limit exactly; chunk 1's 4081 characters of value (a 15-byte name)
    // hold 3060 bytes in 4080 characters: base64url has no 1-character tail.
    let lens: Vec<usize> = set.iter().map(|p| p.len() - 1).collect();
    assert_eq!(&lens[..2], &[BROWSER_LIMIT, BROWSER_LIMIT - 1], "{lens:?}");
    assert!(lens[2] <= BROWSER_LIMIT);
    assert_eq!(lens[0], Chunky::MAX_COOKIE_LEN);

    // Chromium stored all three and sends them back, byte for byte, in one
    // Cookie header.
    let page = visit(&browser, &server, "/check");
    assert!(
        page.contains("chunky: valid; note 7000 bytes; intact true"),
        "{page}"
    );
    let sent = server.last("/check").cookie;
    for pair in &set {
        assert!(
            sent.split("; ").any(|c| c == pair),
            "chunk not sent back: {}",
            &pair[..20]
        );
    }
    let total: usize = set.iter().map(String::len).sum();
    assert!(sent.len() >= total, "one header of {} bytes", sent.len());
    for name in &names {
        let stored = browser.get_cookie(name).expect("cookies").expect("stored");
        assert_eq!(stored["secure"], true);
        assert_eq!(stored["httpOnly"], true);
    }

    // Shrinking expires the two later chunks in the browser.
    let page = visit(&browser, &server, "/shrink");
    assert!(page.contains("chunky: shrunk"), "{page}");
    let shrink = server.last("/shrink");
    let expired: Vec<&String> = shrink
        .set_cookies
        .iter()
        .filter(|c| c.contains("; Max-Age=0;"))
        .collect();
    assert_eq!(expired.len(), 2, "{shrink:?}");
    let page = visit(&browser, &server, "/check");
    assert!(
        page.contains("chunky: valid; note 10 bytes; intact true"),
        "{page}"
    );
    assert!(browser
        .get_cookie("__Host-chunky.1")
        .expect("cookies")
        .is_none());
    assert!(browser
        .get_cookie("__Host-chunky.2")
        .expect("cookies")
        .is_none());
    let sent = server.last("/check").cookie;
    assert!(!sent.contains("__Host-chunky.1="), "{sent}");

    // Growing again brings the chunks back.
    visit(&browser, &server, "/fill");
    let page = visit(&browser, &server, "/check");
    assert!(
        page.contains("chunky: valid; note 7000 bytes; intact true"),
        "{page}"
    );
    eprintln!(
        "browser_chunks: a 3-chunk session ({lens:?} bytes of name + value) stored, sent back \
         in one Cookie header, shrunk to one cookie and grown back in Chromium"
    );
}
