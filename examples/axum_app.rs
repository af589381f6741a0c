//! A small axum 0.8 app with typed cookie sessions: log in, count, fill a
//! cart, switch the theme, log out. The session is a plain struct stored in a
//! signed cookie; nothing is kept on the server. Every form carries a CSRF
//! token (checked by `CsrfLayer`), and login and logout leave a one-shot
//! flash message for the next page.
//!
//! Run: `cargo run -p session-examples --example axum_app`, then open the URL
//! it prints.
//!
//! Environment (a variable that is set but empty or not UTF-8 stops the app
//! with a message naming it):
//! - `SESSION_KEYS` / `SESSION_KEYS_FILE`: keys with roles, and
//!   `SESSION_REDIS_URL` ("log out everywhere"): see `ops_env.rs` and
//!   docs/operations.md.
//! - `SESSION_SECRET`: a single key of at least 32 bytes, e.g. `openssl rand
//!   -base64 48`, when neither of the above is set. When none is set, a random
//!   development key is generated (with a loud warning): every restart then
//!   logs everybody out.
//! - `SESSION_PREVIOUS_SECRET` (optional, with `SESSION_SECRET`): the secret
//!   you are rotating away from; its cookies are still accepted and re-issued
//!   with the new one.
//! - `PORT`: default 3000. The server listens on 127.0.0.1 only.
//! - `SHUTDOWN_DRAIN_SECS`: see `process.rs`. SIGTERM and SIGINT stop the
//!   app gracefully: in-flight requests finish, idle connections are closed.
//!
//! The `__Host-` cookies carry `Secure`: browsers accept them over plain http
//! only from `localhost` (a secure context), so open the printed
//! `http://localhost:PORT/` URL.
//!
//! Device-bound sessions (DBSC, docs/dbsc.md) are on: every login offers the
//! browser a registration, and `/account` is served only to a session bound
//! to the browser's device key. They take effect only over HTTPS with a
//! certificate the browser trusts (and, in Chromium 156, with the
//! `DeviceBoundSessions` feature on): over `http://localhost` a browser
//! ignores the offer, the session stays pending, and `/account` answers
//! `403` once the 60 s grace period after login is over, while the rest of
//! the app works as before. `tests/browser/dbsc.rs` serves this app over
//! HTTPS to Chromium and shows the whole flow.

pub mod ops_env;
pub mod process;

use std::error::Error;
use std::net::{Ipv4Addr, SocketAddr};

use axum::extract::Form;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use session_runtime::axum::{
    BoundedString, BoundedVec, CookieSession, CsrfLayer, CsrfToken, DbscLayer, Flash, Key, KeyRing,
    Lifetime, LoadStatus, MaxEncodedLen, RequestSession, RequireDeviceBound, SessionConfig,
    SessionLayer,
};
use session_runtime::dbsc::{DbscSettings, DbscState, DeviceBinding};

/// What the app remembers about a visitor, in the `__Host-app` cookie.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone)]
#[session(name = "__Host-app", version = 2)]
pub struct AppSession {
    /// Who logged in (at most 32 bytes of UTF-8).
    pub user: Option<BoundedString<32>>,
    /// Bumped by the counter button.
    pub counter: u32,
    /// Products in the cart, at most 8: the bound is what lets the compiler
    /// prove the cookie fits in the browser's 4096 bytes.
    pub cart: BoundedVec<Product, 8>,
    /// The CSRF token every form carries (made on the first page view,
    /// replaced at login, unset at logout). A `CsrfToken` field is the one
    /// `CsrfLayer` checks.
    pub csrf: CsrfToken,
    /// A message for the next page only ("Welcome, ada!").
    pub flash: Flash<BoundedString<64>>,
    /// The device binding (DBSC): pending after login, bound once the
    /// browser registered its key; at most 51 bytes of the cookie.
    pub device: DeviceBinding,
}

