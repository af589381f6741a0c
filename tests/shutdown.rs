//! Graceful shutdown of both example apps (docs/operations.md, "Rolling
//! restarts"), each run as its own process (this test binary re-runs itself
//! as the app, like tests/fleet/): on SIGTERM and on SIGINT, during the
//! drain period `/health` answers 503 and responses close their
//! connections; then a request in flight (its body half sent) is finished,
//! an idle keep-alive connection is closed cleanly (end of stream, not a
//! reset), the process exits with status 0, and the port refuses
//! connections.
//!
//! Plain loopback TCP with hand-written HTTP/1.1, so the test controls
//! exactly when each byte is sent. Bounded: every read has a timeout, every
//! process is killed on the way out (drop guards).

// Both apps include examples/process.rs as their own module: two copies of
// it here, as in the two example binaries.
#![allow(clippy::duplicate_mod)]

#[allow(dead_code)]
#[path = "../examples/actix_app.rs"]
mod actix_app;
mod app_process;
#[allow(dead_code)]
#[path = "../examples/axum_app.rs"]
mod axum_app;
#[path = "services/mod.rs"]
mod services;

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use services::{free_port, wait_for_port, Guarded};

const ROLE_ENV: &str = "SESSION_SHUTDOWN_TEST_ROLE";
const DRAIN: Duration = Duration::from_secs(1);
const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let dispatched = app_process::dispatch("shutdown", ROLE_ENV, axum_app::main, actix_app::main);
    if let Some(code) = dispatched {
        return code;
    }
    let mut passed = 0;
    for app in ["axum", "actix"] {
        for signal in ["-TERM", "-INT"] {
            graceful_shutdown(app, signal);
            println!("shutdown: {app} on SIG{}: ok", &signal[1..]);
            passed += 1;
        }
    }
    println!("test result: ok. {passed} passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
    ExitCode::SUCCESS
}

/// One HTTP/1.1 response: status, lower-cased headers, body.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

fn connect(port: u16) -> TcpStream {
    let stream = TcpStream::connect_timeout(
        &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        Duration::from_secs(2),
    )
    .expect("connect");
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

/// Reads one response (Content-Length or chunked body).
fn read_response(stream: &mut TcpStream) -> Response {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("read response head");
        assert_eq!(
            n,
            1,
            "connection closed mid-response: {:?}",
            String::from_utf8_lossy(&raw)
        );
        raw.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&raw).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut response = Response {
        status,
        headers,
        body: String::new(),
    };
    let mut body = Vec::new();
    if let Some(len) = response.header("content-length") {
        body.resize(len.parse().expect("content-length"), 0);
        stream.read_exact(&mut body).expect("read body");
    } else if response.header("transfer-encoding") == Some("chunked") {
        while !body.ends_with(b"0\r\n\r\n") {
            let n = stream.read(&mut byte).expect("read chunked body");
            assert_eq!(n, 1, "connection closed mid-body");
            body.push(byte[0]);
        }
    }
    response.body = String::from_utf8_lossy(&body).into_owned();
    response
}

fn get(stream: &mut TcpStream, path: &str, cookie: Option<&str>) -> Response {
    let cookie = cookie.map_or_else(String::new, |c| format!("Cookie: {c}\r\n"));
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\n{cookie}\r\n"
    )
    .expect("send GET");
    read_response(stream)
}

/// The session cookie pair (`name=value`) a response sets, if any.
fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.split(';').next().unwrap_or_default().to_owned())
        .find(|pair| pair.starts_with("__Host-app=") || pair.starts_with("__Host-actix="))
}

fn graceful_shutdown(app: &str, signal: &str) {
    let port = free_port();
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).unwrap();
    let keys = format!(
        "sign:{}",
        secret
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let child = Command::new(std::env::current_exe().unwrap())
        .env(ROLE_ENV, app)
        .env("PORT", port.to_string())
        .env("SESSION_KEYS", &keys)
        .env("SHUTDOWN_DRAIN_SECS", DRAIN.as_secs().to_string())
        .env_remove("SESSION_KEYS_FILE")
        .env_remove("SESSION_SECRET")
        .env_remove("SESSION_PREVIOUS_SECRET")
        .env_remove("SESSION_REDIS_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the app");
    let mut process = Guarded::new(format!("{app} app"), child);
    wait_for_port(port, Duration::from_secs(15), app);

    // A: a keep-alive connection that goes idle after one page.
    let mut idle = connect(port);
    let page = get(&mut idle, "/", None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.closes(), "keep-alive before the signal");
    let cookie = session_cookie(&page);

    // B: a request in flight: headers and half of its form body sent.
    let (path, form) = match app {
        "axum" => {
            let token = page
                .body
                .split("name=\"csrf_token\" value=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .expect("the page carries a CSRF token")
                .to_owned();
            ("/counter", format!("csrf_token={token}"))
        }
        _ => ("/login", "name=ada".to_owned()),
    };
    let mut in_flight = connect(port);
    let cookie_line = cookie
        .as_deref()
        .map_or_else(String::new, |c| format!("Cookie: {c}\r\n"));
    write!(
        in_flight,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\n{cookie_line}\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{}",
        form.len(),
        &form[..form.len() / 2]
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));

    let signalled = Instant::now();
    let status = Command::new("kill")
        .args([signal, &process.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(200));

    // During the drain: still serving, but /health says 503 and every
    // response closes its connection.
    let mut during = connect(port);
    let health = get(&mut during, "/health", None);
    assert_eq!(health.status, 503, "{app}: /health while draining");
    assert!(
        health.closes(),
        "{app}: draining responses close the connection"
    );

    // After the drain the server stops accepting; the request in flight is
    // finished.
    std::thread::sleep((DRAIN + Duration::from_millis(300)).saturating_sub(signalled.elapsed()));
    in_flight
        .write_all(&form.as_bytes()[form.len() / 2..])
        .unwrap();
    let finished = read_response(&mut in_flight);
    assert_eq!(
        finished.status, 303,
        "{app}: in-flight request: {}",
        finished.body
    );
    assert!(
        finished.closes(),
        "{app}: the last response closes the connection"
    );
    assert!(
        session_cookie(&finished).is_some(),
        "{app}: its Set-Cookie is sent"
    );

    // The idle connection is closed cleanly: end of stream, no reset.
    let mut rest = Vec::new();
    match idle.read_to_end(&mut rest) {
        Ok(_) => assert!(
            rest.is_empty(),
            "{app}: unexpected bytes on the idle connection"
        ),
        Err(err) => panic!(
            "{app}: idle keep-alive connection not closed cleanly: {err} ({:?})",
            err.kind()
        ),
    }

    // The process exits by itself, with status 0.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !process.exited() {
        assert!(
            Instant::now() < deadline,
            "{app} did not exit after {signal}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(process.exit_code(), Some(0), "{app}: exit status");
    let refused = TcpStream::connect_timeout(
        &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        Duration::from_secs(1),
    );
    assert!(
        matches!(&refused, Err(err) if err.kind() == ErrorKind::ConnectionRefused),
        "{app}: port still open after exit: {refused:?}"
    );
}
