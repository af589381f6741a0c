//! A chunked session through a reverse proxy: nginx in front of an axum app
//! whose session (`#[session(chunks = 3)]`) grows to three cookies, each
//! at the browser's 4,096-byte limit. docs/operations.md ("Large
//! sessions behind a proxy") states what the proxy needs and why; this test
//! checks it on the nginx installed here.
//!
//! - With nginx's defaults (the control that proves the settings matter):
//!   the response that sets the three cookies does not fit
//!   `proxy_buffer_size` (one memory page) and nginx answers `502`, logging
//!   "upstream sent too big header", after the app has run the handler; even
//!   one full cookie does not fit. The request that carries the three
//!   cookies has a `Cookie` line longer than one of
//!   `large_client_header_buffers` (8k) and nginx answers `400` ("Request
//!   Header Or Cookie Too Large") without asking the app. A small session
//!   passes, so the server itself works.
//! - With the block docs/operations.md marks for this test (read from the
//!   page, so a change there changes the test): the session grows to three
//!   chunks, reads back byte for byte, shrinks to one (the two stale chunks
//!   are expired with `Max-Age=0`), grows again and is cleared (every chunk
//!   expired). The measured header sizes are checked against the block's
//!   buffer sizes, and against the defaults they exceed.
//!
//! nginx runs on an ephemeral loopback port, its files in a temporary
//! directory, and is killed on drop; every request and wait is bounded.
//! Without nginx the tests print SKIP, unless `REQUIRE_SERVICES=1`.

#[path = "http/client.rs"]
mod client;
mod services;

use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use session_runtime::axum::{
    BoundedString, CookieSession, LoadStatus, RequestSession, SessionConfig, SessionLayer,
};
use session_runtime::testing::CookieJar;
use session_tests::key;

use client::{send, Reply};
use services::{free_port, nginx_or_skip, Guarded, TempDir};

/// The largest note three cookies hold: 9,157 bytes of envelope (the
/// capacity the derive's over-budget error names for `chunks = 3`) less 32
/// of header and tag and 2 of length prefix. With it all three chunks are
/// (nearly) full, the largest request and response this session makes.
const FULL: usize = 9123;

/// The largest note one cookie holds (chunk 0 alone: 3,064 bytes in 4,086
/// base64url characters, less 1 of framing, 32 and 2 as above).
const ONE_COOKIE: usize = 3029;

/// Up to three cookies; the derive proves at compile time that the largest
/// session fits them.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-big", version = 1, chunks = 3)]
struct Big {
    note: BoundedString<FULL>,
}

/// The cookie names of the three chunks (docs/wire-format.md).
const CHUNKS: [&str; 3] = ["__Host-big", "__Host-big.1", "__Host-big.2"];

/// The marker in docs/operations.md before the block this test runs.
const MARKER: &str = "<!-- tests/chunks_nginx reads the next nginx block -->";

/// A note of `len` bytes: base64url-alphabet characters from a fixed
/// pseudo-random sequence, so that a piece moved, dropped or repeated
/// anywhere would change what reads back.
fn note(len: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            // xorshift64
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(ALPHABET[(state % 64) as usize])
        })
        .collect()
}

/// Requests that reached the app (a proxy that refuses a request never
/// forwards it).
#[derive(Clone, Default)]
struct Origin {
    requests: Arc<AtomicU64>,
}

impl Origin {
    fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn count(State(origin): State<Origin>, request: Request, next: Next) -> Response {
    origin.requests.fetch_add(1, Ordering::SeqCst);
    next.run(request).await
}

/// Sets the note to `note(len)`: grows or shrinks the session.
async fn set_note(UrlPath(len): UrlPath<usize>, mut session: RequestSession<Big>) -> String {
    session.set_note(BoundedString::try_from(note(len)).expect("at most FULL bytes"));
    format!("note of {len} bytes")
}

/// The load status, then the note as the app read it.
async fn read(session: RequestSession<Big>) -> String {
    let status = match session.status() {
        LoadStatus::Valid => "valid".to_owned(),
        LoadStatus::Missing => "missing".to_owned(),
        other => format!("{other:?}"),
    };
    format!("{status}\n{}", session.note().as_str())
}

/// Logout: expires every chunk the request carried.
async fn clear(mut session: RequestSession<Big>) -> &'static str {
    session.clear();
    "cleared"
}