/// A product in the cart: an enum stores as one byte.
#[derive(MaxEncodedLen, Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// 🍎
    Apple,
    /// 🍐
    Pear,
    /// A fig.
    Fig,
}

impl Product {
    fn parse(name: &str) -> Option<Product> {
        match name {
            "apple" => Some(Product::Apple),
            "pear" => Some(Product::Pear),
            "fig" => Some(Product::Fig),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Product::Apple => "apple",
            Product::Pear => "pear",
            Product::Fig => "fig",
        }
    }
}

/// A second, independent session type with its own cookie: display
/// preferences that survive logout.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-prefs", version = 1)]
pub struct Prefs {
    /// Dark theme on?
    pub dark: bool,
}

/// A third session type, larger than one cookie can hold: a draft note of up
/// to 9,000 bytes, spread over up to three cookies (`__Secure-notes`,
/// `__Secure-notes.1`, `__Secure-notes.2`; docs/cookies.md, "Sessions larger
/// than one cookie"). Its `path` keeps those up to 12 KB of cookies off every
/// request but `/notes`. It carries its own CSRF token (its own `CsrfLayer`
/// in [`notes_routes`]), so its routes need no other session.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone)]
#[session(name = "__Secure-notes", version = 1, path = "/notes", chunks = 3)]
pub struct Notes {
    /// The draft, at most 9,000 bytes of UTF-8: the compiler proves that
    /// three cookies of at most 4,096 bytes hold it.
    pub draft: BoundedString<9000>,
    /// The token the notes form carries.
    pub csrf: CsrfToken,
}

/// The app: every route below `.layer(...)` can take `RequestSession<AppSession>`
/// and `RequestSession<Prefs>` arguments. The CSRF layer refuses every `POST`
/// without the session's token (403), and gives each visitor a token on the
/// first page view; it runs inside the `AppSession` layer, which stores it.
/// `/health` never touches a session, so it never costs a MAC check or a
/// `Set-Cookie`. `/account` requires a device-bound session, and the DBSC
/// layer answers the browser's registration and refresh requests (outside
/// the CSRF layer: they carry a signed proof instead of a token).
pub fn router(app: SessionConfig<AppSession>, prefs: SessionConfig<Prefs>) -> Router {
    let device_bound = Router::new()
        .route("/account", get(account))
        .route_layer(RequireDeviceBound::<AppSession>::new());
    Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/counter", post(count))
        .route("/cart", post(add_to_cart))
        .route("/theme", post(toggle_theme))
        .route("/logout", post(logout))
        .merge(device_bound)
        .layer(csrf_layer())
        // Outside the CSRF layer, which loads the session on every request:
        // a health check never costs a MAC check or a `Set-Cookie`.
        .route("/health", get(|| async { "ok" }))
        .layer(DbscLayer::<AppSession>::new())
        .layer(SessionLayer::new(app))
        .layer(SessionLayer::new(prefs))
}

/// `GET /notes` (the draft in a form) and `POST /notes` (save it), with their
/// own session layer and CSRF check. Merge it next to [`router`].
pub fn notes_routes(notes: SessionConfig<Notes>) -> Router {
    Router::new()
        .route("/notes", get(notes_page).post(save_notes))
        .layer(CsrfLayer::<Notes>::new())
        .layer(SessionLayer::new(notes))
}

async fn notes_page(session: RequestSession<Notes>) -> Html<String> {
    let draft: &str = session.draft();
    let cookies = match session.status() {
        LoadStatus::Rejected(reason) => format!("refused ({})", reason.kind()),
        other => format!("{other:?}"),
    };
    Html(format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>notes</title></head>
<body><h1>Draft note</h1>
<p id="notes-size">{len} of {cap} bytes; up to {chunks} cookies of at most {max} bytes each ({total} in all); loaded: {cookies}</p>
<form id="notes" method="post" action="/notes">{csrf}<textarea name="draft" rows="12" cols="80">{text}</textarea><br><button>save</button></form>
<p><a href="/">back</a></p></body></html>
"#,
        len = draft.len(),
        cap = 9000,
        chunks = Notes::CHUNKS,
        max = Notes::MAX_COOKIE_LEN,
        total = Notes::MAX_TOTAL_LEN,
        csrf = session.csrf().hidden_input(),
        text = escape(draft),
    ))
}

