//! Per-session lifetimes (docs/wire-format.md, "Lifetimes"): a browser-session
//! cookie has no `Max-Age` yet keeps its signed timeouts, "remember me" gets
//! the longer declared ones, and the choice is under the MAC.

use std::time::Duration;

use http::HeaderMap;
use session_runtime::{
    CookieSession, Lifetime, LoadStatus, ManualClock, Rejection, Session, SessionConfig,
    SessionConfigBuilder, StoreError, WriteReason,
};
use session_tests::reference::{b64, reference_base64};
use session_tests::{cookie_pair, key, request_with_cookie, store, Tiny, T0_MS};

const HOUR: Duration = Duration::from_secs(60 * 60);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

fn builder(clock: &ManualClock) -> SessionConfigBuilder<Tiny> {
    SessionConfig::<Tiny>::builder(key(1))
        .clock(clock.clone())
        .idle_timeout(2 * HOUR)
        .absolute_timeout(DAY)
}

/// Logs in with `lifetime` (or the default) and returns the Set-Cookie text.
fn log_in(config: &SessionConfig<Tiny>, lifetime: Option<Lifetime>) -> String {
    let mut session = config.load(&HeaderMap::new());
    session.renew();
    session.set_n(1);
    if let Some(lifetime) = lifetime {
        session.set_lifetime(lifetime).expect("declared");
    }
    store(config, &session)
        .expect("login writes a cookie")
        .to_str()
        .unwrap()
        .to_owned()
}

