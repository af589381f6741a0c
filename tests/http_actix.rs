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

use actix_web::dev::ServerHandle;
use actix_web::http::header::SET_COOKIE;
use actix_web::{web, App, HttpResponse};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use session_runtime::actix::SessionMiddleware;
use session_runtime::{CookieSession, Key, ManualClock, RequestSession, SessionConfig};
use session_tests::{key, T0_MS};

use actix_app::ActixSession;
use client::{send, tamper, value_of, Client};

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
        .previous_keys(keys[1..].iter().cloned())
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

fn assert_line(body: &str, line: &str) {
    assert!(
        body.contains(line),
        "expected {line:?} in the page:\n{body}"
    );
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
    let set = login.set_cookies();
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(set[0].starts_with("__Host-actix="), "{set:?}");
    assert!(
        set[0].ends_with("; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Lax"),
        "{set:?}"
    );

    let home = browser.get("/").await;
    assert_line(&home.body, "cookie: valid");
    assert_line(&home.body, "user: grace");
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
    let home = browser.get("/").await;
    assert_line(&home.body, "cookie: valid (previous key");
    let set = home.set_cookies();
    assert_eq!(set.len(), 1, "re-keyed although untouched: {set:?}");
    assert_ne!(value_of(&set[0]), old_cookie);

    let current_only = example(&clock, &[key(2)]);
    browser.retarget(current_only.addr);
    let home = browser.get("/").await;
    assert_line(&home.body, "cookie: valid");
    assert_line(&home.body, "user: grace");

    clock.advance(Duration::from_secs(24 * 3600 + 1));
    let home = browser.get("/").await;
    assert_line(&home.body, "cookie: refused (idle_expired)");
    assert_line(&home.body, "user: (not logged in)");
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
    let cart = SessionConfig::<Cart>::builder(key(1))
        .clock(clock.clone())
        .build()
        .expect("valid config");
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
    let reply = send(server.addr, http::Method::GET, "/", None, None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_line(
        &reply.body,
        "RequestSession<ActixSession> (cookie `__Host-actix`)",
    );
    assert_line(
        &reply.body,
        ".wrap(session_runtime::actix::SessionMiddleware::new(config))",
    );
    let reply = send(server.addr, http::Method::GET, "/optional", None, None).await;
    assert_eq!(reply.body, "without session");
}
