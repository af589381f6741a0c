//! Measures, in real headless Chromium, the cookie facts the size budget (README.md, "The size guarantee") rests on:
//!
//! (a) a cookie with `len(name) + len(value) == 4096` is stored and sent back byte-for-byte;
//! (b) a later `Set-Cookie` of the same name with 4097 bytes is dropped silently and the old
//!     4096-byte cookie keeps being sent (so an oversized update leaves a stale session);
//! (c) a `__Host-` cookie (`Secure; HttpOnly; Path=/; SameSite=Lax`) is accepted from
//!     `http://localhost:PORT`, which Chromium treats as a secure context; whether the same
//!     holds for `http://127.0.0.1:PORT` is measured and printed, not asserted.
//!
//! The pages come from a tiny std-only HTTP server on 127.0.0.1 that records the `Cookie`
//! header of every request, so "sent back intact" is checked on the wire, not via JS.
//! Without Chromium the tests SKIP (or fail under `REQUIRE_BROWSER=1`): see `webdriver.rs`.

mod webdriver;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use webdriver::{browser_or_skip, Browser};

/// The cookie under test; `__Host-` is the prefix the library defaults to.
const COOKIE_NAME: &str = "__Host-probe";
/// The attributes the library emits by default (README.md, "Defaults and runtime behaviour").
const HOST_ATTRS: &str = "Secure; HttpOnly; Path=/; SameSite=Lax";
/// Chromium's `kMaxCookieNamePlusValueSize`.
const LIMIT: usize = 4096;

/// The base64url alphabet: cookie values in the library are base64url without padding.
const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A deterministic base64url string of exactly `len` bytes. Different `seed`s give different
/// strings, so "the old cookie is still there" cannot be confused with "the new one arrived".
fn base64url_value(len: usize, seed: usize) -> String {
    (0..len)
        .map(|i| char::from(BASE64URL[(i * 7 + seed * 13 + i / 64) % 64]))
        .collect()
}

/// What the server saw for one request.
#[derive(Debug, Clone)]
struct Recorded {
    path: String,
    /// The raw `Cookie` header, if the browser sent one.
    cookie: Option<String>,
}

