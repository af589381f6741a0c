//! Cache safety through a real shared cache: nginx `proxy_cache` in front of
//! an axum app, configured the way a CDN caches pages for anonymous visitors
//! (one cached copy per URL for every visitor without a `Cookie`, kept 10
//! minutes). A visitor's first page starts a session, so its response carries
//! a `Set-Cookie`; if a cache stores that response, the next visitor gets the
//! first one's session. docs/operations.md ("Caches in front") summarises
//! what this shows.
//!
//! nginx, by default, stores no response that has a `Set-Cookie` (since
//! 0.8.44) and none whose `Cache-Control` says `private`, `no-cache` or
//! `no-store`. Operators who want more hits tell it to ignore those headers
//! (`proxy_ignore_headers`), and the stored response then keeps its
//! `Set-Cookie` for every later visitor. Each server below is one such
//! configuration:
//!
//! - `ignores Set-Cookie` (`proxy_ignore_headers Set-Cookie Expires`): the
//!   library's default `Cache-Control: private` keeps the session out of the
//!   cache, and the same app with `CacheProtection::Off` leaks it (the control
//!   that proves the cache really is that aggressive);
//! - `ignores Cache-Control too`: no response header can help, and the
//!   session leaks with every setting: the limit the docs state;
//! - `never stores Set-Cookie` (`proxy_no_cache $upstream_http_set_cookie`):
//!   the cache-side rule the docs recommend, which holds even while ignoring
//!   `Cache-Control`.
//!
//! Every server also caches a page without a session (`/static`), so a test
//! fails if the cache stops caching at all. Services are started on loopback
//! ephemeral ports and killed on drop; without nginx the tests print SKIP,
//! unless `REQUIRE_SERVICES=1`.

#[path = "http/client.rs"]
mod client;
mod services;

use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use http::{HeaderMap, HeaderValue, Method};
use serde::{Deserialize, Serialize};
use session_runtime::axum::SessionLayer;
use session_runtime::{CacheProtection, CookieSession, RequestSession, SessionConfig};
use session_tests::key;

use client::{send, Reply};
use services::{free_port, services_required, Guarded, TempDir};

#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-visitor", version = 1)]
struct Visitor {
    id: u64,
}

/// How many requests reached an app, per route: a cache hit never does.
#[derive(Clone, Default)]
struct Origin {
    next_visitor: Arc<AtomicU64>,
    static_hits: Arc<AtomicU64>,
}

/// A visitor's first page: it gives them a visitor number in their session
/// (so the response sets the session cookie) and shows it.
async fn welcome(State(origin): State<Origin>, mut session: RequestSession<Visitor>) -> String {
    if session.id == 0 {
        session.set_id(origin.next_visitor.fetch_add(1, Ordering::SeqCst) + 1);
    }
    format!("visitor {}", session.id)
}

/// The same page, whose handler asks every cache to keep it for 10 minutes.
async fn welcome_public(
    state: State<Origin>,
    session: RequestSession<Visitor>,
) -> impl IntoResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        "cache-control",
        HeaderValue::from_static("public, max-age=600"),
    );
    (headers, welcome(state, session).await)
}

/// A page that never touches the session.
async fn static_page(State(origin): State<Origin>) -> String {
    format!(
        "static {}",
        origin.static_hits.fetch_add(1, Ordering::SeqCst) + 1
    )
}

/// The app with `protection`, served on 127.0.0.1 until `runtime` drops.
fn serve_app(
    runtime: &tokio::runtime::Runtime,
    protection: CacheProtection,
) -> (SocketAddr, Origin) {
    let config = SessionConfig::<Visitor>::builder(key(1))
        .cache_protection(protection)
        .build()
        .expect("valid config");
    let origin = Origin::default();
    let app = Router::new()
        .route("/welcome", get(welcome))
        .route("/welcome-public", get(welcome_public))
        .route("/static", get(static_page))
        .with_state(origin.clone())
        .layer(SessionLayer::new(config));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    runtime.spawn(async move { axum::serve(listener, app).await });
    (addr, origin)
}

/// One caching server's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cache {
    /// `proxy_ignore_headers Set-Cookie Expires`: honours `Cache-Control`.
    IgnoresSetCookie,
    /// `proxy_ignore_headers Set-Cookie Cache-Control Expires`.
    IgnoresCacheControlToo,
    /// As `IgnoresCacheControlToo`, plus `proxy_no_cache
    /// $upstream_http_set_cookie`: never stores a response with `Set-Cookie`.
    NeverStoresSetCookie,
}

impl Cache {
    const ALL: [Cache; 3] = [
        Cache::IgnoresSetCookie,
        Cache::IgnoresCacheControlToo,
        Cache::NeverStoresSetCookie,
    ];

