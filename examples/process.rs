//! Process-level wiring both example apps share: environment variables that
//! fail closed, the signals that stop the server gracefully, and errors
//! printed as sentences (docs/operations.md, "Keys from configuration" and
//! "Rolling restarts").
#![allow(dead_code)] // each app uses part of it

use std::error::Error;
use std::process::ExitCode;
use std::time::Duration;

use session_runtime::keys::KeyId;
use session_runtime::{Key, KeyRole};

/// Prints `tracing` events at INFO and above on stderr: the library logs why
/// a request was answered `500` (a handler that kept a session handle, a
/// CSRF layer outside its session layer, a cookie that could not be stored)
/// at ERROR, and suspicious DBSC refusals at WARN. A process that already
/// installed a subscriber (the tests run `main` in-process) keeps its own.
pub fn install_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
        .with_target(true)
        .try_init();
}

/// A variable's value: `None` when unset; an error naming it when it is set
/// but blank or not UTF-8 (a value the operator meant to give, lost).
pub fn env_var(name: &str) -> Result<Option<String>, String> {
    match std::env::var(name) {
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!(
            "{name} is set but is not valid UTF-8: fix it or unset it"
        )),
        Ok(value) if value.trim().is_empty() => Err(format!(
            "{name} is set but empty: give it a value or unset it"
        )),
        Ok(value) => Ok(Some(value)),
    }
}

/// `PORT`, or `default` when unset.
pub fn port(default: u16) -> Result<u16, String> {
    match env_var("PORT")? {
        Some(port) => port
            .trim()
            .parse()
            .map_err(|_| format!("PORT={port} is not a port number")),
        None => Ok(default),
    }
}

/// A key from a raw secret variable (`SESSION_SECRET`, at least 32 bytes):
/// `None` when unset, an error naming the variable (never the secret) when
/// it is set but blank, not UTF-8 or too short.
pub fn secret_key(name: &str) -> Result<Option<Key>, String> {
    let Some(secret) = env_var(name)? else {
        return Ok(None);
    };
    Key::from_secret(secret.as_bytes())
        .map(Some)
        .map_err(|err| format!("{name}: {err}"))
}

/// A random key for development, with the warning that says how to set
/// real keys. Only when no key variable is set at all.
pub fn development_key() -> Result<Key, String> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|err| format!("OS random source: {err}"))?;
    eprintln!(
        "\n!!! WARNING: SESSION_KEYS is not set (nor SESSION_KEYS_FILE or SESSION_SECRET): using a\n\
         !!! random development key. Every restart logs everybody out, and several instances cannot\n\
         !!! share sessions. In production set SESSION_KEYS=\"sign:$(openssl rand -base64 48)\".\n"
    );
    Key::from_secret(&secret).map_err(|err| err.to_string())
}

/// One start-up line with the key ids and roles (ids are public: every
/// cookie carries one), so an operator can compare replicas during a
/// rotation.
pub fn log_keys(app: &str, keys: impl Iterator<Item = (KeyId, KeyRole)>) {
    let keys: Vec<String> = keys
        .map(|(id, role)| {
            let role = match role {
                KeyRole::Sign => "sign",
                KeyRole::Verify => "verify",
                KeyRole::VerifyOnly => "verify-only",
                _ => "other",
            };
            format!("{role} {id}")
        })
        .collect();
    println!("{app}: session keys: {}", keys.join(", "));
}

/// `SHUTDOWN_DRAIN_SECS` (default 0): after SIGTERM or SIGINT, how long the
/// app keeps serving, with `/health` answering 503 and every response
/// closing its connection, before it stops accepting connections. Set it to
/// the time your balancer needs to notice (e.g. the readiness probe's
/// period); 0 when the balancer is drained before the signal, as
/// docs/operations.md describes.
pub fn drain_period() -> Result<Duration, String> {
    match env_var("SHUTDOWN_DRAIN_SECS")? {
        Some(secs) => secs
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|secs| *secs <= 3600)
            .map(Duration::from_secs)
            .ok_or_else(|| {
                format!("SHUTDOWN_DRAIN_SECS={secs} is not a number of seconds up to 3600")
            }),
        None => Ok(Duration::ZERO),
    }
}

/// Resolves at the first SIGTERM (docker stop, systemd, Kubernetes) or
/// SIGINT (Ctrl-C), with the signal's name.
pub async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(err) => {
            eprintln!("cannot listen for SIGTERM ({err}); only Ctrl-C stops the server gracefully");
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    }
}

/// The process's exit: errors as one readable line (`Display`, not the
/// `Debug` text a `main` returning `Result` prints), status 1.
pub fn report(app: &str, outcome: Result<(), Box<dyn Error>>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{app}: {err}");
            ExitCode::FAILURE
        }
    }
}