#[derive(Deserialize)]
struct NotesForm {
    draft: String,
}

async fn save_notes(
    mut session: RequestSession<Notes>,
    Form(form): Form<NotesForm>,
) -> Result<Redirect, (http::StatusCode, &'static str)> {
    // Refused, not cut off: the bound is the most three cookies can hold.
    let draft = BoundedString::from_string(form.draft).map_err(|_| {
        (
            http::StatusCode::PAYLOAD_TOO_LARGE,
            "a note holds at most 9000 bytes",
        )
    })?;
    session.set_draft(draft);
    Ok(Redirect::to("/notes"))
}

/// The CSRF check for every form of the app (and of `ops_env`'s routes): the
/// token lives in the session's `csrf` field.
fn csrf_layer() -> CsrfLayer<AppSession> {
    CsrfLayer::new()
}

async fn home(
    mut session: RequestSession<AppSession>,
    prefs: RequestSession<Prefs>,
) -> Html<String> {
    // Shown once: taking it removes it from the session (only when there is
    // one, so a plain page view stays read-only and sends no cookie).
    let flash = if session.flash().is_set() {
        session.get_mut().flash.take()
    } else {
        None
    };
    let flash = match flash {
        Some(message) => format!(r#"<p id="flash">{}</p>"#, escape(&message)),
        None => String::new(),
    };
    let cookie = match session.status() {
        LoadStatus::Missing => "none yet".to_owned(),
        LoadStatus::Valid => "valid".to_owned(),
        LoadStatus::ValidVerifyKey => {
            "valid (previous key; re-issued with the current key)".to_owned()
        }
        LoadStatus::Rejected(reason) => {
            // An app would log this; `is_suspicious` separates forgery from expiry.
            if reason.is_suspicious() {
                eprintln!("warning: session cookie refused: {reason}");
            }
            format!("refused ({}): {reason}", reason.kind())
        }
        other => format!("{other:?}"),
    };
    let user = match session.user() {
        Some(name) => escape(name),
        None => "(not logged in)".to_owned(),
    };
    let cart: Vec<&str> = session.cart().iter().map(|p| p.name()).collect();
    let device = match session.device().state() {
        None => "none",
        Some(DbscState::Pending { .. }) => "pending (registration offered)",
        Some(_) => "bound to this device",
    };
    let theme = if *prefs.dark() { "dark" } else { "light" };
    let (background, color) = if *prefs.dark() {
        ("#222", "#eee")
    } else {
        ("#fff", "#111")
    };
    Html(format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>session-runtime axum example</title>
<style>body {{ background: {background}; color: {color}; font-family: sans-serif; margin: 2em; }}
form {{ display: inline-block; margin: 0 1em 1em 0; }}</style></head>
<body>
<h1>Typed cookie sessions</h1>
{flash}
<p id="status">cookie: {cookie}</p>
<p id="user">user: {user}</p>
<p id="counter">counter: {counter}</p>
<p id="cart">cart: [{cart}] ({len}/{cap})</p>
<p id="theme">theme: {theme}</p>
<p id="lifetime">lifetime: {lifetime:?}</p>
<p id="device">device binding: {device}</p>
<p><a id="account" href="/account">account (device-bound sessions only)</a> · <a id="notes-link" href="/notes">a draft note (a session of up to three cookies)</a></p>
<form id="login" method="post" action="/login">{csrf}<input name="name" value="ada" maxlength="32"> <label><input type="checkbox" name="remember" value="on"> remember me</label> <button>log in</button></form>
<form id="count" method="post" action="/counter">{csrf}<button>count</button></form>
<form id="cart-add" method="post" action="/cart">{csrf}<select name="item"><option>apple</option><option>pear</option><option>fig</option></select> <button>add to cart</button></form>
<form id="theme-toggle" method="post" action="/theme">{csrf}<button>toggle theme</button></form>
<form id="logout" method="post" action="/logout">{csrf}<button>log out</button></form>
<p><small>The whole session lives in the signed <code>{name}</code> cookie; the compiler proved it never exceeds {max} bytes (browsers drop cookies over 4096).</small></p>
</body></html>
"#,
        counter = session.counter(),
        lifetime = session.lifetime(),
        csrf = session.csrf().hidden_input(),
        cart = cart.join(", "),
        len = cart.len(),
        cap = 8,
        name = AppSession::NAME,
        max = AppSession::MAX_COOKIE_LEN,
    ))
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    /// The "remember me" checkbox: `Some("on")` when ticked.
    remember: Option<String>,
}