    /// This cache's `server` block: listens on `port`, and proxies
    /// `/default/` to the app with the default protection and `/off/` to the
    /// app with `CacheProtection::Off`.
    fn server(
        self,
        index: usize,
        port: u16,
        default_app: SocketAddr,
        off_app: SocketAddr,
    ) -> String {
        let (ignore, no_cache) = match self {
            Cache::IgnoresSetCookie => ("Set-Cookie Expires", "$http_cookie"),
            Cache::IgnoresCacheControlToo => ("Set-Cookie Cache-Control Expires", "$http_cookie"),
            Cache::NeverStoresSetCookie => (
                "Set-Cookie Cache-Control Expires",
                "$http_cookie $upstream_http_set_cookie",
            ),
        };
        let location = |prefix: &str, app: SocketAddr| {
            format!(
                "        location /{prefix}/ {{\n\
                 \x20           proxy_pass http://{app}/;\n\
                 \x20           proxy_cache edge{index};\n\
                 \x20           # One copy per URL for every visitor: the key has no cookie.\n\
                 \x20           proxy_cache_key $scheme$host$request_uri;\n\
                 \x20           proxy_cache_valid 200 10m;\n\
                 \x20           # Visitors with a cookie go to the app (\"bypass on cookie\").\n\
                 \x20           proxy_cache_bypass $http_cookie;\n\
                 \x20           proxy_no_cache {no_cache};\n\
                 \x20           proxy_ignore_headers {ignore};\n\
                 \x20           proxy_connect_timeout 2s;\n\
                 \x20           proxy_read_timeout 10s;\n\
                 \x20           add_header X-Cache-Status $upstream_cache_status always;\n\
                 \x20       }}\n"
            )
        };
        format!(
            "    server {{\n\
             \x20       listen 127.0.0.1:{port};\n\
             {}{}\
             \x20   }}\n",
            location("default", default_app),
            location("off", off_app),
        )
    }
}

/// nginx, found at `$NGINX` or `/usr/sbin/nginx`, or `None` after printing
/// SKIP (a panic under `REQUIRE_SERVICES=1`).
fn nginx_or_skip(test: &str) -> Option<PathBuf> {
    let path = std::env::var_os("NGINX")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/nginx"));
    if path.is_file() {
        return Some(path);
    }
    let reason = format!("{} not found (install nginx, or set NGINX)", path.display());
    if services_required() {
        panic!("{test}: REQUIRE_SERVICES=1 but {reason}");
    }
    eprintln!("SKIP {test}: {reason} (set REQUIRE_SERVICES=1 to make this a failure)");
    None
}

/// Both apps and one nginx with a server per [`Cache`]; everything stops
/// when it drops.
struct Stack {
    /// The port of each cache's server, in [`Cache::ALL`] order.
    ports: Vec<u16>,
    default_origin: Origin,
    off_origin: Origin,
    _nginx: Guarded,
    runtime: tokio::runtime::Runtime,
    _dir: TempDir,
}

impl Stack {
    fn start(nginx: &Path) -> Stack {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let (default_app, default_origin) = serve_app(&runtime, CacheProtection::default());
        let (off_app, off_origin) = serve_app(&runtime, CacheProtection::Off);
        let dir = TempDir::new("session-cache-nginx");
        let ports: Vec<u16> = Cache::ALL.iter().map(|_| free_port()).collect();
        let path = dir.path().display();
        let mut conf = format!(
            "worker_processes 1;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n\
             \x20   access_log off;\n\
             \x20   client_body_temp_path {path}/body;\n\
             \x20   proxy_temp_path {path}/proxy;\n\
             \x20   fastcgi_temp_path {path}/fastcgi;\n\
             \x20   uwsgi_temp_path {path}/uwsgi;\n\
             \x20   scgi_temp_path {path}/scgi;\n"
        );
        for (index, (cache, port)) in Cache::ALL.iter().zip(&ports).enumerate() {
            conf.push_str(&format!(
                "    proxy_cache_path {path}/cache{index} levels=1 keys_zone=edge{index}:1m max_size=10m inactive=10m use_temp_path=off;\n"
            ));
            conf.push_str(&cache.server(index, *port, default_app, off_app));
        }
        conf.push_str("}\n");
        let conf_path = dir.path().join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("write nginx.conf");
        let globals = format!(
            "daemon off; master_process on; pid {path}/nginx.pid; error_log {path}/error.log notice;"
        );
        let child = Command::new(nginx)
            // Its own process group: the guard kills master and workers together.
            .process_group(0)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", &globals])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let mut process = Guarded::group_leader("nginx", child);
        let deadline = Instant::now() + Duration::from_secs(10);
        for port in &ports {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, *port));
            while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
                let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
                assert!(
                    !process.exited() && Instant::now() < deadline,
                    "nginx did not listen on {addr}: {log}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Stack {
            ports,
            default_origin,
            off_origin,
            _nginx: process,
            runtime,
            _dir: dir,
        }
    }

    /// An anonymous visitor (no `Cookie`) asks `cache` for `path`.
    fn visit(&self, cache: Cache, path: &str) -> Reply {
        let index = Cache::ALL.iter().position(|c| *c == cache).expect("listed");
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.ports[index]));
        self.runtime
            .block_on(send(addr, Method::GET, path, None, None))
    }
}

