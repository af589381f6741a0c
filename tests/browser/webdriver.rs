//! A small synchronous wrapper around [`fantoccini`], the maintained async WebDriver client,
//! that drives headless Chromium through chromedriver for the end-to-end cookie tests.
//!
//! What is ours is only the lifecycle around the client:
//! - chromedriver is started on a free loopback port in its own process group (so Chromium and
//!   its helpers are in that group too), with a fresh profile directory, and waited for with a
//!   bound;
//! - [`Browser`] owns the process, the WebDriver session and the profile; `Drop` ends all three,
//!   also when a test panics;
//! - every command is bounded in time, on a private current-thread tokio runtime, so the tests
//!   stay synchronous;
//! - a missing browser is a SKIP with a visible notice, unless `REQUIRE_BROWSER=1` (set in CI),
//!   where it is a failure: see [`browser_or_skip`].
//!
//! The harness only ever talks to chromedriver on 127.0.0.1; the pages a test opens are the
//! test's business (the cookie tests use `localhost` servers of their own).
//!
//! Environment: `CHROMIUM`, `CHROMEDRIVER` (binary paths), `REQUIRE_BROWSER=1` (missing browser
//! fails), `CHROMEDRIVER_VERBOSE=1` (verbose driver log, quoted in launch-failure messages).
//!
//! The module is included by path from several test targets, each of which uses only part of
//! it, hence the `dead_code` allowance below.
#![allow(dead_code)]

use std::fmt;
use std::fs;
use std::future::Future;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

/// Default location of Debian's `chromium` launcher (overridable with env `CHROMIUM`).
pub const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
/// Default location of Debian's `chromedriver` (overridable with env `CHROMEDRIVER`).
pub const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Chromium flags for every session. Why each one:
/// - `--headless`: no display in CI (this is the "new" headless mode in current Chromium);
/// - `--no-sandbox`: the sandbox needs user namespaces or a setuid helper, absent when tests
///   run as root in a container;
/// - `--disable-gpu`: there is no GPU; avoids a GPU process crash loop and its log noise;
/// - `--disable-quic`, `--disable-background-networking`, `--disable-component-update`,
///   `--disable-sync`: no traffic anywhere but the pages the test opens;
/// - `--no-first-run`: no first-run UI or extra tabs in a fresh profile.
///
/// `--user-data-dir` and the binary path are added per session.
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// How long chromedriver may take to accept connections after it is spawned.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(15);
/// Default bound for one WebDriver command, end to end. Session creation starts Chromium and
/// navigation waits for the page load, so this is generous; it is still a hard bound.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// Page-load and script timeouts requested from the browser; kept below [`COMMAND_TIMEOUT`] so
/// the browser reports a WebDriver `timeout` error before our own bound gives up.
const PAGE_LOAD_TIMEOUT_MS: u64 = 20_000;
const SCRIPT_TIMEOUT_MS: u64 = 10_000;
/// Bound for teardown's orderly part: closing the session (Chromium quits).
const SESSION_DELETE_TIMEOUT: Duration = Duration::from_secs(10);
/// A chromedriver that dies at once (typically: the port we picked was taken in between) is
/// retried this many times with a fresh port.
const LAUNCH_ATTEMPTS: u32 = 3;

/// Paths of the two binaries a [`Browser`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserPaths {
    /// The Chromium binary (or Debian's launcher script, which `exec`s the real binary).
    pub chromium: PathBuf,
    /// The chromedriver binary; it must match Chromium's major version.
    pub chromedriver: PathBuf,
}

/// An error from the harness: a failed launch, an I/O problem talking to chromedriver, or a
/// WebDriver error response. The message carries enough context to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebDriverError {
    message: String,
}

impl WebDriverError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WebDriverError {}

/// Result alias for the harness.
pub type Result<T> = std::result::Result<T, WebDriverError>;

/// True when env `REQUIRE_BROWSER=1`: a missing browser must fail the test run instead of
/// skipping (CI sets it after running `.ci/install-browser.sh`, so a broken install cannot
/// turn into a silently green run).
pub fn browser_required() -> bool {
    std::env::var_os("REQUIRE_BROWSER").is_some_and(|v| v == "1")
}

