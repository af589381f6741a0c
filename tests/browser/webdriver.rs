//! A minimal, synchronous W3C WebDriver client that drives headless Chromium through
//! chromedriver, for end-to-end cookie tests.
//!
//! Why hand-written: the browser tests need about six WebDriver commands. The usual crates
//! (`fantoccini`, `thirtyfour`) pull in tokio, hyper and a TLS stack, which would dominate the
//! build time of the whole test suite. Here the wire protocol is plain HTTP/1.1 with JSON
//! bodies over `std::net::TcpStream` to a chromedriver on 127.0.0.1, so `serde_json` is the
//! only dependency.
//!
//! Design rules:
//! - Everything is bounded in time: connect, read and write timeouts on every HTTP call, a
//!   bounded wait for chromedriver to come up, bounded waits on shutdown.
//! - Nothing leaks: [`Browser`] owns the chromedriver process (started in its own process group,
//!   so Chromium and its helpers are in that group too), the WebDriver session and a fresh
//!   profile directory; `Drop` ends all three, also when a test panics.
//! - The harness only ever talks to 127.0.0.1; the pages a test opens are the test's business
//!   (the cookie tests use `localhost` servers of their own).
//! - A missing browser is a SKIP with a visible notice, unless `REQUIRE_BROWSER=1` (set in CI),
//!   where it is a failure: see [`browser_or_skip`].
//!
//! Environment: `CHROMIUM`, `CHROMEDRIVER` (binary paths), `REQUIRE_BROWSER=1` (missing browser
//! fails), `CHROMEDRIVER_VERBOSE=1` (verbose driver log, quoted in launch-failure messages).
//!
//! The module is included by path from several test targets, each of which uses only part of
//! it, hence the `dead_code` allowance below.
#![allow(dead_code)]

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// How long chromedriver may take to answer `/status` with `ready: true` after it is spawned.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(15);
/// TCP connect timeout to chromedriver (it is on loopback: anything slow means it is gone).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default bound for one WebDriver command, end to end. Session creation starts Chromium and
/// navigation waits for the page load, so this is generous; it is still a hard bound.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// Page-load and script timeouts requested from the browser; kept below [`COMMAND_TIMEOUT`] so
/// the browser reports a WebDriver `timeout` error before our socket read gives up.
const PAGE_LOAD_TIMEOUT_MS: u64 = 20_000;
const SCRIPT_TIMEOUT_MS: u64 = 10_000;
/// Bounds for teardown: deleting the session (Chromium quits), then chromedriver's own exit.
const SESSION_DELETE_TIMEOUT: Duration = Duration::from_secs(10);
const DRIVER_EXIT_TIMEOUT: Duration = Duration::from_secs(3);
/// A chromedriver that dies at once (typically: the port we picked was taken in between) is
/// retried this many times with a fresh port.
const LAUNCH_ATTEMPTS: u32 = 3;
/// Upper bound on a chromedriver HTTP response we are willing to buffer.
const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

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
    match locate() {
        Ok(paths) => match Browser::launch(&paths) {
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

/// One chromedriver process with one WebDriver session (one headless Chromium) and a fresh,
/// private profile. Dropping it ends the session, stops chromedriver, kills anything left in
/// its process group and removes the profile directory.
pub struct Browser {
    driver: Child,
    port: u16,
    session_id: String,
    /// Holds the Chromium profile (`profile/`) and chromedriver's log (`chromedriver.log`).
    scratch_dir: PathBuf,
}

impl fmt::Debug for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Browser")
            .field("driver_pid", &self.driver.id())
            .field("port", &self.port)
            .field("session_id", &self.session_id)
            .field("scratch_dir", &self.scratch_dir)
            .finish()
    }
}

impl Browser {
    /// Starts chromedriver on a free loopback port, waits (bounded) until it is ready and opens
    /// a session with [`CHROMIUM_ARGS`] and a fresh `--user-data-dir`.
    pub fn launch(paths: &BrowserPaths) -> Result<Browser> {
        let mut last_err = None;
        for _ in 0..LAUNCH_ATTEMPTS {
            match Self::launch_once(paths) {
                Ok(browser) => return Ok(browser),
                Err(LaunchError::Retryable(e)) => last_err = Some(e),
                Err(LaunchError::Fatal(e)) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| WebDriverError::new("chromedriver did not start")))
    }

