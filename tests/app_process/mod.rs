//! What the tests that run the example apps as processes share (tests/shutdown.rs,
//! tests/startup_keys.rs): the test binary re-runs itself as an app when
//! `role_env` names one, and otherwise answers libtest's `--list`, filters
//! and `--ignored` for its one test (they are `harness = false`).

use std::process::ExitCode;

/// `Some(exit code)` when this process is not to run the test: it ran an
/// app (`role_env` is `axum` or `actix`), listed the test, or the test is
/// filtered out. `None`: run the test.
pub fn dispatch(
    test: &str,
    role_env: &str,
    axum_main: fn() -> ExitCode,
    actix_main: fn() -> ExitCode,
) -> Option<ExitCode> {
    match std::env::var(role_env).as_deref() {
        Ok("axum") => return Some(axum_main()),
        Ok("actix") => return Some(actix_main()),
        _ => {}
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--list") {
        println!("{test}: test");
        return Some(ExitCode::SUCCESS);
    }
    let filters: Vec<&String> = args.iter().filter(|arg| !arg.starts_with('-')).collect();
    if args.iter().any(|arg| arg == "--ignored")
        || (!filters.is_empty() && !filters.iter().any(|f| test.contains(f.as_str())))
    {
        println!("{test}: filtered out");
        return Some(ExitCode::SUCCESS);
    }
    None
}
