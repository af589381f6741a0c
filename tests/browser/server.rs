//! The local servers the browser tests drive, and the page helpers they drive them with.
//!
//! - [`Server`] serves an app on `127.0.0.1:<free port>` on a runtime of its own, behind a
//!   recorder that keeps every request's `Cookie` header and every response's `Set-Cookie`
//!   headers as an [`Exchange`], so "sent back intact" is checked on the wire; it can serve
//!   other sites (a cross-site page, an attacker's form) on ports of their own, unrecorded.
//! - [`Runtime`] is that runtime: dropping it stops whatever it serves, with a bound, also when a
//!   test panics.
//! - [`navigate`], [`click`], [`body`] and [`assert_page`] panic with what went wrong (and, for a
//!   failed navigation or click, the tail of chromedriver's log).
//!
//! Each browser test target includes the module (`mod server;`, as `webdriver.rs`) and uses
//! only part of it, hence the `dead_code` allowance below.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use http::header::{COOKIE, SET_COOKIE};
use http::{Extensions, HeaderMap, HeaderName};

use crate::webdriver::Browser;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request's path, without the query.
    pub path: String,
    /// The `Cookie` request header(s), joined with `"; "` (empty when none).
    pub cookie: String,
    /// The `Set-Cookie` response headers.
    pub set_cookies: Vec<String>,
    /// The response's extensions: what a handler left there for the test to read.
    pub extensions: Extensions,
}

/// Every exchange of a [`Server`]'s app, in the order they were answered.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Exchange>>>);

impl Recorder {
    /// `router` with every exchange recorded (the outermost layer, so it sees the headers as the
    /// browser does).
    pub fn around(&self, router: Router) -> Router {
        router.layer(axum::middleware::from_fn_with_state(self.clone(), record))
    }

    /// The last exchange for `path`.
    pub fn last(&self, path: &str) -> Exchange {
        self.0
            .lock()
            .expect("log lock")
            .iter()
            .rev()
            .find(|e| e.path == path)
            .cloned()
            .unwrap_or_else(|| panic!("the server never saw {path}"))
    }

    /// How many requests for `path` the server answered.
    pub fn count(&self, path: &str) -> usize {
        self.0
            .lock()
            .expect("log lock")
            .iter()
            .filter(|e| e.path == path)
            .count()
    }
}

fn header_texts(headers: &HeaderMap, name: HeaderName) -> impl Iterator<Item = String> + '_ {
    headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

async fn record(State(recorder): State<Recorder>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let cookie = header_texts(request.headers(), COOKIE)
        .collect::<Vec<_>>()
        .join("; ");
    let response = next.run(request).await;
    let set_cookies = header_texts(response.headers(), SET_COOKIE).collect();
    let extensions = response.extensions().clone();
    recorder.0.lock().expect("log lock").push(Exchange {
        path,
        cookie,
        set_cookies,
        extensions,
    });
    response
}

/// A multi-threaded tokio runtime with `workers` worker threads; dropping it shuts it down,
/// waiting at most 5 s for its tasks.
pub struct Runtime(Option<tokio::runtime::Runtime>);

impl Runtime {
    /// Starts the runtime.
    pub fn new(workers: usize) -> Runtime {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .expect("tokio runtime");
        Runtime(Some(runtime))
    }

    /// A listener on `127.0.0.1:<free port>`.
    pub fn bind(&self) -> tokio::net::TcpListener {
        self.block_on(tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
            .expect("bind 127.0.0.1:0")
    }

    /// Serves `router` on a port of its own; returns its address.
    pub fn serve(&self, router: Router) -> SocketAddr {
        let listener = self.bind();
        let addr = listener.local_addr().expect("local address");
        self.spawn(async move { axum::serve(listener, router).await });
        addr
    }
}

impl Deref for Runtime {
    type Target = tokio::runtime::Runtime;

    fn deref(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().expect("the runtime runs until dropped")
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

/// An app served over HTTP on its own runtime, every exchange recorded; dropping it stops the
/// app and every other site it serves.
pub struct Server {
    runtime: Runtime,
    addr: SocketAddr,
    recorder: Recorder,
}

impl Server {
    /// Serves `app` behind the recorder.
    pub fn start(app: Router) -> Server {
        let runtime = Runtime::new(1);
        let recorder = Recorder::default();
        let addr = runtime.serve(recorder.around(app));
        Server {
            runtime,
            addr,
            recorder,
        }
    }

    /// Serves another site, unrecorded, on a port of its own; returns its address.
    pub fn serve(&self, router: Router) -> SocketAddr {
        self.runtime.serve(router)
    }

    /// The app's port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The app's `path` on `http://localhost`.
    pub fn url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.addr.port())
    }

    /// The last exchange for `path`.
    pub fn last(&self, path: &str) -> Exchange {
        self.recorder.last(path)
    }

    /// How many requests for `path` the app answered.
    pub fn count(&self, path: &str) -> usize {
        self.recorder.count(path)
    }
}

/// Opens `url` and waits for the page to load.
pub fn navigate(browser: &Browser, url: &str) {
    browser
        .navigate(url)
        .unwrap_or_else(|e| panic!("{e}\n{}", browser.driver_log_tail(2048)));
}

/// Clicks the element `selector` and waits for the page it leads to.
pub fn click(browser: &Browser, selector: &str) {
    browser
        .click_and_wait_for_new_page(selector)
        .unwrap_or_else(|e| panic!("{e}\n{}", browser.driver_log_tail(2048)));
}

/// The page's text.
pub fn body(browser: &Browser) -> String {
    browser
        .body_text()
        .unwrap_or_else(|e| panic!("reading the page: {e}"))
}

/// Asserts that the page's text contains `line`.
pub fn assert_page(browser: &Browser, line: &str) {
    let text = body(browser);
    assert!(
        text.contains(line),
        "expected {line:?} on the page:\n{text}"
    );
}
