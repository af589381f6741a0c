//! Device-bound sessions (DBSC, docs/dbsc.md) end to end in headless Chromium: the example app
//! (compiled in from `examples/axum_app.rs`, whose router carries `DbscLayer` and a
//! `RequireDeviceBound` route, `/account`) served over HTTPS on 127.0.0.1, driven through
//! chromedriver (see `webdriver.rs`).
//!
//! It proves, in a real browser:
//! 1. logging in through the app's own form makes Chromium register a device key (the server
//!    sees `POST /dbsc/register` answered `200`), and the home page then shows the session bound;
//! 2. after the bound cookie expired (10 s here), a navigation and a `fetch()` to `/account` still
//!    succeed with no user action: Chromium held each request, refreshed the bound cookie at
//!    `POST /dbsc/refresh` with a proof signed by its key, and sent the request with the new one;
//! 3. a second profile given a copy of the first one's cookie jar (WebDriver Add Cookie,
//!    `HttpOnly` ones included, without expiry, as a thief's tool that ignores `Max-Age` would)
//!    is served `/account` while the copied bound cookie lives and refused (`403`) once it has
//!    expired: it has no key, so it cannot refresh, and the server reads the expiry written in
//!    the bound cookie itself.
//!
//! The recipe is `tests/browser/dbsc/README.md`'s: a P-256 certificate for `localhost` made by
//! `openssl` at test time, trusted through an NSS database (`certutil`) in a `HOME` of the
//! test's own (the machine's trust store is never touched), and Chromium 156's flags
//! `DeviceBoundSessions:RefreshQuota/false` (no signing quota: with 10 s cookies Chromium refreshes
//! after nearly every request) and `EnableBoundSessionCredentialsSoftwareKeysForManualTesting`
//! (software keys: no TPM on CI). Without Chromium, chromedriver, `openssl` or `certutil` the test
//! prints SKIP (a failure under `REQUIRE_BROWSER=1`, as in CI). About 40 s, every wait bounded.

mod server;
mod webdriver;

#[allow(dead_code)]
#[path = "../../examples/axum_app.rs"]
mod axum_app;

use std::fs;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use server::{assert_page, click, navigate, Runtime};
use session_runtime::dbsc::DbscSettings;
use session_runtime::SessionConfig;
use session_tests::key;
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;
use webdriver::{browser_required, locate, Browser, BrowserPaths, LaunchOptions};

use axum_app::{AppSession, Prefs};

/// The bound cookie's lifetime in this test (production minimum: 300 s).
const BOUND_LIFETIME: Duration = Duration::from_secs(10);
/// Long enough for every bound cookie issued before it to have expired.
const PAST_EXPIRY: Duration = Duration::from_secs(12);
/// How long Chromium may take to register, or to refresh, after the request that started it
/// (about 50 ms in the probes of docs/dbsc.md; generous for a loaded CI machine).
const BROWSER_STEP: Duration = Duration::from_secs(10);

/// The DBSC flags (docs/dbsc.md, "Running Chromium").
const DBSC_ARGS: &[&str] = &[
    "--enable-features=DeviceBoundSessions:RefreshQuota/false,EnableBoundSessionCredentialsSoftwareKeysForManualTesting",
    "--password-store=basic",
];

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Exchange {
    /// When it was answered, from the server's start.
    at: Duration,
    method: String,
    path: String,
    status: u16,
}

#[derive(Default)]
struct Log {
    started: Option<Instant>,
    exchanges: Vec<Exchange>,
}

type SharedLog = Arc<Mutex<Log>>;

async fn record(State(log): State<SharedLog>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let mut log = log.lock().expect("log lock");
    let at = log.started.map(|t| t.elapsed()).unwrap_or_default();
    log.exchanges.push(Exchange {
        at,
        method,
        path,
        status: response.status().as_u16(),
    });
    response
}

/// The certificate, key and NSS database of one run, in a directory removed on drop.
struct Tls {
    dir: PathBuf,
}

impl Tls {
    /// Makes them with `openssl` and `certutil`, or says why it could not.
    fn make() -> Result<Tls, String> {
        let dir = std::env::temp_dir().join(format!(
            "dbsc-e2e-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        let tls = Tls { dir };
        let nssdb = tls.home().join(".pki/nssdb");
        fs::create_dir_all(&nssdb).map_err(|e| format!("creating {}: {e}", nssdb.display()))?;
        let cert = tls.cert();
        let key = tls.key();
        run(Command::new("openssl").args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=serverAuth",
            "-keyout",
            &key.to_string_lossy(),
            "-out",
            &cert.to_string_lossy(),
        ]))?;
        let db = format!("sql:{}", nssdb.display());
        run(Command::new("certutil").args(["-d", &db, "-N", "--empty-password"]))?;
        run(Command::new("certutil").args([
            "-d",
            &db,
            "-A",
            "-t",
            "P,,",
            "-n",
            "session-runtime-dbsc-test",
            "-i",
            &cert.to_string_lossy(),
        ]))?;
        Ok(tls)
    }

