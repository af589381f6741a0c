//! A small HTTP/1.1 client for the loopback tests: hyper's connection-level
//! client (already in axum's dependency tree), one connection per request, and
//! a cookie jar that keeps `name=value` pairs the way a browser does (an
//! expiring `Set-Cookie` deletes). Every request is bounded in time.
//!
//! Included with `#[path]` by several test targets, each using part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use http::header::{CONTENT_TYPE, COOKIE, HOST, SET_COOKIE};
use http::request::Builder;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Upper bound for one request, connect to last body byte. The servers are on
/// loopback, so this only ever fires when something hangs.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: StatusCode,
    /// All response headers.
    pub headers: HeaderMap,
    /// The body as UTF-8 (lossy).
    pub body: String,
}

impl Reply {
    /// Every `Set-Cookie` header value, in order.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|value| value.to_str().expect("ASCII Set-Cookie").to_owned())
            .collect()
    }

    /// The `Set-Cookie` header values for cookie `name`.
    pub fn set_cookies_for(&self, name: &str) -> Vec<String> {
        let prefix = format!("{name}=");
        self.set_cookies()
            .into_iter()
            .filter(|value| value.starts_with(&prefix))
            .collect()
    }
}

/// Sends one request over a fresh connection to `addr`.
pub async fn send(
    addr: SocketAddr,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> Reply {
    exchange(addr, path, request_to(addr, method, path, cookie), form).await
}

/// [`send`] with one extra request header (`(name, value)`) and no body.
pub async fn send_with_header(
    addr: SocketAddr,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    (name, value): (&str, &str),
) -> Reply {
    let request = request_to(addr, method, path, cookie).header(name, value);
    exchange(addr, path, request, None).await
}

/// A request for `path` on `addr`, with the `Cookie` header if given.
fn request_to(addr: SocketAddr, method: Method, path: &str, cookie: Option<&str>) -> Builder {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(HOST, format!("localhost:{}", addr.port()));
    match cookie {
        Some(cookie) => request.header(COOKIE, cookie),
        None => request,
    }
}

/// Sends `request` (with `form` as its urlencoded body, if given) over a
/// fresh connection to `addr`; `path` names it in panic messages.
async fn exchange(addr: SocketAddr, path: &str, mut request: Builder, form: Option<&str>) -> Reply {
    let work = async {
        let stream = TcpStream::connect(addr)
            .await
            .unwrap_or_else(|err| panic!("connecting to {addr}: {err}"));
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("HTTP/1.1 handshake");
        let connection = tokio::spawn(connection);
        let body = match form {
            Some(form) => {
                request = request.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
                Full::new(Bytes::from(form.to_owned()))
            }
            None => Full::new(Bytes::new()),
        };
        let response = sender
            .send_request(request.body(body).expect("valid request"))
            .await
            .unwrap_or_else(|err| panic!("request to {addr}{path}: {err}"));
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("response body").to_bytes();
        drop(sender);
        connection.abort();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    };
    tokio::time::timeout(REQUEST_TIMEOUT, work)
        .await
        .unwrap_or_else(|_| panic!("no response from {addr} within {REQUEST_TIMEOUT:?}"))
}

/// A browser stand-in: sends its cookies, and applies the `Set-Cookie` headers
/// it receives (a value of `Max-Age=0` deletes the cookie). Like a browser
/// filling in a form, it remembers the last CSRF token a page showed
/// (`name="csrf_token" value="..."`) and, when made with
/// [`with_csrf`](Self::with_csrf), adds it to the forms it posts, loading `/`
/// first if no page has shown one yet.
#[derive(Debug, Clone)]
pub struct Client {
    addr: SocketAddr,
    jar: BTreeMap<String, String>,
    csrf: Option<String>,
    post_csrf: bool,
}

impl Client {
    /// A client with an empty jar, talking to `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Client {
            addr,
            jar: BTreeMap::new(),
            csrf: None,
            post_csrf: false,
        }
    }

    /// A client that adds the page's CSRF token to every form it posts.
    pub fn with_csrf(addr: SocketAddr) -> Self {
        Client {
            post_csrf: true,
            ..Client::new(addr)
        }
    }

    /// The CSRF token the last page showed.
    pub fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }

    /// `POST path` with the form exactly as given (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, form: &str) -> Reply {
        self.request(Method::POST, path, Some(form)).await
    }

    /// Points the client (and its jar) at another server.
    pub fn retarget(&mut self, addr: SocketAddr) {
        self.addr = addr;
    }

    /// `GET path` with the jar's cookies.
    pub async fn get(&mut self, path: &str) -> Reply {
        self.request(Method::GET, path, None).await
    }

    /// `GET /`, asserting that the page shows each of `lines`.
    pub async fn assert_page(&mut self, lines: &[&str]) -> Reply {
        let page = self.get("/").await;
        for line in lines {
            assert_line(&page.body, line);
        }
        page
    }

    /// `POST path` with a form body and the jar's cookies (and the CSRF
    /// token, for a client made with [`with_csrf`](Self::with_csrf)).
    pub async fn post(&mut self, path: &str, form: &str) -> Reply {
        if !self.post_csrf {
            return self.post_raw(path, form).await;
        }
        if self.csrf.is_none() {
            self.get("/").await;
        }
        let token = self.csrf.clone().expect("the page shows a CSRF token");
        let form = if form.is_empty() {
            format!("csrf_token={token}")
        } else {
            format!("{form}&csrf_token={token}")
        };
        self.post_raw(path, &form).await
    }

    async fn request(&mut self, method: Method, path: &str, form: Option<&str>) -> Reply {
        let cookie = self.cookie_header();
        let reply = send(self.addr, method, path, cookie.as_deref(), form).await;
        for set_cookie in reply.set_cookies() {
            self.apply(&set_cookie);
        }
        if let Some(token) = csrf_in_page(&reply.body) {
            self.csrf = Some(token.to_owned());
        }
        reply
    }

    /// The `Cookie` header the jar would send.
    pub fn cookie_header(&self) -> Option<String> {
        (!self.jar.is_empty()).then(|| {
            self.jar
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// Applies one `Set-Cookie` header value to the jar.
    pub fn apply(&mut self, set_cookie: &str) {
        let mut parts = set_cookie.split(';').map(str::trim);
        let (name, value) = parts
            .next()
            .and_then(|pair| pair.split_once('='))
            .expect("Set-Cookie starts with name=value");
        let expired = parts.any(|attribute| attribute.eq_ignore_ascii_case("Max-Age=0"));
        if expired {
            self.jar.remove(name);
        } else {
            self.jar.insert(name.to_owned(), value.to_owned());
        }
    }

    /// The value of cookie `name` in the jar.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.get(name).map(String::as_str)
    }

    /// Overwrites (or plants) cookie `name`.
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.jar.insert(name.to_owned(), value.to_owned());
    }
}

