//! The HTTP benchmark's apps (`session_bench::web`) do what the benchmark says they do:
//! every session variant loads the session on `/read` without writing a cookie and
//! writes one on `/write`; the floor layer refuses a tampered cookie, and its
//! `Set-Cookie` has our attributes and our length, so that the two layers move the same
//! bytes and differ only in the work they do.

use actix_web::test::{self as actix_test, TestRequest};
use axum::body::Body;
use futures::executor::block_on;
use http::header::{COOKIE, SET_COOKIE};
use http::Request;
use session_bench::web::{actix_apps, axum_apps, logged_in, render};
use tower::ServiceExt as _;

/// One response: its body, and its `Set-Cookie` header if any.
struct Reply {
    body: String,
    set_cookie: Option<String>,
}

/// The `name=value` pair of a `Set-Cookie` text.
fn pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().expect("split yields one item")
}

fn body_for(counter: u32) -> String {
    let mut expected = logged_in();
    expected.counter = counter;
    render(&expected)
}

/// The router of `app`; one per test, so tower-sessions' in-memory store lives as
/// long as the test's calls.
fn router(app: &str) -> axum::Router {
    axum_apps::router(app).expect("an axum app")
}

fn axum_call(router: &axum::Router, path: &str, cookie: Option<&str>) -> Reply {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let request = request.body(Body::empty()).expect("request");
    let response = block_on(router.clone().oneshot(request)).expect("infallible");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    let set_cookie = response
        .headers()
        .get(SET_COOKIE)
        .map(|value| value.to_str().expect("ascii").to_owned());
    let body = block_on(axum::body::to_bytes(response.into_body(), usize::MAX)).expect("body");
    Reply {
        body: String::from_utf8(body.to_vec()).expect("utf-8"),
        set_cookie,
    }
}

/// Login, read, write, read again with the written cookie: what a browser does.
fn axum_session_cycle(app: &str) -> String {
    let app_name = app;
    let app = &router(app_name);
    let login = axum_call(app, "/login", None);
    let login_cookie = login.set_cookie.expect("/login sets a cookie");
    let cookie = pair(&login_cookie);
    let read = axum_call(app, "/read", Some(cookie));
    assert_eq!(read.body, body_for(0), "{app_name}: /read");
    assert_eq!(read.set_cookie, None, "{app_name}: /read sends no cookie");
    let write = axum_call(app, "/write", Some(cookie));
    assert_eq!(write.body, body_for(1), "{app_name}: /write");
    let written = write.set_cookie.expect("/write sets a cookie");
    let again = axum_call(app, "/read", Some(pair(&written)));
    assert_eq!(
        again.body,
        body_for(1),
        "{app_name}: the written cookie loads"
    );
    written
}

#[test]
fn axum_session_apps_load_and_store() {
    for app in ["floor", "hybrid", "ours"] {
        axum_session_cycle(app);
    }
    // tower-sessions keeps the session on the server: the cookie is an id, written on
    // login; the same id then reads the written state.
    let app = &router("tower-sessions");
    let login = axum_call(app, "/login", None);
    let id = login.set_cookie.expect("/login sets the id");
    assert_eq!(axum_call(app, "/read", Some(pair(&id))).body, body_for(0));
    assert_eq!(axum_call(app, "/write", Some(pair(&id))).body, body_for(1));
    assert_eq!(axum_call(app, "/read", Some(pair(&id))).body, body_for(1));
}

#[test]
fn axum_without_a_session_renders_the_same_bodies() {
    let app = &router("none");
    assert_eq!(axum_call(app, "/read", None).body, body_for(0));
    let write = axum_call(app, "/write", None);
    assert_eq!((write.body, write.set_cookie), (body_for(1), None));
}

#[test]
fn the_floor_writes_our_attributes_and_our_length() {
    let floor = axum_session_cycle("floor");
    let ours = axum_session_cycle("ours");
    let (floor_pair, floor_attributes) = floor.split_once(';').expect("attributes");
    let (our_pair, our_attributes) = ours.split_once(';').expect("attributes");
    assert_eq!(floor_attributes, our_attributes);
    assert_eq!(
        floor_pair.len(),
        our_pair.len(),
        "{floor_pair} / {our_pair}"
    );
}

#[test]
fn the_floor_refuses_a_tampered_cookie() {
    let app = &router("floor");
    let login = axum_call(app, "/login", None);
    let cookie = login.set_cookie.expect("/login sets a cookie");
    let mut bytes = pair(&cookie).as_bytes().to_vec();
    let middle = bytes.len() - 10;
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).expect("ascii");
    let read = axum_call(app, "/read", Some(&tampered));
    assert_eq!(read.body, render(&Default::default()), "a default session");
}

/// The `name=value` pair of an actix-web response's `Set-Cookie`, if any.
fn set_cookie<B>(response: &actix_web::dev::ServiceResponse<B>) -> Option<String> {
    response
        .headers()
        .get(actix_web::http::header::SET_COOKIE)
        .map(|value| pair(value.to_str().expect("ascii")).to_owned())
}

/// Builds the actix-web test service of `$make` and runs the session cycle on it.
macro_rules! actix_cycle {
    ($make:path) => {{
        let app = actix_test::init_service($make()).await;
        let call = |path: &'static str, cookie: Option<String>| {
            let mut request = TestRequest::get().uri(path);
            if let Some(cookie) = cookie {
                request = request.insert_header((actix_web::http::header::COOKIE, cookie));
            }
            request.to_request()
        };
        let login = actix_test::call_service(&app, call("/login", None)).await;
        let cookie = set_cookie(&login).expect("/login sets a cookie");
        let read = actix_test::call_service(&app, call("/read", Some(cookie.clone()))).await;
        assert_eq!(set_cookie(&read), None, "/read sends no cookie");
        assert_eq!(actix_test::read_body(read).await, body_for(0));
        let write = actix_test::call_service(&app, call("/write", Some(cookie))).await;
        let written = set_cookie(&write).expect("/write sets a cookie");
        assert_eq!(actix_test::read_body(write).await, body_for(1));
        let again = actix_test::call_service(&app, call("/read", Some(written))).await;
        assert_eq!(actix_test::read_body(again).await, body_for(1));
    }};
}

#[test]
fn actix_session_apps_load_and_store() {
    actix_web::rt::System::new().block_on(async {
        actix_cycle!(actix_apps::floor);
        actix_cycle!(actix_apps::hybrid);
        actix_cycle!(actix_apps::ours);
        actix_cycle!(actix_apps::actix_session);
        let app = actix_test::init_service(actix_apps::none()).await;
        let read = actix_test::call_service(&app, TestRequest::get().uri("/write").to_request());
        assert_eq!(actix_test::read_body(read.await).await, body_for(1));
    });
}