/// The app on 127.0.0.1, served until `runtime` drops.
fn serve_app(runtime: &tokio::runtime::Runtime) -> (SocketAddr, Origin) {
    let config = SessionConfig::<Big>::new(key(1)).expect("valid config");
    let origin = Origin::default();
    let app = Router::new()
        .route("/note/{len}", get(set_note))
        .route("/read", get(read))
        .route("/clear", get(clear))
        .layer(SessionLayer::new(config))
        .layer(axum::middleware::from_fn_with_state(origin.clone(), count));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    runtime.spawn(async move { axum::serve(listener, app).await });
    (addr, origin)
}

/// The fenced `nginx` block after [`MARKER`] in docs/operations.md.
fn documented_block() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/operations.md");
    let page = std::fs::read_to_string(&path).expect("read docs/operations.md");
    let after = page
        .split_once(MARKER)
        .expect("docs/operations.md marks the block for large sessions")
        .1;
    after
        .split_once("```nginx\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("a fenced nginx block after the marker")
        .0
        .to_owned()
}

/// The size in bytes given by `directive`'s `arg`-th argument in `block`
/// (`16k` is 16,384), if the block sets it.
fn size_in(block: &str, directive: &str, arg: usize) -> Option<usize> {
    let line = block
        .lines()
        .map(str::trim)
        .find(|line| line.split_whitespace().next() == Some(directive))?;
    let value = line.trim_end_matches(';').split_whitespace().nth(arg)?;
    let (digits, unit) = match value.strip_suffix(['k', 'K']) {
        Some(digits) => (digits, 1024),
        None => match value.strip_suffix(['m', 'M']) {
            Some(digits) => (digits, 1024 * 1024),
            None => (value, 1),
        },
    };
    Some(digits.parse::<usize>().expect("a size") * unit)
}

/// The memory page size: nginx's default `proxy_buffer_size` ("4K or 8K,
/// depending on a platform", ngx_http_proxy_module docs; 4,096 on x86-64
/// Linux).
fn page_size() -> usize {
    Command::new("getconf")
        .arg("PAGESIZE")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(4096)
}

/// nginx's default `large_client_header_buffers` size (`4 8k`,
/// ngx_http_core_module docs).
const DEFAULT_LARGE_HEADER_BUFFER: usize = 8 * 1024;

/// The app and one nginx in front of it, configured with `block` (inside
/// its `server`), or with nginx's defaults for `None`. Everything stops when
/// it drops.
struct Stack {
    /// nginx's address.
    proxy: SocketAddr,
    /// The app's own address, for the requests that bypass nginx.
    app: SocketAddr,
    origin: Origin,
    dir: TempDir,
    _nginx: Guarded,
    runtime: tokio::runtime::Runtime,
}

impl Stack {
    fn start(nginx: &Path, block: Option<&str>) -> Stack {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let (app, origin) = serve_app(&runtime);
        let dir = TempDir::new("session-chunks-nginx");
        let block = block.unwrap_or("# nginx's defaults\n");
        // The port comes from `free_port`, which releases it before nginx
        // binds it: another process (the other test's nginx, in parallel)
        // can take it first. Then this nginx exits, or the server answering
        // is someone else's; either way, try another port.
        const ATTEMPTS: usize = 5;
        for attempt in 1..=ATTEMPTS {
            let port = free_port();
            if let Some(process) = start_nginx(nginx, dir.path(), port, app, block) {
                return Stack {
                    proxy: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                    app,
                    origin,
                    dir,
                    _nginx: process,
                    runtime,
                };
            }
            eprintln!("nginx lost port {port} to another process (attempt {attempt})");
        }
        panic!("nginx did not get a port in {ATTEMPTS} attempts");
    }

