//! The application's revocation check ("log out everywhere") and session
//! renewal on login (fixation defence).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use session_runtime::{LoadStatus, ManualClock, Rejection, SessionConfig, WriteReason};
use session_tests::{
    config_on, cookie_value, issue, key, request_with_cookie, store, AppSession, T0_MS,
};

/// A cookie of a session logged in as `user`, issued by `config` now.
fn user_cookie(config: &SessionConfig<AppSession>, user: u64) -> String {
    issue(
        config,
        AppSession {
            user_id: Some(user),
            ..AppSession::default()
        },
    )
}

fn at(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

#[test]
fn log_out_everywhere_revokes_older_sessions_only() {
    let clock = ManualClock::new(T0_MS);
    let logged_out_at: Arc<RwLock<HashMap<u64, SystemTime>>> = Arc::default();
    let checks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let config = {
        let logged_out_at = Arc::clone(&logged_out_at);
        let checks = Arc::clone(&checks);
        SessionConfig::<AppSession>::builder(key(1))
            .clock(clock.clone())
            .revocation_check(move |session, cookie| {
                checks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                match session.user_id() {
                    Some(user) => logged_out_at
                        .read()
                        .unwrap()
                        .get(user)
                        .is_none_or(|cutoff| cookie.created_at > *cutoff),
                    None => true,
                }
            })
            .build()
            .unwrap()
    };
    let laptop = user_cookie(&config, 42);
    let other_user = user_cookie(&config, 7);
    assert_eq!(
        config.decode(laptop.as_bytes()).unwrap().status(),
        &LoadStatus::Valid
    );

    clock.advance(Duration::from_secs(60));
    logged_out_at
        .write()
        .unwrap()
        .insert(42, at(T0_MS + 30_000));
    let session = config.load(&request_with_cookie("__Host-app", &laptop));
    assert_eq!(session.rejection(), Some(&Rejection::Revoked));
    assert!(session.is_new());
    assert!(
        config.decode(other_user.as_bytes()).is_ok(),
        "other users unaffected"
    );

    // Logging in again after the cut-off works.
    let phone = user_cookie(&config, 42);
    assert!(config.decode(phone.as_bytes()).is_ok());

    // The check never runs for cookies that fail authentication.
    let before = checks.load(std::sync::atomic::Ordering::SeqCst);
    let mut forged = laptop.into_bytes();
    forged[40] ^= 1;
    assert!(config.decode(&forged).is_err());
    assert_eq!(checks.load(std::sync::atomic::Ordering::SeqCst), before);
}

#[test]
fn renew_on_login_changes_the_cookie_even_for_equal_data() {
    let clock = ManualClock::new(T0_MS);
    let config = config_on::<AppSession>(1, &clock);
    // An attacker plants a pre-login cookie; the victim logs in with it.
    let planted = issue(&config, AppSession::default());
    let mut session = config.load(&request_with_cookie("__Host-app", &planted));
    session.renew();
    assert_eq!(session.pending_write(), Some(WriteReason::Renewed));
    let after_login = cookie_value(&store(&config, &session).unwrap());
    assert_ne!(
        after_login, planted,
        "same data, same millisecond, still a new cookie"
    );
    // The new session is ordered after the planted one (the same second, a
    // later start sequence): whichever order the browser sends them in, the
    // login's session is the one loaded.
    let renewed = config.decode(after_login.as_bytes()).unwrap();
    let planted_session = config.decode(planted.as_bytes()).unwrap();
    assert!(renewed.created_at() >= planted_session.created_at());
    let mut logged_in = config.load(&request_with_cookie("__Host-app", &planted));
    logged_in.renew();
    logged_in.set_user_id(Some(1));
    let victim = cookie_value(&store(&config, &logged_in).unwrap());
    for pair in [[&planted, &victim], [&victim, &planted]] {
        let header = format!("__Host-app={}; __Host-app={}", pair[0], pair[1]);
        let loaded = config.load_cookies([header.as_bytes()]);
        assert_eq!(*loaded.user_id(), Some(1), "{header}");
    }
}

#[tokio::test]
async fn an_async_check_is_awaited_by_load_async() {
    let clock = ManualClock::new(T0_MS);
    // Stands in for a database: user id -> cut-off, behind an await point.
    let cutoffs: Arc<RwLock<HashMap<u64, SystemTime>>> = Arc::default();
    let config = {
        let cutoffs = Arc::clone(&cutoffs);
        SessionConfig::<AppSession>::builder(key(1))
            .clock(clock.clone())
            .revocation_check_async(move |session, cookie| {
                let user = *session.user_id();
                let started = cookie.created_at;
                let cutoffs = Arc::clone(&cutoffs);
                async move {
                    tokio::task::yield_now().await;
                    let cutoff = user.and_then(|user| cutoffs.read().unwrap().get(&user).copied());
                    cutoff.is_none_or(|cutoff| started >= cutoff)
                }
            })
            .build()
            .unwrap()
    };
    let value = user_cookie(&config, 7);
    let request = request_with_cookie("__Host-app", &value);
    assert_eq!(
        config.load_async(&request).await.status(),
        &LoadStatus::Valid
    );

    clock.advance(Duration::from_secs(5));
    cutoffs.write().unwrap().insert(7, at(T0_MS + 1000));
    let revoked = config.load_async(&request).await;
    assert_eq!(revoked.rejection(), Some(&Rejection::Revoked));
    assert!(revoked.is_new());
    // The synchronous load cannot await the check: it fails closed
    // (documented), like `SessionSlot::take`.
    assert_eq!(
        config.load(&request).rejection(),
        Some(&Rejection::NeedsAsyncLoad)
    );
    assert_eq!(
        config.decode(value.as_bytes()).unwrap_err(),
        Rejection::NeedsAsyncLoad
    );
    // Another user's session is untouched.
    let other = user_cookie(&config, 8);
    let other = config
        .load_cookies_async([format!("__Host-app={other}").as_bytes()])
        .await;
    assert_eq!(other.status(), &LoadStatus::Valid);
}

#[test]
fn renewals_in_quick_succession_never_run_ahead_of_the_clock() {
    let clock = ManualClock::new(T0_MS);
    let config = config_on::<AppSession>(1, &clock);
    let mut value = issue(&config, AppSession::default());
    // A hundred logins within a few seconds (an app that renews on every
    // request): each new cookie differs from the one it replaces and is
    // ordered after it, and the session start stays within a second of the
    // clock (up to 64 new sessions per second share a second, told apart by
    // their start sequence), so no cookie is ever refused as issued in the
    // future.
    for round in 0..100u64 {
        clock.advance(Duration::from_millis(37));
        let mut session = config.load(&request_with_cookie("__Host-app", &value));
        assert_eq!(session.status(), &LoadStatus::Valid, "round {round}");
        session.renew();
        session.set_user_id(Some(round));
        let next = cookie_value(&store(&config, &session).unwrap());
        assert_ne!(next, value);
        let started = config
            .decode(next.as_bytes())
            .unwrap()
            .created_at()
            .unwrap();
        let now = clock_now(&clock);
        assert!(started <= now + Duration::from_secs(1), "round {round}");
        value = next;
    }
}

fn clock_now(clock: &ManualClock) -> SystemTime {
    use session_runtime::Clock as _;
    at(clock.now_unix_ms())
}