async fn login(
    mut session: RequestSession<AppSession>,
    Form(form): Form<LoginForm>,
) -> Result<Redirect, (http::StatusCode, String)> {
    // A new session and a new cookie on every login, even with equal data:
    // the session-fixation defence (a cookie planted before login never
    // becomes the logged-in one). It also replaces the CSRF token, goes
    // back to the default lifetime (a browser session here) and starts a
    // new device binding, whose registration the response offers.
    session.renew();
    if form.remember.is_some() {
        // Declared in `configs` with `.remember_me(..)`; an undeclared
        // lifetime is refused here with the builder call that declares it.
        session
            .set_lifetime(Lifetime::RememberMe)
            .map_err(|err| (http::StatusCode::INTERNAL_SERVER_ERROR, err.to_string()))?;
    }
    let name = form.name.trim();
    let name = if name.is_empty() { "anonymous" } else { name };
    session.set_user(Some(BoundedString::truncating(name)));
    // At most 64 bytes: a long name is cut off at a character boundary.
    let welcome = BoundedString::truncating(&format!("Welcome, {name}!"));
    session.get_mut().flash.set(welcome);
    Ok(Redirect::to("/"))
}

/// Served only to a session bound to this browser's device key (or pending
/// within the grace period after login): `RequireDeviceBound` refuses the
/// rest with `403`, a copied cookie jar included once its bound cookie
/// expired.
async fn account(session: RequestSession<AppSession>) -> Html<String> {
    let user = match session.user() {
        Some(name) => escape(name),
        None => "(not logged in)".to_owned(),
    };
    let bound = session.device().is_bound();
    Html(format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>account</title></head>
<body><h1>Account</h1><p id="account-user">user: {user}</p><p id="account-bound">bound: {bound}</p>
<p><a href="/">back</a></p></body></html>
"#
    ))
}

async fn count(mut session: RequestSession<AppSession>) -> Redirect {
    let next = session.counter().saturating_add(1);
    session.set_counter(next);
    Redirect::to("/")
}

#[derive(Deserialize)]
struct CartForm {
    item: String,
}

async fn add_to_cart(
    mut session: RequestSession<AppSession>,
    Form(form): Form<CartForm>,
) -> Result<Redirect, (http::StatusCode, &'static str)> {
    let product =
        Product::parse(&form.item).ok_or((http::StatusCode::BAD_REQUEST, "unknown product"))?;
    if session.cart().is_full() {
        // The bound is visible at run time too: no silent growth.
        return Err((http::StatusCode::CONFLICT, "the cart holds at most 8 items"));
    }
    let _ = session.get_mut().cart.try_push(product);
    Ok(Redirect::to("/"))
}

async fn toggle_theme(mut prefs: RequestSession<Prefs>) -> Redirect {
    let dark = !*prefs.dark();
    prefs.set_dark(dark);
    Redirect::to("/")
}