    /// `GET path` through nginx with `jar`'s cookies; applies the reply's
    /// `Set-Cookie`s to the jar, as a browser does.
    fn via_proxy(&self, jar: &mut CookieJar, path: &str) -> Reply {
        self.get(self.proxy, jar, path)
    }

    /// The same, straight to the app.
    fn direct(&self, jar: &mut CookieJar, path: &str) -> Reply {
        self.get(self.app, jar, path)
    }

    fn get(&self, addr: SocketAddr, jar: &mut CookieJar, path: &str) -> Reply {
        let cookie = cookie_header(jar);
        let reply = self
            .runtime
            .block_on(send(addr, Method::GET, path, cookie.as_deref(), None));
        jar.apply(&reply.headers);
        reply
    }

    /// Whether the server's error log has `needle` (ASCII case ignored),
    /// waiting up to 2 s for it (nginx writes the line before it answers, so
    /// the wait is only a margin), and the log.
    fn logged(&self, needle: &str) -> (bool, String) {
        let needle = needle.to_ascii_lowercase();
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let log = self.log();
            let found = log.to_ascii_lowercase().contains(&needle);
            if found || Instant::now() > deadline {
                return (found, log);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

/// Starts nginx with prefix `dir` on 127.0.0.1:`port` in front of `app`,
/// `block` in its `server`, and waits (at most 10 s) until it answers
/// there itself: `Some` then, `None` if it lost the port to another process.
/// Panics on any other failure, with nginx's output.
fn start_nginx(
    nginx: &Path,
    dir: &Path,
    port: u16,
    app: SocketAddr,
    block: &str,
) -> Option<Guarded> {
    let path = dir.display();
    // Answered by this nginx only: tells it apart from a server that took
    // the port.
    let identity = format!("chunks-nginx {path} {port}");
    // `error_log ... info` in the server: nginx logs a request line or header
    // line that does not fit ("client sent too long header line") at the
    // `info` level only.
    let conf = format!(
        "worker_processes 1;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n\
         \x20   access_log off;\n\
         \x20   client_body_temp_path {path}/body;\n\
         \x20   proxy_temp_path {path}/proxy;\n\
         \x20   fastcgi_temp_path {path}/fastcgi;\n\
         \x20   uwsgi_temp_path {path}/uwsgi;\n\
         \x20   scgi_temp_path {path}/scgi;\n\
         \x20   server {{\n\
         \x20       listen 127.0.0.1:{port};\n\
         \x20       error_log {path}/server.log info;\n\
         {block}\
         \x20       location = /identity {{\n\
         \x20           return 200 \"{identity}\";\n\
         \x20       }}\n\
         \x20       location / {{\n\
         \x20           proxy_pass http://{app};\n\
         \x20           proxy_connect_timeout 2s;\n\
         \x20           proxy_read_timeout 10s;\n\
         \x20       }}\n\
         \x20   }}\n\
         }}\n"
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).expect("write nginx.conf");
    let globals = format!(
        "daemon off; master_process on; pid {path}/nginx.pid; error_log {path}/error.log notice;"
    );
    let output = dir.join("nginx.out");
    let stderr = std::fs::File::create(&output).expect("create nginx.out");
    let child = Command::new(nginx)
        // Its own process group: the guard kills master and workers together.
        .process_group(0)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&conf_path)
        .args(["-g", &globals])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("start nginx");
    let mut process = Guarded::group_leader("nginx", child);
    let proxy = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if process.exited() {
            let said = std::fs::read_to_string(&output).unwrap_or_default()
                + &std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            if said.contains("Address already in use") {
                return None;
            }
            panic!("nginx exited: {said}");
        }
        match identity_at(proxy) {
            Some(answer) if answer == identity => return Some(process),
            // Another server holds the port: this nginx cannot bind it.
            Some(_) => return None,
            None => {}
        }
        assert!(
            Instant::now() < deadline,
            "nginx did not answer on {proxy} within 10 s: {}",
            std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The body of `GET /identity` at `addr`, or `None` if nothing answers
/// there (yet); every step bounded by 1 s.
fn identity_at(addr: SocketAddr) -> Option<String> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(1)))
        .ok()?;
    stream
        .write_all(b"GET /identity HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut response = Vec::new();
    // HTTP/1.0: the server closes the connection after the response.
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response);
    Some(response.split_once("\r\n\r\n")?.1.to_owned())
}

/// The `Cookie` header `jar` sends, if any.
fn cookie_header(jar: &CookieJar) -> Option<String> {
    jar.cookie_header()
        .map(|value| value.to_str().expect("ASCII cookies").to_owned())
}

/// The chunk cookies `jar` holds, in chunk order.
fn held(jar: &CookieJar) -> Vec<&'static str> {
    CHUNKS
        .into_iter()
        .filter(|name| jar.get(name).is_some())
        .collect()
}

