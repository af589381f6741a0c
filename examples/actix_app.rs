//! The same idea in actix-web 4, smaller: log in, count, log out.
//!
//! Run: `cargo run -p session-examples --example actix_app`, then open the URL
//! it prints. `SESSION_KEYS` / `SESSION_KEYS_FILE` or `SESSION_SECRET` (a
//! random development key with a warning when none is set; set but empty or
//! invalid stops the app), `PORT` (default 3001) and `SHUTDOWN_DRAIN_SECS` as
//! in the axum example. SIGTERM and SIGINT both stop it gracefully: in-flight
//! requests finish (actix-web's own handler would stop at once on SIGINT).

pub mod process;

use std::error::Error;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::dev::Service as _;
use actix_web::http::{header, ConnectionType, StatusCode};
use actix_web::{web, App, HttpResponse, HttpServer};
use serde::{Deserialize, Serialize};
use session_runtime::actix::SessionMiddleware;
use session_runtime::{BoundedString, CookieSession, KeyRing, LoadStatus, RequestSession};

/// The visitor's session, in the `__Host-actix` cookie.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-actix", version = 1)]
pub struct ActixSession {
    /// Who logged in.
    pub user: Option<BoundedString<32>>,
    /// Bumped by the counter button.
    pub counter: u32,
}

/// The routes; wrap them in `SessionMiddleware::<ActixSession>` (see `main`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/login", web::post().to(login))
        .route("/counter", web::post().to(count))
        .route("/logout", web::post().to(logout))
        .route("/health", web::get().to(|| async { "ok" }));
}

async fn home(session: RequestSession<ActixSession>) -> HttpResponse {
    let cookie = match session.status() {
        LoadStatus::Missing => "none yet".to_owned(),
        LoadStatus::Valid => "valid".to_owned(),
        LoadStatus::ValidVerifyKey => "valid (previous key; re-issued)".to_owned(),
        LoadStatus::Rejected(reason) => format!("refused ({}): {reason}", reason.kind()),
        other => format!("{other:?}"),
    };
    let user = match session.user() {
        Some(name) => name.as_str().replace('&', "&amp;").replace('<', "&lt;"),
        None => "(not logged in)".to_owned(),
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            r#"<!doctype html>
<html><head><meta charset="utf-8"><title>session-runtime actix-web example</title></head>
<body>
<h1>Typed cookie sessions (actix-web)</h1>
<p id="status">cookie: {cookie}</p>
<p id="user">user: {user}</p>
<p id="counter">counter: {counter}</p>
<form id="login" method="post" action="/login"><input name="name" value="ada" maxlength="32"> <button>log in</button></form>
<form id="count" method="post" action="/counter"><button>count</button></form>
<form id="logout" method="post" action="/logout"><button>log out</button></form>
</body></html>
"#,
            counter = session.counter()
        ))
}

fn back_home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish()
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
}

async fn login(
    mut session: RequestSession<ActixSession>,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    session.renew(); // new session lifetime and cookie on login (fixation defence)
    session.set_user(Some(BoundedString::truncating(form.name.trim())));
    back_home()
}

async fn count(mut session: RequestSession<ActixSession>) -> HttpResponse {
    let next = session.counter().saturating_add(1);
    session.set_counter(next);
    back_home()
}

async fn logout(mut session: RequestSession<ActixSession>) -> HttpResponse {
    session.clear(); // an expiring cookie
    back_home()
}

/// `SESSION_KEYS` / `SESSION_KEYS_FILE`, else `SESSION_SECRET`, else a
/// random development key with a loud warning. Set but empty, unreadable
/// or invalid is an error naming the variable (never the secret).
pub fn keys_from_env() -> Result<KeyRing, Box<dyn Error>> {
    if let Some(keys) = KeyRing::from_env("SESSION_KEYS")? {
        return Ok(keys);
    }
    let key = match process::secret_key("SESSION_SECRET")? {
        Some(key) => key,
        None => process::development_key()?,
    };
    Ok(KeyRing::new(key))
}

/// `pub` so that tests/shutdown.rs can run this very `main`. Errors print as
/// one sentence, with exit status 1.
pub fn main() -> std::process::ExitCode {
    process::report("actix_app", run())
}

fn run() -> Result<(), Box<dyn Error>> {
    process::install_logging();
    let port = process::port(3001)?;
    let drain_period = process::drain_period()?;
    // Built once; each worker's App gets a cheap clone (one Arc).
    let config = keys_from_env()?.config_builder::<ActixSession>().build()?;
    process::log_keys("actix_app", config.keys());
    actix_web::rt::System::new().block_on(async move {
        let draining = Arc::new(AtomicBool::new(false));
        let in_app = Arc::clone(&draining);
        let server = HttpServer::new(move || {
            let draining = Arc::clone(&in_app);
            App::new()
                // Outermost: during the drain every response closes its
                // connection, and /health answers 503.
                .wrap_fn(move |request, service| {
                    let draining = draining.load(Ordering::SeqCst);
                    let health = request.path() == "/health";
                    let response = service.call(request);
                    async move {
                        let mut response = response.await?;
                        if draining {
                            if health {
                                *response.response_mut().status_mut() =
                                    StatusCode::SERVICE_UNAVAILABLE;
                            }
                            response
                                .response_mut()
                                .head_mut()
                                .set_connection_type(ConnectionType::Close);
                        }
                        Ok(response)
                    }
                })
                .wrap(SessionMiddleware::new(config.clone()))
                .configure(routes)
        })
        // Our own signal handling below: actix-web's stops at once on SIGINT.
        .disable_signals()
        .bind((Ipv4Addr::LOCALHOST, port))?;
        let port = server.addrs().first().map_or(port, |addr| addr.port());
        println!(
            "session-runtime actix-web example: open http://localhost:{port}/  (Ctrl-C stops it)"
        );
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(async move {
            let signal = process::shutdown_signal().await;
            draining.store(true, Ordering::SeqCst);
            eprintln!(
                "actix_app: {signal}: draining for {drain_period:?}, then finishing the requests in flight"
            );
            actix_web::rt::time::sleep(drain_period).await;
            // Graceful: stop accepting, finish the requests in flight (up to
            // actix-web's 30 s shutdown timeout), close idle connections.
            handle.stop(true).await;
        });
        server.await
    })?;
    println!("actix_app: stopped");
    Ok(())
}