/// The `X-Cache-Status` nginx added: `MISS` (from the app, maybe stored),
/// `HIT` (the stored copy).
fn cache_status(reply: &Reply) -> &str {
    reply
        .headers
        .get("x-cache-status")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The `name=value` of the session cookie the visitor was given.
fn session_cookie(reply: &Reply) -> Option<String> {
    let set = reply.set_cookies_for(Visitor::NAME);
    set.first()
        .map(|line| line.split(';').next().unwrap_or("").to_owned())
}

/// Two anonymous visitors, A then B, ask `cache` for `path`: `(A, B)`.
fn two_visitors(stack: &Stack, cache: Cache, path: &str) -> (Reply, Reply) {
    let a = stack.visit(cache, path);
    let b = stack.visit(cache, path);
    (a, b)
}

/// B got a session of their own, from the app: not A's cookie, not A's page.
fn assert_own_session(a: &Reply, b: &Reply, case: &str) {
    let a_cookie = session_cookie(a).unwrap_or_else(|| panic!("{case}: A got no session: {a:?}"));
    let b_cookie = session_cookie(b).unwrap_or_else(|| panic!("{case}: B got no session: {b:?}"));
    assert_ne!(a_cookie, b_cookie, "{case}: B was given A's session cookie");
    assert_ne!(a.body, b.body, "{case}: B was shown A's page");
    assert_eq!(cache_status(a), "MISS", "{case}: {a:?}");
    assert_eq!(
        cache_status(b),
        "MISS",
        "{case}: B's page was not from the app: {b:?}"
    );
}

/// B got A's stored response, session cookie included.
fn assert_shared_session(a: &Reply, b: &Reply, case: &str) {
    let a_cookie = session_cookie(a).unwrap_or_else(|| panic!("{case}: A got no session: {a:?}"));
    assert_eq!(cache_status(b), "HIT", "{case}: {b:?}");
    assert_eq!(
        session_cookie(b).as_deref(),
        Some(a_cookie.as_str()),
        "{case}"
    );
    assert_eq!(a.body, b.body, "{case}");
}

/// Each cache stores a page without a session: the second visitor gets the
/// stored copy and the app sees one request.
fn assert_caches_static_pages(stack: &Stack, cache: Cache) {
    for (prefix, origin) in [
        ("default", &stack.default_origin),
        ("off", &stack.off_origin),
    ] {
        let before = origin.static_hits.load(Ordering::SeqCst);
        let (a, b) = two_visitors(stack, cache, &format!("/{prefix}/static"));
        let case = format!("{cache:?} /{prefix}/static");
        assert_eq!(
            (cache_status(&a), cache_status(&b)),
            ("MISS", "HIT"),
            "{case}"
        );
        assert_eq!(a.body, b.body, "{case}");
        assert_eq!(
            origin.static_hits.load(Ordering::SeqCst),
            before + 1,
            "{case}"
        );
    }
}

#[test]
fn private_keeps_the_session_out_of_a_cache_that_ignores_set_cookie() {
    let Some(nginx) =
        nginx_or_skip("private_keeps_the_session_out_of_a_cache_that_ignores_set_cookie")
    else {
        return;
    };
    let stack = Stack::start(&nginx);
    let cache = Cache::IgnoresSetCookie;
    assert_caches_static_pages(&stack, cache);
    // The default protection, with and without the handler's own
    // `Cache-Control: public, max-age=600`.
    for path in ["/default/welcome", "/default/welcome-public"] {
        let (a, b) = two_visitors(&stack, cache, path);
        let control = a.headers.get("cache-control").and_then(|v| v.to_str().ok());
        let expected = if path.ends_with("public") {
            "max-age=600, private"
        } else {
            "private"
        };
        assert_eq!(control, Some(expected), "{path}");
        assert_own_session(&a, &b, path);
    }
    // The control: the same app without protection leaks through this cache.
    for path in ["/off/welcome", "/off/welcome-public"] {
        let (a, b) = two_visitors(&stack, cache, path);
        assert_shared_session(&a, &b, path);
    }
}

#[test]
fn a_cache_that_ignores_cache_control_too_needs_its_own_rule() {
    let Some(nginx) = nginx_or_skip("a_cache_that_ignores_cache_control_too_needs_its_own_rule")
    else {
        return;
    };
    let stack = Stack::start(&nginx);
    // The limit: no response header keeps a session out of this cache.
    let cache = Cache::IgnoresCacheControlToo;
    assert_caches_static_pages(&stack, cache);
    for path in ["/default/welcome", "/off/welcome"] {
        let (a, b) = two_visitors(&stack, cache, path);
        assert_shared_session(&a, &b, &format!("{cache:?} {path}"));
    }
    // The rule for the cache: never store a response that sets a cookie.
    let cache = Cache::NeverStoresSetCookie;
    assert_caches_static_pages(&stack, cache);
    for path in [
        "/default/welcome",
        "/default/welcome-public",
        "/off/welcome",
    ] {
        let (a, b) = two_visitors(&stack, cache, path);
        assert_own_session(&a, &b, &format!("{cache:?} {path}"));
    }
}