/// `(name, name=value length)` of each cookie `reply` sets, and the names it
/// expires (`Max-Age=0`), in order.
fn set_cookies(reply: &Reply) -> (Vec<(String, usize)>, Vec<String>) {
    let mut kept = Vec::new();
    let mut expired = Vec::new();
    for line in reply.set_cookies() {
        let mut parts = line.split(';').map(str::trim);
        let pair = parts.next().expect("name=value");
        let name = pair.split_once('=').expect("name=value").0.to_owned();
        if parts.any(|attribute| attribute.eq_ignore_ascii_case("Max-Age=0")) {
            expired.push(name);
        } else {
            kept.push((name, pair.len() - 1));
        }
    }
    (kept, expired)
}

fn names(kept: &[(String, usize)]) -> Vec<&str> {
    kept.iter().map(|(name, _)| name.as_str()).collect()
}

/// The bytes of the response's status line and header block as an
/// HTTP/1.1 server writes them (`name: value` CRLF each, a CRLF to end):
/// what nginx must hold in `proxy_buffer_size`.
fn header_block_len(reply: &Reply) -> usize {
    let status_line = format!(
        "HTTP/1.1 {} {}\r\n",
        reply.status.as_str(),
        reply.status.canonical_reason().unwrap_or("")
    );
    status_line.len()
        + reply
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
            .sum::<usize>()
        + 2
}

/// The length of the `Cookie` request header line (`Cookie: ` ... CRLF) for
/// `jar`: what must fit in one of `large_client_header_buffers`.
fn cookie_line_len(jar: &CookieJar) -> usize {
    "Cookie: ".len() + cookie_header(jar).map_or(0, |c| c.len()) + 2
}

fn assert_reads(reply: &Reply, status: &str, len: usize, case: &str) {
    assert_eq!(reply.status, StatusCode::OK, "{case}: {reply:?}");
    let (got_status, got_note) = reply
        .body
        .split_once('\n')
        .unwrap_or_else(|| panic!("{case}: body {:?}", reply.body));
    assert_eq!(got_status, status, "{case}");
    assert_eq!(got_note.len(), len, "{case}");
    assert!(got_note == note(len), "{case}: the note read back differs");
}