/// Finds Chromium and chromedriver: env `CHROMIUM` / `CHROMEDRIVER` when set, otherwise
/// [`DEFAULT_CHROMIUM`] / [`DEFAULT_CHROMEDRIVER`].
///
/// `Err` holds a human-readable reason naming what is missing and how to get it.
pub fn locate() -> std::result::Result<BrowserPaths, String> {
    let chromium = find_binary("CHROMIUM", DEFAULT_CHROMIUM)?;
    let chromedriver = find_binary("CHROMEDRIVER", DEFAULT_CHROMEDRIVER)?;
    Ok(BrowserPaths {
        chromium,
        chromedriver,
    })
}

fn find_binary(env_var: &str, default: &str) -> std::result::Result<PathBuf, String> {
    let (path, origin) = match std::env::var_os(env_var) {
        Some(p) if !p.is_empty() => (PathBuf::from(p), format!("env {env_var}")),
        _ => (PathBuf::from(default), "default path".to_owned()),
    };
    if is_executable_file(&path) {
        Ok(path)
    } else {
        Err(format!(
            "{} ({origin}) is not an executable file; run .ci/install-browser.sh \
             (apt-get install chromium chromium-driver) or set {env_var}",
            path.display()
        ))
    }
}

#[cfg(unix)]
fn is_executable_file(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable_file(path: &Path) -> bool {
    path.is_file()
}

/// What a test adds to the defaults for one browser: more Chromium switches, profile
/// preferences (chromedriver's `goog:chromeOptions.prefs`, dotted names such as
/// `"profile.cookie_controls_mode"`), and another `HOME` (the DBSC test: one whose NSS
/// database trusts the test's own certificate; Chromium on Linux reads `$HOME/.pki/nssdb`).
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    /// Switches after [`CHROMIUM_ARGS`].
    pub args: Vec<String>,
    /// Preferences of the fresh profile.
    pub prefs: serde_json::Map<String, Value>,
    /// `HOME` for chromedriver and, through it, Chromium.
    pub home: Option<PathBuf>,
}

/// [`browser_or_skip`] with extra switches and preferences.
pub fn browser_or_skip_with(test_name: &str, options: &LaunchOptions) -> Option<Browser> {
    match locate() {
        Ok(paths) => match Browser::launch_with(&paths, options) {
            Ok(browser) => Some(browser),
            Err(e) => {
                panic!("{test_name}: browser binaries found but the browser did not start: {e}")
            }
        },
        Err(reason) if browser_required() => {
            panic!("{test_name}: REQUIRE_BROWSER=1 but no usable browser: {reason}")
        }
        Err(reason) => {
            let _ = writeln!(
                io::stderr(),
                "SKIP {test_name}: {reason} (set REQUIRE_BROWSER=1 to make this a failure)"
            );
            None
        }
    }
}

/// Starts a browser for test `test_name`, or returns `None` after printing a SKIP notice when
/// Chromium or chromedriver is not installed.
///
/// Panics (failing the test) when:
/// - the browser is missing and `REQUIRE_BROWSER=1` is set;
/// - the binaries exist but the browser does not start: that is a broken install or a harness
///   bug, and skipping would hide it.
///
/// The notice is written straight to the process's stderr rather than with `eprintln!`, which
/// libtest captures and hides for passing tests.
pub fn browser_or_skip(test_name: &str) -> Option<Browser> {
    browser_or_skip_with(test_name, &LaunchOptions::default())
}

/// One chromedriver process with one WebDriver session (one headless Chromium) and a fresh,
/// private profile. Dropping it ends the session, stops chromedriver, kills anything left in
/// its process group and removes the profile directory.
pub struct Browser {
    driver: Child,
    port: u16,
    /// The WebDriver session; `None` until it is open, and after `Drop` closed it.
    client: Option<Client>,
    /// Runs the async client's commands one at a time, on the test's thread.
    runtime: tokio::runtime::Runtime,
    /// Holds the Chromium profile (`profile/`) and chromedriver's log (`chromedriver.log`).
    scratch_dir: PathBuf,
}