/// A tiny HTTP/1.1 server for the probe, on 127.0.0.1 with an OS-chosen port.
///
/// `routes` maps a request path (query string included) to the raw `Set-Cookie` header values
/// to send; every other path gets a plain 200 without cookies, except `/favicon.ico` (404).
/// It serves at most [`ProbeServer::MAX_CONNECTIONS`] connections and stops by itself after
/// [`ProbeServer::LIFETIME`], or earlier when dropped.
///
/// Each connection gets its own thread because Chromium opens speculative (preconnect)
/// sockets that may never carry a request: a serial server would stall on them.
struct ProbeServer {
    port: u16,
    log: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl ProbeServer {
    const MAX_CONNECTIONS: usize = 200;
    const LIFETIME: Duration = Duration::from_secs(120);
    const READ_TIMEOUT: Duration = Duration::from_secs(5);

    fn start(routes: HashMap<String, Vec<String>>) -> ProbeServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .expect("binding the probe server to 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("reading the probe server's port")
            .port();
        listener
            .set_nonblocking(true)
            .expect("making the probe listener non-blocking");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let routes = Arc::new(routes);
        let acceptor = {
            let (log, stop) = (Arc::clone(&log), Arc::clone(&stop));
            thread::spawn(move || {
                let deadline = Instant::now() + Self::LIFETIME;
                let mut served = 0;
                while served < Self::MAX_CONNECTIONS
                    && Instant::now() < deadline
                    && !stop.load(Ordering::Relaxed)
                {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            served += 1;
                            let (log, routes) = (Arc::clone(&log), Arc::clone(&routes));
                            // Detached: each handler is bounded by READ_TIMEOUT and ends alone.
                            thread::spawn(move || serve(stream, &routes, &log));
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        ProbeServer {
            port,
            log,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// The `Cookie` header of the last request to `path` (outer `None`: no such request).
    fn last_cookie_for(&self, path: &str) -> Option<Option<String>> {
        let log = self.log.lock().expect("probe log mutex poisoned");
        log.iter()
            .rev()
            .find(|r| r.path == path)
            .map(|r| r.cookie.clone())
    }
}

impl Drop for ProbeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.acceptor.take() {
            let _ = handle.join();
        }
    }
}

/// Handles one connection: reads the request head, records path and `Cookie`, answers.
fn serve(mut stream: TcpStream, routes: &HashMap<String, Vec<String>>, log: &Mutex<Vec<Recorded>>) {
    if stream.set_nonblocking(false).is_err()
        || stream
            .set_read_timeout(Some(ProbeServer::READ_TIMEOUT))
            .is_err()
        || stream
            .set_write_timeout(Some(ProbeServer::READ_TIMEOUT))
            .is_err()
    {
        return;
    }
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return, // preconnect closed unused, or timed out
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_owned();
    let cookies: Vec<&str> = lines
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("cookie"))
        .map(|(_, v)| v.trim())
        .collect();
    let cookie = (!cookies.is_empty()).then(|| cookies.join("; "));
    log.lock()
        .expect("probe log mutex poisoned")
        .push(Recorded {
            path: path.clone(),
            cookie,
        });

    let (status, set_cookies): (&str, &[String]) = if path == "/favicon.ico" {
        ("404 Not Found", &[])
    } else {
        ("200 OK", routes.get(&path).map_or(&[], Vec::as_slice))
    };
    let body = format!("probe {path}\n");
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n",
        body.len()
    );
    for value in set_cookies {
        response.push_str("Set-Cookie: ");
        response.push_str(value);
        response.push_str("\r\n");
    }
    response.push_str("\r\n");
    response.push_str(&body);
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}

/// Opens `http://{host}:{port}{path}` and returns the `Cookie` header the server received for
/// that request.
fn visit(browser: &Browser, server: &ProbeServer, host: &str, path: &str) -> Option<String> {
    let url = format!("http://{host}:{}{path}", server.port);
    browser
        .navigate(&url)
        .unwrap_or_else(|e| panic!("navigating to {url}: {e}"));
    server
        .last_cookie_for(path)
        .unwrap_or_else(|| panic!("the probe server never saw a request for {path}"))
}

/// Value of `COOKIE_NAME` as WebDriver reports it for the current page.
fn stored_cookie(browser: &Browser) -> Option<serde_json::Value> {
    browser
        .get_cookie(COOKIE_NAME)
        .unwrap_or_else(|e| panic!("reading cookies through WebDriver: {e}"))
}

#[test]
fn name_plus_value_limit_is_4096_and_oversized_update_keeps_old_cookie() {
    let launched = Instant::now();
    let Some(browser) = browser_or_skip("name_plus_value_limit") else {
        return;
    };
    println!("browser launch took {:?}", launched.elapsed());
    let started = Instant::now();
    let value_len = |total: usize| total - COOKIE_NAME.len();
    let fresh_4097 = base64url_value(value_len(LIMIT + 1), 3);
    let ok_4096 = base64url_value(value_len(LIMIT), 1);
    let over_4097 = base64url_value(value_len(LIMIT + 1), 2);
    assert_ne!(ok_4096.as_bytes()[..64], over_4097.as_bytes()[..64]);

    let cookie = |value: &str| format!("{COOKIE_NAME}={value}; {HOST_ATTRS}");
    let routes = HashMap::from([
        ("/set-fresh-4097".to_owned(), vec![cookie(&fresh_4097)]),
        ("/set-4096".to_owned(), vec![cookie(&ok_4096)]),
        ("/set-4097".to_owned(), vec![cookie(&over_4097)]),
    ]);
    let server = ProbeServer::start(routes);

    // (0) 4097 bytes with no previous cookie: nothing is stored.
    visit(&browser, &server, "localhost", "/set-fresh-4097");
    let sent = visit(&browser, &server, "localhost", "/echo-0");
    println!("fresh 4097-byte cookie: next request carried Cookie = {sent:?}");
    assert_eq!(sent, None, "a 4097-byte cookie must not be stored");
    assert!(stored_cookie(&browser).is_none());

    // (a) 4096 bytes: stored, and sent back byte-for-byte.
    visit(&browser, &server, "localhost", "/set-4096");
    let sent = visit(&browser, &server, "localhost", "/echo-a");
    let expected = format!("{COOKIE_NAME}={ok_4096}");
    // The `=` separator is not counted by the browser: 4096 bytes of name+value is a 4097-byte
    // `Cookie` header value.
    assert_eq!(COOKIE_NAME.len() + ok_4096.len(), LIMIT);
    assert_eq!(expected.len(), LIMIT + 1);
    let sent = sent.expect("(a) the 4096-byte cookie was not sent back");
    assert!(
        sent == expected,
        "(a) Cookie header differs: got {} bytes, expected {} bytes",
        sent.len(),
        expected.len()
    );
    let stored = stored_cookie(&browser).expect("(a) WebDriver does not list the cookie");
    assert_eq!(stored["value"], ok_4096.as_str());
    assert_eq!(stored["httpOnly"], true);
    assert_eq!(stored["secure"], true);
    println!(
        "(a) name+value = {} bytes: stored and sent back intact ({} bytes `name=value` on the \
         wire); \
         WebDriver sees httpOnly={} secure={} sameSite={} path={} domain={}",
        LIMIT,
        sent.len(),
        stored["httpOnly"],
        stored["secure"],
        stored["sameSite"],
        stored["path"],
        stored["domain"]
    );

    // (b) same name, 4097 bytes: dropped silently, the old 4096-byte cookie stays.
    visit(&browser, &server, "localhost", "/set-4097");
    let sent = visit(&browser, &server, "localhost", "/echo-b");
    let sent = sent.expect("(b) no cookie at all was sent after the 4097-byte update");
    assert!(
        sent == expected,
        "(b) expected the old 4096-byte cookie, got {} bytes starting {:?}",
        sent.len(),
        &sent[..sent.len().min(40)]
    );
    let stored = stored_cookie(&browser).expect("(b) WebDriver does not list the cookie");
    assert_eq!(stored["value"], ok_4096.as_str());
    println!(
        "(b) name+value = {} bytes, same name: silently dropped; the old {LIMIT}-byte cookie \
         is still sent",
        LIMIT + 1
    );

    browser
        .delete_all_cookies()
        .unwrap_or_else(|e| panic!("deleting cookies: {e}"));
    assert!(stored_cookie(&browser).is_none());
    println!("probe steps took {:?}", started.elapsed());
}

#[test]
fn host_prefix_cookie_is_accepted_over_http_localhost() {
    let Some(browser) = browser_or_skip("host_prefix_over_http") else {
        return;
    };
    let value = base64url_value(43, 5);
    let routes = HashMap::from([(
        "/set-host".to_owned(),
        vec![format!("{COOKIE_NAME}={value}; {HOST_ATTRS}")],
    )]);
    let server = ProbeServer::start(routes);
    let expected = format!("{COOKIE_NAME}={value}");

    // (c) http://localhost is a secure context: Secure and the __Host- prefix are honoured.
    visit(&browser, &server, "localhost", "/set-host");
    let sent = visit(&browser, &server, "localhost", "/echo-c");
    let stored = stored_cookie(&browser);
    println!(
        "(c) http://localhost: Cookie sent = {sent:?}; WebDriver sees {}",
        stored
            .as_ref()
            .map_or("nothing".to_owned(), |c| c.to_string())
    );
    assert_eq!(sent.as_deref(), Some(expected.as_str()));
    let stored = stored.expect("(c) WebDriver does not list the __Host- cookie");
    assert_eq!(stored["httpOnly"], true);
    assert_eq!(stored["secure"], true);

    // Same thing against the IP literal: cookies are per host, so this is a separate jar.
    // Reported only: it is a property of the browser, not of the library.
    visit(&browser, &server, "127.0.0.1", "/set-host");
    let sent = visit(&browser, &server, "127.0.0.1", "/echo-ip");
    let stored = stored_cookie(&browser);
    println!(
        "(c') http://127.0.0.1: __Host- cookie {}; Cookie sent = {sent:?}; WebDriver sees {}",
        if sent.as_deref() == Some(expected.as_str()) {
            "ACCEPTED"
        } else {
            "REJECTED"
        },
        stored
            .as_ref()
            .map_or("nothing".to_owned(), |c| c.to_string())
    );
}