#[test]
fn nginx_defaults_refuse_a_three_chunk_session() {
    let Some(nginx) = nginx_or_skip("nginx_defaults_refuse_a_three_chunk_session") else {
        return;
    };
    let stack = Stack::start(&nginx, None);
    let page = page_size();

    // Growing the session to three chunks: the app answers with three
    // `Set-Cookie`s of about 4.2 KB, more than nginx's default
    // `proxy_buffer_size` (one page).
    let full = stack.direct(&mut CookieJar::new(), &format!("/note/{FULL}"));
    let block = header_block_len(&full);
    assert!(
        block > page,
        "{block} bytes fit the default buffer ({page})"
    );
    let mut jar = CookieJar::new();
    let before = stack.origin.requests();
    let reply = stack.via_proxy(&mut jar, &format!("/note/{FULL}"));
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{reply:?}");
    assert!(reply.set_cookies().is_empty(), "{reply:?}");
    assert!(held(&jar).is_empty());
    // The app ran the handler: its effects happened, its cookies are lost.
    assert_eq!(stack.origin.requests(), before + 1);
    let too_big = "upstream sent too big header while reading response header from upstream";
    let (found, log) = stack.logged(too_big);
    assert!(found, "nginx's log: {log}");
    let logged_502 = log.lines().find(|l| l.contains(too_big)).unwrap_or("");
    eprintln!(
        "defaults, GET /note/{FULL} (app's header block {block} bytes, page {page}): {} {}; log: {}",
        reply.status.as_u16(),
        reply.status.canonical_reason().unwrap_or(""),
        logged_502.split_once("[error]").map_or(logged_502, |(_, l)| l.trim())
    );

    // Even one full cookie does not fit.
    let one = stack.direct(&mut CookieJar::new(), &format!("/note/{ONE_COOKIE}"));
    let (kept, _) = set_cookies(&one);
    assert_eq!(names(&kept), CHUNKS[..1], "{kept:?}");
    assert!(kept[0].1 >= 4090, "{kept:?}");
    let one_block = header_block_len(&one);
    assert!(one_block > page, "{one_block} bytes fit one page ({page})");
    let reply = stack.via_proxy(&mut CookieJar::new(), &format!("/note/{ONE_COOKIE}"));
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY, "{reply:?}");
    eprintln!(
        "defaults, GET /note/{ONE_COOKIE} (one cookie of {} bytes, header block {one_block}): {}",
        kept[0].1,
        reply.status.as_u16()
    );

    // A browser holding the three chunks (set by the app directly) sends a
    // `Cookie` line longer than one 8k buffer: nginx refuses it itself.
    let mut jar = CookieJar::new();
    stack.direct(&mut jar, &format!("/note/{FULL}"));
    assert_eq!(held(&jar), CHUNKS);
    let line = cookie_line_len(&jar);
    assert!(line > DEFAULT_LARGE_HEADER_BUFFER, "{line}");
    let before = stack.origin.requests();
    let reply = stack.via_proxy(&mut jar, "/read");
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert!(
        reply.body.contains("Request Header Or Cookie Too Large"),
        "{}",
        reply.body
    );
    assert_eq!(stack.origin.requests(), before, "the app saw the request");
    // nginx quotes the start of the line as sent (hyper writes `cookie`;
    // `logged` ignores case).
    let too_long = "client sent too long header line: \"Cookie: __Host-big=";
    let (found, log) = stack.logged(too_long);
    assert!(found, "nginx's log: {log}");
    eprintln!(
        "defaults, GET /read with a {line}-byte Cookie line: {} {} (\"Request Header Or Cookie Too Large\"); log [info]: client sent too long header line: \"cookie: __Host-big=...\"",
        reply.status.as_u16(),
        reply.status.canonical_reason().unwrap_or("")
    );

    // The same server passes a small session both ways.
    let mut jar = CookieJar::new();
    let reply = stack.via_proxy(&mut jar, "/note/10");
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(held(&jar), CHUNKS[..1]);
    assert_reads(
        &stack.via_proxy(&mut jar, "/read"),
        "valid",
        10,
        "small session",
    );
}

