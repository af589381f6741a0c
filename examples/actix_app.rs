//! The same idea in actix-web 4, smaller: log in, count, log out.
//!
//! Run: `cargo run -p session-examples --example actix_app`, then open the URL
//! it prints. `SESSION_SECRET` (32+ bytes; a random development secret with a
//! warning when unset) and `PORT` (default 3001) as in the axum example.

use std::error::Error;
use std::net::Ipv4Addr;

use actix_web::http::header;
use actix_web::{web, App, HttpResponse, HttpServer};
use serde::{Deserialize, Serialize};
use session_runtime::actix::SessionMiddleware;
use session_runtime::{
    BoundedString, CookieSession, Key, LoadStatus, RequestSession, SessionConfig,
};

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

/// `SESSION_SECRET`, or a random development secret with a loud warning.
pub fn key_from_env() -> Result<Key, Box<dyn Error>> {
    match std::env::var("SESSION_SECRET") {
        Ok(secret) if !secret.is_empty() => {
            Ok(Key::from_secret(secret.as_bytes())
                .map_err(|err| format!("SESSION_SECRET: {err}"))?)
        }
        _ => {
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret).map_err(|err| format!("OS random source: {err}"))?;
            eprintln!(
                "\n!!! WARNING: SESSION_SECRET is not set: using a random development secret.\n\
                 !!! Every restart logs everybody out. In production set SESSION_SECRET to 32+ random bytes.\n"
            );
            Ok(Key::from_secret(&secret)?)
        }
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port
            .parse()
            .map_err(|_| format!("PORT={port} is not a port number"))?,
        Err(_) => 3001,
    };
    // Built once; each worker's App gets a cheap clone (one Arc).
    let config = SessionConfig::<ActixSession>::new(key_from_env()?)?;
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .wrap(SessionMiddleware::new(config.clone()))
                .configure(routes)
        })
        .bind((Ipv4Addr::LOCALHOST, port))?;
        let port = server.addrs().first().map_or(port, |addr| addr.port());
        println!(
            "session-runtime actix-web example: open http://localhost:{port}/  (Ctrl-C stops it)"
        );
        server.run().await
    })?;
    Ok(())
}