    fn home(&self) -> PathBuf {
        self.dir.join("home")
    }

    fn cert(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    fn key(&self) -> PathBuf {
        self.dir.join("key.pem")
    }
}

impl Drop for Tls {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Runs a set-up command to completion; its stderr is the error.
fn run(command: &mut Command) -> Result<(), String> {
    let program = format!("{:?}", command.get_program());
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{program}: {e} (apt-get install openssl libnss3-tools)"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The example app over HTTPS on its own runtime; dropping it stops the server.
struct Server {
    /// Held for its `Drop`, which stops the server.
    _runtime: Runtime,
    addr: SocketAddr,
    log: SharedLog,
}

impl Server {
    fn start(tls: &Tls) -> Server {
        let certs = CertificateDer::pem_file_iter(tls.cert())
            .expect("reading the certificate")
            .collect::<Result<Vec<_>, _>>()
            .expect("a PEM certificate");
        let private_key = PrivateKeyDer::from_pem_file(tls.key()).expect("a PEM private key");
        // Deprecated since rustls 0.23.48 for lacking post-quantum key exchange, which a
        // loopback test server does not need; ring builds without aws-lc-rs's cmake.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, private_key)
            .expect("certificate and key");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let app = SessionConfig::<AppSession>::builder(key(1))
            .dbsc(DbscSettings::new().bound_lifetime_for_tests(BOUND_LIFETIME))
            .build()
            .expect("valid config");
        let prefs = SessionConfig::<Prefs>::new(key(1)).expect("valid config");
        let log = SharedLog::default();
        log.lock().expect("log lock").started = Some(Instant::now());
        let router = axum_app::router(app, prefs)
            .layer(axum::middleware::from_fn_with_state(log.clone(), record));

        let runtime = Runtime::new(2);
        let listener = runtime.bind();
        let addr = listener.local_addr().expect("local address");
        runtime.spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let service = TowerToHyperService::new(router.clone());
                tokio::spawn(async move {
                    // A browser that gives up on a handshake is not the test's concern.
                    let Ok(stream) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Server {
            _runtime: runtime,
            addr,
            log,
        }
    }

    /// The app's URL on `localhost`, the name the certificate is for.
    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    /// How long the server has been running.
    fn now(&self) -> Duration {
        self.log
            .lock()
            .expect("log lock")
            .started
            .map(|t| t.elapsed())
            .unwrap_or_default()
    }

    /// Every exchange answered after `since` for `method path`.
    fn since(&self, since: Duration, method: &str, path: &str) -> Vec<Exchange> {
        self.log
            .lock()
            .expect("log lock")
            .exchanges
            .iter()
            .filter(|e| e.at >= since && e.method == method && e.path == path)
            .cloned()
            .collect()
    }

    /// Waits (at most [`BROWSER_STEP`]) until the server answered `method path` with `status`
    /// after `since`.
    fn wait_for(&self, since: Duration, method: &str, path: &str, status: u16) -> Exchange {
        let deadline = Instant::now() + BROWSER_STEP;
        loop {
            let seen = self.since(since, method, path);
            if let Some(found) = seen.iter().find(|e| e.status == status) {
                return found.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no {method} {path} answered {status} within {BROWSER_STEP:?}; seen: {seen:?}\n\
                 full log: {:?}",
                self.log.lock().expect("log lock").exchanges
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Chromium with the DBSC flags and the NSS database that trusts `tls`'s certificate.
fn dbsc_browser(paths: &BrowserPaths, tls: &Tls) -> Browser {
    let options = LaunchOptions {
        args: DBSC_ARGS.iter().map(|arg| (*arg).to_owned()).collect(),
        home: Some(tls.home()),
        ..LaunchOptions::default()
    };
    Browser::launch_with(paths, &options).unwrap_or_else(|e| {
        panic!("browser_dbsc: browser binaries found but the browser did not start: {e}")
    })
}

/// Prints a SKIP notice, or fails under `REQUIRE_BROWSER=1`.
fn skip(reason: &str) {
    if browser_required() {
        panic!("browser_dbsc: REQUIRE_BROWSER=1 but {reason}");
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIP browser_dbsc: {reason} (set REQUIRE_BROWSER=1 to make this a failure)"
    );
}

/// Copies every cookie `from` holds for the app into `to` (on the app's origin already).
fn copy_jar(from: &Browser, to: &Browser) -> Vec<String> {
    let cookies = from.get_all_cookies().expect("reading cookies");
    let mut names = Vec::new();
    for cookie in cookies {
        let text = |field: &str| cookie[field].as_str().unwrap_or_default().to_owned();
        let flag = |field: &str| cookie[field].as_bool().unwrap_or(false);
        let name = text("name");
        to.add_cookie(
            &name,
            &text("value"),
            &text("path"),
            flag("secure"),
            flag("httpOnly"),
        )
        .unwrap_or_else(|e| panic!("copying {name}: {e}"));
        names.push(name);
    }
    names
}

fn wait(duration: Duration) {
    thread::sleep(duration);
}

#[test]
fn dbsc_registration_refresh_and_copied_jar_in_headless_chromium() {
    let started = Instant::now();
    let paths = match locate() {
        Ok(paths) => paths,
        Err(reason) => return skip(&reason),
    };
    let tls = match Tls::make() {
        Ok(tls) => tls,
        Err(reason) => return skip(&reason),
    };
    let server = Server::start(&tls);
    let alice = dbsc_browser(&paths, &tls);
    // The second profile starts now, so the copy below is sent at once.
    let thief = dbsc_browser(&paths, &tls);
    let bound_name = format!(
        "{}-bound",
        <AppSession as session_runtime::CookieSession>::NAME
    );

    // (1) Login through the app's form: Chromium registers a key, without any user action.
    navigate(&alice, &server.url("/"));
    assert_page(&alice, "device binding: none");
    let before_login = server.now();
    click(&alice, "#login button");
    assert_page(&alice, "user: ada");
    let login = server.wait_for(before_login, "POST", "/login", 303);
    let registration = server.wait_for(before_login, "POST", "/dbsc/register", 200);
    assert!(
        registration.at >= login.at,
        "{registration:?} before {login:?}"
    );
    navigate(&alice, &server.url("/"));
    assert_page(&alice, "device binding: bound to this device");
    navigate(&alice, &server.url("/account"));
    assert_page(&alice, "bound: true");
    assert!(
        alice.get_cookie(&bound_name).expect("cookies").is_some(),
        "Chromium keeps the bound cookie"
    );

    // (3, first half) A copy of the jar works while its bound cookie lives.
    navigate(&thief, &server.url("/health"));
    let copied = copy_jar(&alice, &thief);
    assert!(copied.contains(&bound_name), "{copied:?}");
    navigate(&thief, &server.url("/account"));
    assert_page(&thief, "user: ada");

    // Neither browser makes a request until every bound cookie issued so far has expired.
    wait(PAST_EXPIRY);

    // (3) The copy is refused: no key to refresh with, and the bound cookie it sends (without
    // expiry in that jar) is past the expiry the server wrote into it.
    let before_thief = server.now();
    navigate(&thief, &server.url("/account"));
    assert_page(&thief, "needs a device-bound session");
    let refused = server.since(before_thief, "GET", "/account");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].status, 403);
    assert!(
        server
            .since(before_thief, "POST", "/dbsc/refresh")
            .is_empty(),
        "the copy has no DBSC session to refresh"
    );
    // That refused request was also the copy's end: the CSRF layer gave the fresh session it
    // got a token, and its cookie replaced the copied one.
    navigate(&thief, &server.url("/"));
    assert_page(&thief, "user: (not logged in)");
    assert_page(&thief, "device binding: none");

    // (2) Alice's navigation after expiry: held, refreshed, sent with the new bound cookie.
    let before_navigation = server.now();
    navigate(&alice, &server.url("/account"));
    assert_page(&alice, "bound: true");
    assert_page(&alice, "user: ada");
    let refreshed = server.wait_for(before_navigation, "POST", "/dbsc/refresh", 200);
    let page = server.wait_for(before_navigation, "GET", "/account", 200);
    assert!(
        refreshed.at <= page.at,
        "refresh {refreshed:?} after the page {page:?}"
    );

    wait(PAST_EXPIRY);

    // (2) A fetch() after expiry: the same, for a subresource.
    let before_fetch = server.now();
    let status = alice
        .execute_script(
            "return fetch('/account', {credentials: 'same-origin'}).then(r => r.status);",
            &[],
        )
        .expect("fetch");
    assert_eq!(status, serde_json::json!(200));
    let refreshed = server.wait_for(before_fetch, "POST", "/dbsc/refresh", 200);
    let fetched = server.wait_for(before_fetch, "GET", "/account", 200);
    assert!(
        refreshed.at <= fetched.at,
        "refresh {refreshed:?} after {fetched:?}"
    );
    assert!(
        server
            .since(before_fetch, "GET", "/account")
            .iter()
            .all(|e| e.status == 200),
        "no /account request of Alice's was ever refused"
    );

    let _ = writeln!(
        std::io::stderr(),
        "browser_dbsc: passed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