#[test]
fn the_documented_settings_carry_a_chunked_session_through_nginx() {
    let Some(nginx) =
        nginx_or_skip("the_documented_settings_carry_a_chunked_session_through_nginx")
    else {
        return;
    };
    let block = documented_block();
    let header_buffer = size_in(&block, "large_client_header_buffers", 2)
        .expect("the block sets large_client_header_buffers");
    let proxy_buffer =
        size_in(&block, "proxy_buffer_size", 1).expect("the block sets proxy_buffer_size");
    let stack = Stack::start(&nginx, Some(&block));
    let page = page_size();
    let mut jar = CookieJar::new();

    // Grow: three chunks.
    let reply = stack.via_proxy(&mut jar, &format!("/note/{FULL}"));
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let (kept, expired) = set_cookies(&reply);
    assert_eq!(names(&kept), CHUNKS, "{kept:?}");
    assert!(expired.is_empty(), "{expired:?}");
    // All three (nearly) full: chunk 0 at the session's largest cookie, the
    // others within a base64url group of the limit.
    assert_eq!(kept[0].1, Big::MAX_COOKIE_LEN, "{kept:?}");
    assert!(kept.iter().all(|(_, len)| *len > 4090), "{kept:?}");
    assert_eq!(held(&jar), CHUNKS);
    // The sizes the page states, measured: the app's header block (asked
    // directly, as nginx receives it) exceeds the default buffer and fits
    // the documented one; so does the Cookie line.
    let block_len =
        header_block_len(&stack.direct(&mut CookieJar::new(), &format!("/note/{FULL}")));
    assert!(
        block_len > page && block_len <= proxy_buffer,
        "header block {block_len}, default {page}, documented {proxy_buffer}"
    );
    let line = cookie_line_len(&jar);
    assert!(
        line > DEFAULT_LARGE_HEADER_BUFFER && line <= header_buffer,
        "Cookie line {line}, default {DEFAULT_LARGE_HEADER_BUFFER}, documented {header_buffer}"
    );
    eprintln!(
        "documented block: chunks {:?} (name=value bytes); app's header block {block_len} bytes (proxy_buffer_size {proxy_buffer}); Cookie line {line} bytes (large_client_header_buffers {header_buffer})",
        kept.iter().map(|(_, len)| *len).collect::<Vec<_>>()
    );

    // Read: the app gets all three chunks and the note, byte for byte.
    assert_reads(&stack.via_proxy(&mut jar, "/read"), "valid", FULL, "grown");

    // Shrink to one chunk: the two stale chunks are expired.
    let reply = stack.via_proxy(&mut jar, "/note/10");
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let (kept, expired) = set_cookies(&reply);
    assert_eq!(names(&kept), CHUNKS[..1], "{kept:?}");
    assert_eq!(expired, CHUNKS[1..], "{reply:?}");
    assert_eq!(held(&jar), CHUNKS[..1]);
    assert_reads(&stack.via_proxy(&mut jar, "/read"), "valid", 10, "shrunk");

    // Grow again, then clear: every chunk the request carried is expired.
    let reply = stack.via_proxy(&mut jar, &format!("/note/{FULL}"));
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(held(&jar), CHUNKS);
    assert_reads(
        &stack.via_proxy(&mut jar, "/read"),
        "valid",
        FULL,
        "regrown",
    );
    let reply = stack.via_proxy(&mut jar, "/clear");
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let (kept, expired) = set_cookies(&reply);
    assert!(kept.is_empty(), "{kept:?}");
    assert_eq!(expired, CHUNKS, "{reply:?}");
    assert!(held(&jar).is_empty());
    assert_reads(&stack.via_proxy(&mut jar, "/read"), "missing", 0, "cleared");

    let log = stack.log();
    for needle in ["too big header", "too long header", "too large"] {
        assert!(!log.contains(needle), "nginx logged {needle:?}: {log}");
    }
}

/// The harness itself: when another server holds the port `free_port`
/// gave (the race `Stack::start` retries on: in practice the other test's
/// nginx), `start_nginx` reports it instead of taking that server for its
/// own nginx.
#[test]
fn a_port_taken_by_another_server_is_not_mistaken_for_nginx() {
    use std::io::{Read as _, Write as _};
    let Some(nginx) = nginx_or_skip("a_port_taken_by_another_server_is_not_mistaken_for_nginx")
    else {
        return;
    };
    // A server that answers every request with another body, for at most
    // 10 s or until the test is done.
    let taken = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    let port = taken.local_addr().expect("address").port();
    taken.set_nonblocking(true).expect("nonblocking");
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let server = {
        let done = done.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !done.load(Ordering::SeqCst) && Instant::now() < deadline {
                match taken.accept() {
                    Ok((mut stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
                        let mut request = [0u8; 1024];
                        let _ = stream.read(&mut request);
                        let _ = stream
                            .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\nnot nginx");
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        })
    };
    let dir = TempDir::new("session-chunks-nginx-taken");
    let app = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
    let started = Instant::now();
    let process = start_nginx(&nginx, dir.path(), port, app, "");
    let elapsed = started.elapsed();
    done.store(true, Ordering::SeqCst);
    server.join().expect("the stand-in server");
    assert!(process.is_none(), "the stand-in server was taken for nginx");
    eprintln!("another server on the port detected after {elapsed:?}");
}