    /// One launch attempt with its own port and scratch directory; on failure everything it
    /// created is cleaned up (by hand before the [`Browser`] exists, by its `Drop` after).
    fn launch_once(paths: &BrowserPaths) -> std::result::Result<Browser, LaunchError> {
        let scratch_dir = make_scratch_dir()?;
        match Self::spawn_driver(paths, &scratch_dir) {
            Ok((driver, port)) => {
                let browser = Browser {
                    driver,
                    port,
                    session_id: String::new(),
                    scratch_dir,
                };
                browser.start_session(paths)
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&scratch_dir);
                Err(LaunchError::Fatal(e))
            }
        }
    }

    /// Spawns chromedriver on a free loopback port, output going to `chromedriver.log` in
    /// `scratch_dir`.
    fn spawn_driver(paths: &BrowserPaths, scratch_dir: &Path) -> Result<(Child, u16)> {
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
    fn start_session(mut self, paths: &BrowserPaths) -> std::result::Result<Browser, LaunchError> {
        self.wait_until_ready()?;
        let profile = self.scratch_dir.join("profile");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": {
                        "pageLoad": PAGE_LOAD_TIMEOUT_MS,
                        "script": SCRIPT_TIMEOUT_MS,
                        "implicit": 0
                    },
                    "goog:chromeOptions": {
                        "binary": paths.chromium.to_string_lossy(),
                        "args": args
                    }
                }
            }
        });
        let value = self
            .raw_command("POST", "/session", Some(&caps), COMMAND_TIMEOUT)
            .map_err(|e| {
                LaunchError::Fatal(WebDriverError::new(format!(
                    "creating a WebDriver session: {e}{}",
                    self.log_context()
                )))
            })?;
        self.session_id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                LaunchError::Fatal(WebDriverError::new(format!(
                    "new-session response has no sessionId: {value}"
                )))
            })?
            .to_owned();
        Ok(self)
    }

    /// Polls `GET /status` until chromedriver reports `ready`, at most [`DRIVER_START_TIMEOUT`].
    fn wait_until_ready(&mut self) -> std::result::Result<(), LaunchError> {
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
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
            let ready = http_call(self.port, "GET", "/status", None, Duration::from_secs(2))
                .ok()
                .and_then(|(_, body)| serde_json::from_slice::<Value>(&body).ok())
                .is_some_and(|v| v["value"]["ready"] == Value::Bool(true));
            if ready {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(LaunchError::Fatal(WebDriverError::new(format!(
                    "chromedriver on port {} not ready after {:?}{}",
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

    /// Navigates the current tab to `url` and waits for the page load (bounded by the session's
    /// page-load timeout).
    pub fn navigate(&self, url: &str) -> Result<()> {
        self.session_command("POST", "/url", Some(&json!({ "url": url })))
            .map(drop)
            .map_err(|e| WebDriverError::new(format!("navigate to {url}: {e}")))
    }

    /// The URL of the current page.
    pub fn current_url(&self) -> Result<String> {
        let v = self.session_command("GET", "/url", None)?;
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| WebDriverError::new(format!("current URL is not a string: {v}")))
    }

    /// The serialized DOM of the current page.
    pub fn page_source(&self) -> Result<String> {
        let v = self.session_command("GET", "/source", None)?;
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| WebDriverError::new(format!("page source is not a string: {v}")))
    }

    /// Runs `script` as the body of a synchronous JS function with `args` as `arguments` and
    /// returns its `return` value as JSON.
    pub fn execute_script(&self, script: &str, args: &[Value]) -> Result<Value> {
        self.session_command(
            "POST",
            "/execute/sync",
            Some(&json!({ "script": script, "args": args })),
        )
    }

    /// `document.body.innerText` of the current page (what a user would read).
    pub fn body_text(&self) -> Result<String> {
        let v = self.execute_script("return document.body ? document.body.innerText : '';", &[])?;
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| WebDriverError::new(format!("innerText is not a string: {v}")))
    }

    /// All cookies visible to the current page, as WebDriver cookie objects (`name`, `value`,
    /// `path`, `domain`, `secure`, `httpOnly`, `sameSite`, `expiry`?). Unlike
    /// `document.cookie`, this includes `HttpOnly` cookies.
    pub fn get_all_cookies(&self) -> Result<Vec<Value>> {
        match self.session_command("GET", "/cookie", None)? {
            Value::Array(cookies) => Ok(cookies),
            other => Err(WebDriverError::new(format!(
                "cookie list is not an array: {other}"
            ))),
        }
    }

    /// The cookie called `name` visible to the current page, if any.
    pub fn get_cookie(&self, name: &str) -> Result<Option<Value>> {
        Ok(self
            .get_all_cookies()?
            .into_iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(name)))
    }

    /// Clicks the first element matching the CSS `selector`, as a user would. When the click
    /// submits a form or follows a link, chromedriver waits (bounded by the page-load timeout)
    /// for the new page to load before answering, so the next command sees the new page.
    pub fn click(&self, selector: &str) -> Result<()> {
        /// The W3C key under which an element reference is returned.
        const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
        let found = self
            .session_command(
                "POST",
                "/element",
                Some(&json!({ "using": "css selector", "value": selector })),
            )
            .map_err(|e| WebDriverError::new(format!("finding {selector:?}: {e}")))?;
        let id = found
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .ok_or_else(|| {
                WebDriverError::new(format!("no element reference for {selector:?}: {found}"))
            })?
            .to_owned();
        self.session_command("POST", &format!("/element/{id}/click"), Some(&json!({})))
            .map(drop)
            .map_err(|e| WebDriverError::new(format!("clicking {selector:?}: {e}")))
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
        self.session_command("DELETE", "/cookie", None).map(drop)
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

    /// Sends a command under `/session/{id}` and returns its `value`.
    fn session_command(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let full = format!("/session/{}{path}", self.session_id);
        self.raw_command(method, &full, body, COMMAND_TIMEOUT)
    }

    /// Sends one WebDriver command and unwraps the W3C envelope: `{"value": ...}` on success,
    /// `{"value": {"error", "message"}}` with a 4xx/5xx status on failure.
    fn raw_command(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<Value> {
        let (status, bytes) = http_call(self.port, method, path, body, timeout)
            .map_err(|e| WebDriverError::new(format!("{method} {path}: {e}")))?;
        let mut parsed: Value = serde_json::from_slice(&bytes).map_err(|e| {
            WebDriverError::new(format!(
                "{method} {path}: HTTP {status} with non-JSON body ({e}): {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(512)])
            ))
        })?;
        let value = parsed
            .get_mut("value")
            .map(Value::take)
            .unwrap_or(Value::Null);
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            let message = value.get("message").and_then(Value::as_str).unwrap_or("");
            return Err(WebDriverError::new(format!(
                "{method} {path}: HTTP {status}: {error}: {message}"
            )));
        }
        if !(200..300).contains(&status) {
            return Err(WebDriverError::new(format!(
                "{method} {path}: HTTP {status}: {value}"
            )));
        }
        Ok(value)
    }
}

impl Drop for Browser {
    /// Orderly first (Chromium quits through WebDriver, chromedriver through `/shutdown`), then
    /// by force: SIGKILL to the whole process group, reap chromedriver so it leaves no zombie,
    /// remove the profile. Every step is bounded and errors are ignored: this may run while a
    /// test is already panicking.
    fn drop(&mut self) {
        if !self.session_id.is_empty() {
            let path = format!("/session/{}", self.session_id);
            let _ = http_call(self.port, "DELETE", &path, None, SESSION_DELETE_TIMEOUT);
        }
        let _ = http_call(self.port, "GET", "/shutdown", None, Duration::from_secs(2));
        let deadline = Instant::now() + DRIVER_EXIT_TIMEOUT;
        while Instant::now() < deadline {
            match self.driver.try_wait() {
                Ok(None) => thread::sleep(Duration::from_millis(25)),
                _ => break,
            }
        }
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

/// One HTTP/1.1 request to chromedriver on 127.0.0.1:`port` with `Connection: close`, bounded
/// by `timeout` from connect to the last byte. Returns the status code and the decoded body.
fn http_call(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Duration,
) -> io::Result<(u16, Vec<u8>)> {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT.min(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let payload = match body {
        Some(v) => serde_json::to_vec(v).map_err(io::Error::other)?,
        None => Vec::new(),
    };
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\
         Connection: close\r\nContent-Length: {}\r\n",
        payload.len()
    );
    if body.is_some() {
        request.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(&payload)?;
    stream.flush()?;

    // Read until the server closes, re-arming the read timeout with what is left of the budget
    // so a stalled driver cannot hold a test beyond `timeout`.
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no complete response within {timeout:?}"),
            ));
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                raw.extend_from_slice(&chunk[..n]);
                if raw.len() > MAX_RESPONSE_BYTES {
                    return Err(io::Error::other("response larger than 64 MiB"));
                }
                // A response with Content-Length is complete as soon as that many bytes arrived,
                // even if the server is slow to close.
                if let Some(done) = complete_length(&raw) {
                    raw.truncate(done);
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no complete response within {timeout:?}"),
                ));
            }
            Err(e) => return Err(e),
        }
    }
    parse_response(&raw)
}