/// The value of the first `name="csrf_token" value="..."` in an HTML page.
pub fn csrf_in_page(body: &str) -> Option<&str> {
    const MARK: &str = r#"name="csrf_token" value=""#;
    let start = body.find(MARK)? + MARK.len();
    let len = body[start..].find('"')?;
    Some(&body[start..start + len])
}

/// Asserts that the page `body` shows `line`.
pub fn assert_line(body: &str, line: &str) {
    assert!(
        body.contains(line),
        "expected {line:?} in the page:\n{body}"
    );
}

/// Without the session layer (or middleware) at `addr`: `GET /` is a `500`
/// whose page shows each of `lines` (what is missing and what to add), and
/// `GET /optional` (an `Option<RequestSession<_>>` handler) is a `200`
/// saying `without session`.
pub async fn assert_missing_layer_is_explained(addr: SocketAddr, lines: &[&str]) {
    let reply = send(addr, Method::GET, "/", None, None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    for line in lines {
        assert_line(&reply.body, line);
    }
    let reply = send(addr, Method::GET, "/optional", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "without session");
}

/// Asserts that `reply` sets one cookie, `name`, with the attributes of a
/// default session cookie (a day's `Max-Age`, `__Host-` rules, `Lax`).
pub fn assert_one_session_cookie(reply: &Reply, name: &str) {
    let set = reply.set_cookies();
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(set[0].starts_with(&format!("{name}=")), "{set:?}");
    assert!(
        set[0].ends_with("; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Lax"),
        "{set:?}"
    );
}

/// The value part of a `Set-Cookie` header value.
pub fn value_of(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value)
        .expect("name=value")
}

/// `value` with one character in the middle changed (still base64url, so the
/// MAC check is what refuses it).
pub fn tamper(value: &str) -> String {
    let mut bytes = value.as_bytes().to_vec();
    let middle = bytes.len() / 2;
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("ASCII")
}
