//! Keys fail closed at process level (docs/operations.md, "Keys from
//! configuration"): each example app, run as its own process (this test
//! binary re-runs itself as the app, like tests/shutdown.rs), started with
//! `SESSION_KEYS` set but empty, `SESSION_KEYS_FILE` set but empty, or
//! `SESSION_KEYS_FILE` naming a file that does not exist, exits by itself
//! with status 1 and one line on stderr naming the variable; it never falls
//! back to a random development key and never starts serving.
//!
//! Bounded: each process must exit within `EXIT_WITHIN`, and is killed on
//! the way out (drop guard). It binds, if anything, a free loopback port.

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

use std::fs::File;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use services::{free_port, Guarded, TempDir};

const ROLE_ENV: &str = "SESSION_STARTUP_KEYS_TEST_ROLE";
/// Generous for a loaded 2-core machine: a refusing app exits before it
/// builds a runtime's worth of work (milliseconds when idle).
const EXIT_WITHIN: Duration = Duration::from_secs(20);

fn main() -> ExitCode {
    let dispatched =
        app_process::dispatch("startup_keys", ROLE_ENV, axum_app::main, actix_app::main);
    if let Some(code) = dispatched {
        return code;
    }
    let dir = TempDir::new("session-startup-keys");
    let missing = dir.path().join("no-such-key-file");
    let missing = missing.to_str().expect("a UTF-8 temp path");
    let cases: [(&str, &str, String); 3] = [
        (
            "SESSION_KEYS",
            "",
            "SESSION_KEYS is set but empty".to_owned(),
        ),
        (
            "SESSION_KEYS_FILE",
            "",
            "SESSION_KEYS_FILE is set but empty".to_owned(),
        ),
        (
            "SESSION_KEYS_FILE",
            missing,
            format!("SESSION_KEYS_FILE: session key file {missing}: cannot read it"),
        ),
    ];
    let mut passed = 0;
    for app in ["axum", "actix"] {
        for (var, value, message) in &cases {
            refuses_to_start(app, var, value, message, dir.path());
            println!("startup_keys: {app} with {var}={value:?}: ok");
            passed += 1;
        }
    }
    println!("test result: ok. {passed} passed; 0 failed; 0 ignored; 0 measured; 0 filtered out");
    ExitCode::SUCCESS
}

/// Starts `app` with only `var=value` among the key variables; it must exit
/// with status 1, its stderr starting a line with `<app>_app: <message>`.
fn refuses_to_start(app: &str, var: &str, value: &str, message: &str, dir: &Path) {
    let stdout_path = dir.join(format!("{app}-stdout"));
    let stderr_path = dir.join(format!("{app}-stderr"));
    let child = Command::new(std::env::current_exe().unwrap())
        .env(ROLE_ENV, app)
        .env("PORT", free_port().to_string())
        .env_remove("SESSION_KEYS")
        .env_remove("SESSION_KEYS_FILE")
        .env_remove("SESSION_SECRET")
        .env_remove("SESSION_PREVIOUS_SECRET")
        .env_remove("SESSION_REDIS_URL")
        .env_remove("SHUTDOWN_DRAIN_SECS")
        .env(var, value)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .expect("start the app");
    let mut process = Guarded::new(format!("{app} app"), child);
    let started = Instant::now();
    while !process.exited() {
        assert!(
            started.elapsed() < EXIT_WITHIN,
            "{app} with {var}={value:?} still running after {EXIT_WITHIN:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let stdout = std::fs::read_to_string(&stdout_path).unwrap();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    let case = format!("{app} with {var}={value:?}\nstdout: {stdout}\nstderr: {stderr}");
    assert_eq!(process.exit_code(), Some(1), "exit status: {case}");
    let expected = format!("{app}_app: {message}");
    assert!(
        stderr.lines().any(|line| line.starts_with(&expected)),
        "no line starting {expected:?}: {case}"
    );
    // Refused before any key was used: no development-key fallback, no
    // key ids logged, no server started.
    assert!(!stderr.contains("development key"), "fell back: {case}");
    assert!(!stdout.contains("session keys:"), "keys logged: {case}");
}