/// If `raw` holds a full header block with a `Content-Length` and the whole body, returns the
/// total length of the response.
fn complete_length(raw: &[u8]) -> Option<usize> {
    let head_end = find(raw, b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&raw[..head_end]).ok()?;
    let len = header_value(head, "content-length")?
        .trim()
        .parse::<usize>()
        .ok()?;
    (raw.len() >= head_end + len).then_some(head_end + len)
}

/// Splits a raw HTTP/1.1 response into its status code and body (honouring Content-Length or
/// chunked transfer encoding).
fn parse_response(raw: &[u8]) -> io::Result<(u16, Vec<u8>)> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let head_end = find(raw, b"\r\n\r\n").ok_or_else(|| bad("response has no complete header"))?;
    let head = std::str::from_utf8(&raw[..head_end]).map_err(|_| bad("non-UTF-8 header"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| bad("malformed status line"))?;
    let body = &raw[head_end + 4..];
    let chunked = header_value(head, "transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return Ok((
            status,
            decode_chunked(body).ok_or_else(|| bad("bad chunked body"))?,
        ));
    }
    match header_value(head, "content-length") {
        Some(v) => {
            let len: usize = v.trim().parse().map_err(|_| bad("bad Content-Length"))?;
            let body = body.get(..len).ok_or_else(|| bad("truncated body"))?;
            Ok((status, body.to_vec()))
        }
        None => Ok((status, body.to_vec())),
    }
}

fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

fn decode_chunked(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(body, b"\r\n")?;
        let size_str = std::str::from_utf8(&body[..line_end]).ok()?;
        let size = usize::from_str_radix(size_str.split(';').next()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