impl fmt::Debug for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Browser")
            .field("driver_pid", &self.driver.id())
            .field("port", &self.port)
            .field("scratch_dir", &self.scratch_dir)
            .finish_non_exhaustive()
    }
}

impl Browser {
    /// Starts chromedriver on a free loopback port, waits (bounded) until it accepts
    /// connections and opens a session with [`CHROMIUM_ARGS`] and a fresh `--user-data-dir`.
    pub fn launch(paths: &BrowserPaths) -> Result<Browser> {
        Self::launch_with(paths, &LaunchOptions::default())
    }

    /// [`launch`](Self::launch) with extra switches, preferences and another `HOME`.
    pub fn launch_with(paths: &BrowserPaths, options: &LaunchOptions) -> Result<Browser> {
        let mut last_err = None;
        for _ in 0..LAUNCH_ATTEMPTS {
            match Self::launch_once(paths, options) {
                Ok(browser) => return Ok(browser),
                Err(LaunchError::Retryable(e)) => last_err = Some(e),
                Err(LaunchError::Fatal(e)) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| WebDriverError::new("chromedriver did not start")))
    }

    /// One launch attempt with its own port and scratch directory; on failure everything it
    /// created is cleaned up (by hand before the [`Browser`] exists, by its `Drop` after).
    fn launch_once(
        paths: &BrowserPaths,
        options: &LaunchOptions,
    ) -> std::result::Result<Browser, LaunchError> {
        let scratch_dir = make_scratch_dir()?;
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => {
                let _ = fs::remove_dir_all(&scratch_dir);
                return Err(LaunchError::Fatal(WebDriverError::new(format!(
                    "tokio runtime: {e}"
                ))));
            }
        };
        match Self::spawn_driver(paths, &scratch_dir, options.home.as_deref()) {
            Ok((driver, port)) => {
                let browser = Browser {
                    driver,
                    port,
                    client: None,
                    runtime,
                    scratch_dir,
                };
                browser.start_session(paths, options)
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&scratch_dir);
                Err(LaunchError::Fatal(e))
            }
        }
    }

    /// Spawns chromedriver on a free loopback port, output going to `chromedriver.log` in
    /// `scratch_dir`.
    fn spawn_driver(
        paths: &BrowserPaths,
        scratch_dir: &Path,
        home: Option<&Path>,
    ) -> Result<(Child, u16)> {
        let port = free_loopback_port()?;
        let log_path = scratch_dir.join("chromedriver.log");
        let log = fs::File::create(&log_path)
            .map_err(|e| WebDriverError::new(format!("creating {}: {e}", log_path.display())))?;
        let log_err = log.try_clone().map_err(|e| {
            WebDriverError::new(format!("duplicating handle of {}: {e}", log_path.display()))
        })?;

        let mut cmd = Command::new(&paths.chromedriver);
        // chromedriver listens on 127.0.0.1 and accepts only local clients by default; we keep
        // it that way (no --allowed-ips). Its own and Chromium's output go to a log file: a pipe
        // nobody reads would fill up and block the browser.
        cmd.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err));
        if let Some(home) = home {
            cmd.env("HOME", home);
        }
        if std::env::var_os("CHROMEDRIVER_VERBOSE").is_some_and(|v| v == "1") {
            // chromedriver's answer to "Chrome instance exited" is "examine the verbose log";
            // this switch makes that log (and so the failure message's tail) say why.
            cmd.arg("--verbose");
        }
        #[cfg(unix)]
        {
            // Own process group (pgid = chromedriver's pid): Chromium and its helpers inherit
            // it, so teardown can kill the whole tree with one signal even if chromedriver
            // itself has already died.
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let driver = cmd.spawn().map_err(|e| {
            WebDriverError::new(format!("spawning {}: {e}", paths.chromedriver.display()))
        })?;
        Ok((driver, port))
    }

    /// Waits for chromedriver, then opens the WebDriver session (which starts Chromium). On
    /// error `self` is dropped, which stops chromedriver and removes the scratch directory.
    fn start_session(
        mut self,
        paths: &BrowserPaths,
        options: &LaunchOptions,
    ) -> std::result::Result<Browser, LaunchError> {
        self.wait_until_listening()?;
        let profile = self.scratch_dir.join("profile");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        args.extend(options.args.iter().cloned());
        let mut chrome_options = json!({
            "binary": paths.chromium.to_string_lossy(),
            "args": args
        });
        if !options.prefs.is_empty() {
            chrome_options["prefs"] = Value::Object(options.prefs.clone());
        }
        let caps = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {
                "pageLoad": PAGE_LOAD_TIMEOUT_MS,
                "script": SCRIPT_TIMEOUT_MS,
                "implicit": 0
            },
            "goog:chromeOptions": chrome_options
        });
        let Value::Object(caps) = caps else {
            unreachable!("a JSON object literal")
        };
        let url = format!("http://127.0.0.1:{}", self.port);
        let connect = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await_within(&self.runtime, COMMAND_TIMEOUT);
        match connect {
            Ok(Ok(client)) => {
                self.client = Some(client);
                Ok(self)
            }
            Ok(Err(e)) => Err(LaunchError::Fatal(WebDriverError::new(format!(
                "creating a WebDriver session: {e}{}",
                self.log_context()
            )))),
            Err(elapsed) => Err(LaunchError::Fatal(WebDriverError::new(format!(
                "creating a WebDriver session: {elapsed}{}",
                self.log_context()
            )))),
        }
    }

    /// Waits until chromedriver accepts connections on its port, at most
    /// [`DRIVER_START_TIMEOUT`].
    fn wait_until_listening(&mut self) -> std::result::Result<(), LaunchError> {
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        loop {
            match self.driver.try_wait() {
                Ok(Some(status)) => {
                    // Dying at once is almost always "port already in use": retry on a new port.
                    return Err(LaunchError::Retryable(WebDriverError::new(format!(
                        "chromedriver exited during start-up ({status}){}",
                        self.log_context()
                    ))));
                }
                Ok(None) => {}
                Err(e) => {
                    return Err(LaunchError::Fatal(WebDriverError::new(format!(
                        "checking chromedriver process: {e}"
                    ))))
                }
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(LaunchError::Fatal(WebDriverError::new(format!(
                    "chromedriver on port {} not listening after {:?}{}",
                    self.port,
                    DRIVER_START_TIMEOUT,
                    self.log_context()
                ))));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The loopback port chromedriver listens on.
    pub fn driver_port(&self) -> u16 {
        self.port
    }

    /// Runs one client command, bounded by [`COMMAND_TIMEOUT`].
    fn run<T, E: fmt::Display, F>(&self, what: &str, command: impl FnOnce(Client) -> F) -> Result<T>
    where
        F: Future<Output = std::result::Result<T, E>>,
    {
        let client = self
            .client
            .clone()
            .ok_or_else(|| WebDriverError::new("no WebDriver session"))?;
        match command(client).await_within(&self.runtime, COMMAND_TIMEOUT) {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(WebDriverError::new(format!("{what}: {e}"))),
            Err(elapsed) => Err(WebDriverError::new(format!("{what}: {elapsed}"))),
        }
    }

    /// Opens `url` and waits (bounded by the page-load timeout) until it has loaded.
    pub fn navigate(&self, url: &str) -> Result<()> {
        self.run(&format!("navigating to {url}"), |c| async move {
            c.goto(url).await
        })
    }

    /// The URL of the current page.
    pub fn current_url(&self) -> Result<String> {
        self.run("reading the URL", |c| async move { c.current_url().await })
            .map(|url| url.to_string())
    }

    /// The current page's HTML as the browser serializes it.
    pub fn page_source(&self) -> Result<String> {
        self.run(
            "reading the page source",
            |c| async move { c.source().await },
        )
    }

    /// Runs `script` as the body of a function in the page and returns its result.
    pub fn execute_script(&self, script: &str, args: &[Value]) -> Result<Value> {
        let args = args.to_vec();
        self.run("running a script", |c| async move {
            c.execute(script, args).await
        })
    }

    /// The visible text of the page's `<body>`.
    pub fn body_text(&self) -> Result<String> {
        self.run("reading the page text", |c| async move {
            c.find(Locator::Css("body")).await?.text().await
        })
    }

    /// Every cookie visible to the current page, as WebDriver's JSON cookie objects (`name`,
    /// `value`, `path`, `domain`, `secure`, `httpOnly`, `sameSite`, and `expiry` in Unix
    /// seconds, absent for a browser-session cookie).
    pub fn get_all_cookies(&self) -> Result<Vec<Value>> {
        let cookies = self.run(
            "reading cookies",
            |c| async move { c.get_all_cookies().await },
        )?;
        Ok(cookies
            .iter()
            .map(|cookie| {
                json!({
                    "name": cookie.name(),
                    "value": cookie.value(),
                    "path": cookie.path(),
                    "domain": cookie.domain(),
                    "secure": cookie.secure(),
                    "httpOnly": cookie.http_only(),
                    "sameSite": cookie.same_site().map(|s| s.to_string()),
                    "expiry": cookie.expires_datetime().map(|at| at.unix_timestamp()),
                })
            })
            .collect())
    }

    /// The cookie called `name` visible to the current page, if any.
    pub fn get_cookie(&self, name: &str) -> Result<Option<Value>> {
        Ok(self
            .get_all_cookies()?
            .into_iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name)))
    }

    /// Adds a host-only cookie for the current page's site with WebDriver's Add Cookie
    /// (`HttpOnly` included, which page scripts cannot set), without expiry (a browser-session
    /// cookie). Sent as raw JSON: fantoccini's `add_cookie` writes `"domain": null` for a cookie
    /// without one, which chromedriver refuses, and a `Domain` makes a `__Host-` cookie invalid.
    pub fn add_cookie(
        &self,
        name: &str,
        value: &str,
        path: &str,
        secure: bool,
        http_only: bool,
    ) -> Result<()> {
        let cookie = json!({
            "name": name,
            "value": value,
            "path": path,
            "secure": secure,
            "httpOnly": http_only,
            "sameSite": "Lax",
        });
        self.run(&format!("adding cookie {name}"), |c| async move {
            c.issue_cmd(AddCookie(cookie)).await
        })
        .map(drop)
    }

    /// Clicks the first element matching the CSS `selector`, as a user would.
    pub fn click(&self, selector: &str) -> Result<()> {
        self.run(&format!("clicking {selector:?}"), |c| async move {
            c.find(Locator::Css(selector)).await?.click().await
        })
    }

    /// Clicks `selector` (see [`click`](Self::click)) and waits until a *new* document has
    /// replaced the current one and finished loading: the form submission or link it triggers
    /// has completed, redirects included. chromedriver's own wait after a click can return
    /// before a form submission has started navigating, so a second click could land on the
    /// old page; this does not. Bounded by [`PAGE_LOAD_TIMEOUT_MS`].
    pub fn click_and_wait_for_new_page(&self, selector: &str) -> Result<()> {
        const MARK: &str = "window.__webdriverOldPage = true; return true;";
        const NEW_PAGE_LOADED: &str =
            "return !window.__webdriverOldPage && document.readyState === 'complete';";
        self.execute_script(MARK, &[])?;
        self.click(selector)?;
        let deadline = Instant::now() + Duration::from_millis(PAGE_LOAD_TIMEOUT_MS);
        loop {
            // While the old document is torn down, scripts may fail ("no such execution
            // context", "target frame detached"): that only means "not yet".
            let last = match self.execute_script(NEW_PAGE_LOADED, &[]) {
                Ok(Value::Bool(true)) => return Ok(()),
                Ok(other) => format!("page not replaced yet ({other})"),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(WebDriverError::new(format!(
                    "clicking {selector:?} did not load a new page within \
                     {PAGE_LOAD_TIMEOUT_MS} ms; last check: {last}"
                )));
            }
            thread::sleep(Duration::from_millis(25));
        }
    }

    /// Deletes every cookie visible to the current page.
    pub fn delete_all_cookies(&self) -> Result<()> {
        self.run("deleting cookies", |c| async move {
            c.delete_all_cookies().await
        })
    }

    /// The last `max_bytes` of chromedriver's (and Chromium's) output, for failure messages.
    pub fn driver_log_tail(&self, max_bytes: usize) -> String {
        let path = self.scratch_dir.join("chromedriver.log");
        match fs::read(&path) {
            Ok(bytes) => {
                let start = bytes.len().saturating_sub(max_bytes);
                String::from_utf8_lossy(&bytes[start..]).into_owned()
            }
            Err(e) => format!("(cannot read {}: {e})", path.display()),
        }
    }

    fn log_context(&self) -> String {
        format!(
            "\n--- chromedriver log (tail) ---\n{}",
            self.driver_log_tail(4096)
        )
    }
}