fn value_of(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

fn max_age(set_cookie: &str) -> Option<u64> {
    set_cookie
        .split("; ")
        .find_map(|attr| attr.strip_prefix("Max-Age="))
        .map(|secs| secs.parse().unwrap())
}

#[test]
fn standard_sessions_keep_max_age_and_browser_sessions_have_none() {
    let clock = ManualClock::new(T0_MS);
    let config = builder(&clock).build().unwrap();
    let standard = log_in(&config, None);
    assert_eq!(max_age(&standard), Some(2 * 60 * 60));
    assert!(!standard.contains("Expires"));

    let browser = log_in(&config, Some(Lifetime::BrowserSession));
    assert_eq!(max_age(&browser), None, "{browser}");
    assert!(!browser.contains("Expires"), "{browser}");
    let loaded = config.load(&request_with_cookie(Tiny::NAME, &value_of(&browser)));
    assert_eq!(loaded.status(), &LoadStatus::Valid);
    assert_eq!(loaded.lifetime(), Lifetime::BrowserSession);

    // A browser-session cookie is still bounded by the signed timeouts: the
    // browser may keep it open for days, the server refuses it after the
    // idle timeout.
    clock.advance(2 * HOUR + Duration::from_secs(1));
    let expired = config.load(&request_with_cookie(Tiny::NAME, &value_of(&browser)));
    assert!(matches!(
        expired.rejection(),
        Some(Rejection::IdleExpired { .. })
    ));
}

#[test]
fn browser_sessions_can_be_the_default_and_have_their_own_timeouts() {
    let clock = ManualClock::new(T0_MS);
    let config = builder(&clock)
        .default_lifetime(Lifetime::BrowserSession)
        .browser_session_timeouts(HOUR, 4 * HOUR)
        .build()
        .unwrap();
    let cookie = log_in(&config, None);
    assert_eq!(max_age(&cookie), None);
    clock.advance(HOUR / 2);
    // Re-issued by an active user: still no Max-Age, absolute timeout kept.
    let mut session = config.load(&request_with_cookie(Tiny::NAME, &value_of(&cookie)));
    assert_eq!(session.lifetime(), Lifetime::BrowserSession);
    session.set_n(2);
    let reissued = store(&config, &session).unwrap();
    assert_eq!(max_age(reissued.to_str().unwrap()), None);
    clock.advance(HOUR + Duration::from_secs(1));
    let idle = config.load(&request_with_cookie(
        Tiny::NAME,
        &value_of(reissued.to_str().unwrap()),
    ));
    assert!(matches!(
        idle.rejection(),
        Some(Rejection::IdleExpired { .. })
    ));
}

#[test]
fn remember_me_gets_its_longer_timeouts_and_max_age() {
    let clock = ManualClock::new(T0_MS);
    let config = builder(&clock)
        .remember_me(30 * DAY, 90 * DAY)
        .build()
        .unwrap();
    let cookie = log_in(&config, Some(Lifetime::RememberMe));
    assert_eq!(max_age(&cookie), Some(30 * 24 * 60 * 60));

    // Three days later: past the standard idle (2 h) and absolute (1 day)
    // timeouts, within remember-me's.
    clock.advance(3 * DAY);
    let loaded = config.load(&request_with_cookie(Tiny::NAME, &value_of(&cookie)));
    assert_eq!(loaded.status(), &LoadStatus::Valid);
    assert_eq!(loaded.lifetime(), Lifetime::RememberMe);
    // ... and it is refreshed (idle refresh after min(1 h, idle / 2)).
    assert_eq!(loaded.pending_write(), Some(WriteReason::Refreshed));
    let refreshed = store(&config, &loaded).unwrap();
    // Max-Age: the idle timeout, since the absolute deadline is further away.
    assert_eq!(
        max_age(refreshed.to_str().unwrap()),
        Some(30 * 24 * 60 * 60)
    );

    // A standard session of the same config expired long ago.
    clock.set(T0_MS);
    let standard = log_in(&config, None);
    clock.advance(3 * DAY);
    let expired = config.load(&request_with_cookie(Tiny::NAME, &value_of(&standard)));
    assert!(expired.rejection().is_some());
}

#[test]
fn the_lifetime_is_under_the_mac_and_must_be_declared() {
    let clock = ManualClock::new(T0_MS);
    let with_remember = builder(&clock)
        .remember_me(30 * DAY, 30 * DAY)
        .build()
        .unwrap();
    let without = builder(&clock).build().unwrap();

    // Flipping the lifetime byte of a browser-session cookie to "remember me"
    // (or anything else) breaks the MAC.
    let browser = value_of(&log_in(&with_remember, Some(Lifetime::BrowserSession)));
    let mut raw = reference_base64(browser.as_bytes()).unwrap();
    for byte in [0u8, 2, 3, 0xff] {
        raw[15] = byte;
        let tampered = b64(&raw);
        assert_eq!(
            with_remember.decode(tampered.as_bytes()).err(),
            Some(Rejection::BadSignature),
            "lifetime byte {byte}"
        );
    }

    // A remember-me cookie reaching a server that no longer declares it.
    let remembered = value_of(&log_in(&with_remember, Some(Lifetime::RememberMe)));
    assert_eq!(
        without.decode(remembered.as_bytes()).err(),
        Some(Rejection::UnknownLifetime { lifetime: 2 })
    );
    // Choosing an undeclared lifetime is a store error, never a silent
    // fallback to another lifetime.
    let mut session = Session::<Tiny>::new();
    session
        .set_lifetime(Lifetime::RememberMe)
        .expect("declared");
    assert_eq!(
        without.set_cookie(&session),
        Err(StoreError::LifetimeNotConfigured {
            lifetime: Lifetime::RememberMe
        })
    );
    assert!(builder(&clock)
        .default_lifetime(Lifetime::RememberMe)
        .build()
        .is_err());
}

#[test]
fn changing_only_the_lifetime_reissues_the_cookie() {
    let clock = ManualClock::new(T0_MS);
    let config = builder(&clock)
        .remember_me(30 * DAY, 30 * DAY)
        .build()
        .unwrap();
    let cookie = value_of(&log_in(&config, None));
    let mut session = config.load(&request_with_cookie(Tiny::NAME, &cookie));
    // Same data, new lifetime: the "unchanged payload" shortcut must not hide it.
    session
        .set_lifetime(Lifetime::RememberMe)
        .expect("declared");
    let reissued = store(&config, &session).expect("a new cookie for the new lifetime");
    let pair = cookie_pair(&reissued);
    let again = config.load(&request_with_cookie(
        Tiny::NAME,
        pair.split_once('=').unwrap().1,
    ));
    assert_eq!(again.lifetime(), Lifetime::RememberMe);
    assert_eq!(
        again.created_at(),
        session.created_at(),
        "same session start"
    );
}