async fn logout(mut session: RequestSession<AppSession>) -> Redirect {
    // Resets the data (the CSRF token too) and the lifetime, and sends an
    // expiring cookie. A copy of the old cookie stays valid until its idle
    // timeout unless revoked ("log out everywhere", `ops_env.rs`).
    session.clear();
    // Set after `clear()`: the cookie now holds a new session whose only
    // content is this message (a new CSRF token comes with the next page).
    session
        .get_mut()
        .flash
        .set(BoundedString::truncating("You are logged out."));
    Redirect::to("/")
}

/// Minimal HTML escaping for the user-chosen name.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The signing key from `SESSION_SECRET`, or a random development key with a
/// loud warning when it is unset; plus the previous key from
/// `SESSION_PREVIOUS_SECRET`. Set but empty, not UTF-8 or too short stops
/// the app (`process::secret_key`).
pub fn keys_from_env() -> Result<(Key, Option<Key>), Box<dyn Error>> {
    let previous = process::secret_key("SESSION_PREVIOUS_SECRET")?;
    let current = match process::secret_key("SESSION_SECRET")? {
        Some(key) => key,
        None if previous.is_some() => {
            return Err("SESSION_PREVIOUS_SECRET is set without SESSION_SECRET".into())
        }
        None => process::development_key()?,
    };
    Ok((current, previous))
}

/// One configuration per session type, built once at start-up and shared.
fn configs(
    keys: &KeyRing,
    revocations: Option<&session_runtime::revocation::RedisRevocations>,
) -> Result<(SessionConfig<AppSession>, SessionConfig<Prefs>), Box<dyn Error>> {
    const DAY: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);
    let mut app = keys
        .config_builder::<AppSession>()
        .idle_timeout(std::time::Duration::from_secs(30 * 60))
        // Sessions end when the browser closes, unless "remember me" was
        // ticked at login: then 30 days idle, 90 days at most.
        .default_lifetime(Lifetime::BrowserSession)
        .remember_me(30 * DAY, 90 * DAY)
        // Device-bound sessions with the defaults: POST /dbsc/register and
        // /dbsc/refresh, a `__Host-app-bound` cookie living 10 minutes.
        .dbsc(DbscSettings::new());
    if let Some(revocations) = revocations {
        // Also tells the store these sessions live up to 90 days.
        app = app.revocations(revocations, ops_env::revocation_subject);
    }
    let prefs = keys.config_builder::<Prefs>();
    Ok((app.build()?, prefs.build()?))
}

/// The notes session's configuration: the defaults (24 h idle, 7 days).
fn notes_config(keys: &KeyRing) -> Result<SessionConfig<Notes>, Box<dyn Error>> {
    Ok(keys.config_builder::<Notes>().build()?)
}

/// `pub` so that tests/fleet.rs can run this very `main` as a replica
/// process. Errors print as one sentence, with exit status 1.
#[tokio::main]
pub async fn main() -> std::process::ExitCode {
    process::report("axum_app", run().await)
}

async fn run() -> Result<(), Box<dyn Error>> {
    process::install_logging();
    let port = process::port(3000)?;
    let drain_period = process::drain_period()?;
    ops_env::install_metrics()?;
    let keys = ops_env::keyring_from_env()?;
    let revocations = ops_env::revocations_from_env()?;
    let (app_config, prefs_config) = configs(&keys, revocations.as_ref())?;
    process::log_keys("axum_app", app_config.keys());
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    let port = listener.local_addr()?.port();
    println!(
        "session-runtime axum example: open http://localhost:{port}/  (Ctrl-C stops it)\n\
         cookie `{}` is at most {} bytes (compile-time bound, budget {})",
        AppSession::NAME,
        AppSession::MAX_COOKIE_LEN,
        AppSession::BUDGET
    );
    let notes = notes_routes(notes_config(&keys)?);
    let ops = ops_env::routes(app_config.clone(), revocations);
    let drain = ops_env::Drain::default();
    let app = drain.layer(router(app_config, prefs_config).merge(notes).merge(ops));
    axum::serve(listener, app)
        .with_graceful_shutdown(drain.on_signal(drain_period))
        .await?;
    println!("axum_app: stopped");
    Ok(())
}