/// WebDriver's Add Cookie with the cookie object as given (see [`Browser::add_cookie`]).
#[derive(Debug)]
struct AddCookie(Value);

impl fantoccini::wd::WebDriverCompatibleCommand for AddCookie {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> std::result::Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/cookie",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cookie": self.0 }).to_string()),
        )
    }
}

/// A future run to completion on `runtime`, or given up after `limit`.
trait AwaitWithin: Future + Sized {
    fn await_within(
        self,
        runtime: &tokio::runtime::Runtime,
        limit: Duration,
    ) -> std::result::Result<Self::Output, tokio::time::error::Elapsed> {
        // The timer must be made inside the runtime.
        runtime.block_on(async { tokio::time::timeout(limit, self).await })
    }
}

impl<F: Future> AwaitWithin for F {}

impl Drop for Browser {
    /// Orderly first (Chromium quits when the WebDriver session closes), then by force: SIGKILL
    /// to the whole process group, reap chromedriver so it leaves no zombie, remove the
    /// profile. Every step is bounded and errors are ignored: this may run while a test is
    /// already panicking.
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = client
                .close()
                .await_within(&self.runtime, SESSION_DELETE_TIMEOUT);
        }
        // chromedriver has no session left to serve: end it and anything Chromium left.
        kill_process_group(&self.driver);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // Chromium may still be flushing its profile for a moment after it is signalled.
        for _ in 0..20 {
            if fs::remove_dir_all(&self.scratch_dir).is_ok() || !self.scratch_dir.exists() {
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// SIGKILLs every process in the group led by `driver` (chromedriver, Chromium, Chromium's
/// helpers). Uses `/bin/kill` because the workspace forbids `unsafe` (no raw `kill(2)`), and a
/// libc/nix dependency for one call is not worth it. A group that is already empty makes `kill`
/// fail harmlessly. The group id cannot be reused while any member, or the unreaped
/// chromedriver zombie, is alive, and we reap chromedriver only after this call.
#[cfg(unix)]
fn kill_process_group(driver: &Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", driver.id())])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(not(unix))]
fn kill_process_group(_driver: &Child) {}

enum LaunchError {
    /// chromedriver died during start-up; a fresh port may help.
    Retryable(WebDriverError),
    Fatal(WebDriverError),
}

impl From<WebDriverError> for LaunchError {
    fn from(e: WebDriverError) -> Self {
        LaunchError::Fatal(e)
    }
}

/// Asks the OS for a free port by binding 127.0.0.1:0 and releasing it. Another process could
/// take the port before chromedriver binds it; [`Browser::launch`] retries that case.
pub fn free_loopback_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| {
        WebDriverError::new(format!("binding 127.0.0.1:0 to find a free port: {e}"))
    })?;
    let port = listener
        .local_addr()
        .map_err(|e| WebDriverError::new(format!("reading the bound port: {e}")))?
        .port();
    Ok(port)
}

/// Creates an empty, uniquely named directory under the system temp dir.
fn make_scratch_dir() -> Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "webdriver-test-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let dir = std::env::temp_dir().join(name);
    fs::create_dir(&dir)
        .map_err(|e| WebDriverError::new(format!("creating {}: {e}", dir.display())))?;
    Ok(dir)
}
