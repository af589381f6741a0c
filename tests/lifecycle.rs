//! The lifecycle issue's nine rows, one test each (docs/lifecycle.md): every
//! one failed before its fix. The model-based test (`tests/lifecycle_model/`)
//! explores the same transitions at random; these pin the reported cases.

use std::time::Duration;

use axum::body::Body;
use axum::routing::{get, post};
use axum::Router;
use http::{Request, StatusCode};
use serde::{Deserialize, Serialize};
use session_runtime::axum::{CsrfLayer, RequestSession, SessionLayer};
use session_runtime::testing::CookieJar;
use session_runtime::{
    BoundedString, ConfigError, CookieSession, CsrfToken, Flash, Key, Lifetime, LoadStatus,
    ManualClock, Rejection, SessionConfig, StoreError,
};
use session_tests::{cookie_pair, key, T0_MS};
use tower::ServiceExt as _;

/// A session with everything the rows touch: a user, a CSRF token, a flash.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-life", version = 1)]
struct Life {
    user: Option<BoundedString<16>>,
    csrf: CsrfToken,
    flash: Flash<BoundedString<32>>,
}

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Browser-session default, remember me declared (the README's login).
fn remembering(clock: &ManualClock) -> SessionConfig<Life> {
    SessionConfig::<Life>::builder(key(1))
        .clock(clock.clone())
        .default_lifetime(Lifetime::BrowserSession)
        .remember_me(30 * DAY, 90 * DAY)
        .build()
        .expect("valid config")
}

/// The `name=value` pair of `config`'s cookie for `session`.
fn written(config: &SessionConfig<Life>, session: &session_runtime::Session<Life>) -> String {
    cookie_pair(
        &config
            .set_cookie(session)
            .unwrap()
            .expect("a cookie is due"),
    )
}

/// Row 1: Ada logs in with remember me and logs out the documented way
/// (`clear()`, then a flash); Bob logs in on the same browser without
/// ticking it and gets the default lifetime, not Ada's.
#[test]
fn logout_resets_the_lifetime_for_the_next_user() {
    let clock = ManualClock::new(T0_MS);
    let config = remembering(&clock);
    let mut ada = config.load_cookies([]);
    ada.renew();
    ada.set_user(Some(BoundedString::truncating("ada")));
    ada.set_lifetime(Lifetime::RememberMe).unwrap();
    let cookie = written(&config, &ada);
    assert!(config
        .set_cookie(&ada)
        .unwrap()
        .unwrap()
        .contains("; Max-Age=2592000;"));

    clock.advance(Duration::from_secs(5));
    let mut logout = config.load_cookies([cookie.as_bytes()]);
    assert_eq!(logout.lifetime(), Lifetime::RememberMe);
    logout.clear();
    assert_eq!(logout.lifetime(), Lifetime::BrowserSession);
    logout
        .flash_mut()
        .set(BoundedString::truncating("You are logged out."));
    let set_cookie = config.set_cookie(&logout).unwrap().unwrap();
    assert!(!set_cookie.contains("Max-Age"), "{set_cookie}");
    let cookie = cookie_pair(&set_cookie);

    clock.advance(Duration::from_secs(5));
    let mut bob = config.load_cookies([cookie.as_bytes()]);
    assert_eq!(bob.lifetime(), Lifetime::BrowserSession);
    bob.renew();
    bob.set_user(Some(BoundedString::truncating("bob")));
    let set_cookie = config.set_cookie(&bob).unwrap().unwrap();
    assert!(
        !set_cookie.contains("Max-Age"),
        "no remember me: {set_cookie}"
    );
    let loaded = config.load_cookies([cookie_pair(&set_cookie).as_bytes()]);
    assert_eq!(loaded.lifetime(), Lifetime::BrowserSession);
}

/// Row 1 too: a login over a remembered session that nobody logged out of
/// does not inherit remember me either, unless this login chooses it.
#[test]
fn login_resets_the_lifetime_unless_chosen_again() {
    let clock = ManualClock::new(T0_MS);
    let config = remembering(&clock);
    let mut ada = config.load_cookies([]);
    ada.set_user(Some(BoundedString::truncating("ada")));
    ada.set_lifetime(Lifetime::RememberMe).unwrap();
    let cookie = written(&config, &ada);
    for choose_again in [false, true] {
        let mut login = config.load_cookies([cookie.as_bytes()]);
        if choose_again {
            // Chosen before `renew()` in the same request: kept.
            login.set_lifetime(Lifetime::RememberMe).unwrap();
        }
        login.renew();
        let expected = if choose_again {
            Lifetime::RememberMe
        } else {
            Lifetime::BrowserSession
        };
        assert_eq!(login.lifetime(), expected);
        let loaded = config.load_cookies([written(&config, &login).as_bytes()]);
        assert_eq!(loaded.lifetime(), expected);
    }
}

/// Row 2: `renew()` replaces the CSRF token, so a token an attacker planted
/// or read before the login does not pass after it.
#[test]
fn login_replaces_the_csrf_token() {
    let clock = ManualClock::new(T0_MS);
    let config = remembering(&clock);
    let mut anonymous = config.load_cookies([]);
    anonymous.set_csrf(CsrfToken::generate().unwrap());
    let planted_token = anonymous.csrf().to_base64url();
    let cookie = written(&config, &anonymous);

    let mut login = config.load_cookies([cookie.as_bytes()]);
    assert!(login.csrf().matches(&planted_token));
    login.renew();
    assert!(!login.csrf().is_unset(), "a new token, not an unset one");
    assert!(!login.csrf().matches(&planted_token));
    let after = config.load_cookies([written(&config, &login).as_bytes()]);
    assert!(!after.csrf().matches(&planted_token));
}

/// Row 2, over HTTP: the CSRF layer refuses the pre-login token after the
/// login, and accepts the new one.
#[tokio::test]
async fn the_csrf_layer_refuses_the_token_from_before_the_login() {
    let clock = ManualClock::new(T0_MS);
    let app = Router::new()
        .route(
            "/",
            get(|session: RequestSession<Life>| async move { session.csrf().to_base64url() }),
        )
        .route(
            "/login",
            post(|mut session: RequestSession<Life>| async move {
                session.renew();
                session.set_user(Some(BoundedString::truncating("ada")));
                "welcome"
            }),
        )
        .route("/save", post(|| async { "saved" }))
        .layer(SessionLayer::new(remembering(&clock)).with_csrf());
    // The browser: a cookie jar from the test kit.
    let mut jar = CookieJar::new();
    let mut send = async |method: &str, path: &str, token: Option<&str>| {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(cookie) = jar.cookie_header() {
            request = request.header("cookie", cookie);
        }
        if let Some(token) = token {
            request = request.header("x-csrf-token", token);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        jar.apply(response.headers());
        (response.status(), body_text(response).await)
    };
    let (_, old_token) = send("GET", "/", None).await;
    let (status, _) = send("POST", "/login", Some(&old_token)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send("POST", "/save", Some(&old_token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, new_token) = send("GET", "/", None).await;
    assert_ne!(new_token, old_token);
    let (status, _) = send("POST", "/save", Some(&new_token)).await;
    assert_eq!(status, StatusCode::OK);
}

async fn body_text(response: http::Response<Body>) -> String {
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Row 3: a guard holds a handle while the handler chooses a lifetime; the
/// handler writes into a copy of the shared snapshot, and the copy keeps the
/// choice.
#[tokio::test]
async fn a_copy_of_a_shared_snapshot_keeps_the_chosen_lifetime() {
    use axum::extract::Request as AxumRequest;
    use axum::middleware::{from_fn, Next};
    let clock = ManualClock::new(T0_MS);
    async fn guard(
        session: RequestSession<Life>,
        request: AxumRequest,
        next: Next,
    ) -> axum::response::Response {
        let _user = session.user().clone(); // the guard reads and holds its handle
        next.run(request).await
    }
    let app = Router::new()
        .route(
            "/login",
            post(|mut session: RequestSession<Life>| async move {
                session.renew();
                session.set_lifetime(Lifetime::RememberMe).unwrap();
                "welcome"
            }),
        )
        .route_layer(from_fn(guard))
        .layer(SessionLayer::new(remembering(&clock)));
    let response = app
        .oneshot(Request::post("/login").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(set_cookie.contains("; Max-Age=2592000;"), "{set_cookie}");
}

/// Row 4: a lifetime the configuration does not declare is refused where it
/// is chosen, with the builder call that declares it; nothing is changed.
#[test]
fn an_undeclared_lifetime_is_refused_where_it_is_chosen() {
    let clock = ManualClock::new(T0_MS);
    let config = session_tests::config_on::<Life>(1, &clock);
    let mut session = config.load_cookies([]);
    let err = session.set_lifetime(Lifetime::RememberMe).unwrap_err();
    assert_eq!(err.lifetime(), Lifetime::RememberMe);
    assert!(
        err.to_string()
            .contains("add `.remember_me(idle, absolute)` to the SessionConfig builder"),
        "{err}"
    );
    assert_eq!(session.lifetime(), Lifetime::Standard);
    assert_eq!(session.pending_write(), None);
    // A session made outside a configuration is checked when stored, with the
    // same fix named.
    let mut outside = session_runtime::Session::<Life>::new();
    outside.set_lifetime(Lifetime::RememberMe).unwrap();
    let err = config.set_cookie(&outside).unwrap_err();
    assert_eq!(
        err,
        StoreError::LifetimeNotConfigured {
            lifetime: Lifetime::RememberMe
        }
    );
    assert!(
        err.to_string().contains(".remember_me(idle, absolute)"),
        "{err}"
    );
}

/// Row 5: a CSRF layer outside the session layer says that the order is the
/// problem, and how to fix it.
#[tokio::test]
async fn a_csrf_layer_outside_the_session_layer_names_the_order() {
    let clock = ManualClock::new(T0_MS);
    let app = Router::new()
        .route("/", get(|| async { "page" }))
        .layer(SessionLayer::new(remembering(&clock)))
        .layer(CsrfLayer::<Life>::new()); // wrong: outside
    let response = app
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = body_text(response).await;
    assert!(body.contains("must run inside the session layer"), "{body}");
    assert!(
        body.contains("SessionLayer::new(config).with_csrf()"),
        "{body}"
    );
}

/// Row 6: a session issued by a replica whose clock runs 50 s ahead (inside
/// the 60 s allowance) and planted in the victim's browser loses to the
/// victim's login on a replica with the right time, in either header order;
/// and one from further ahead (refused for now) cannot win later either.
#[test]
fn a_login_beats_a_session_planted_from_a_replica_whose_clock_runs_ahead() {
    for ahead in [
        Duration::from_secs(50),
        Duration::from_secs(59),
        Duration::from_secs(90),
    ] {
        let clock = ManualClock::new(T0_MS);
        let fast_clock = ManualClock::new(T0_MS);
        fast_clock.advance(ahead);
        let honest = remembering(&clock);
        let fast = remembering(&fast_clock);
        // The attacker's own session, from the fast replica (several logins
        // in a row there, to push its start sequence up too).
        let mut planted = fast.load_cookies([]);
        planted.set_user(Some(BoundedString::truncating("mallory")));
        let mut cookie = written(&fast, &planted);
        for _ in 0..3 {
            let mut again = fast.load_cookies([cookie.as_bytes()]);
            again.renew();
            cookie = written(&fast, &again);
        }
        let planted_pair = cookie.clone();
        // The victim logs in with the planted cookie in the browser.
        clock.advance(Duration::from_secs(1));
        let mut login = honest.load_cookies([planted_pair.as_bytes()]);
        login.renew();
        login.set_user(Some(BoundedString::truncating("victim")));
        let victim_pair = written(&honest, &login);
        // Later requests carry both cookies, in either order, at any time
        // until both have expired: the victim's session (or, while it is
        // not yet acceptable, a fresh one) — never mallory's.
        for later in [1, 30, 45, 60, 91, 3600] {
            let clock = ManualClock::new(T0_MS + later * 1000);
            let replica = remembering(&clock);
            for header in [
                format!("{planted_pair}; {victim_pair}"),
                format!("{victim_pair}; {planted_pair}"),
            ] {
                let loaded = replica.load_cookies([header.as_bytes()]);
                assert_ne!(
                    loaded.user().as_deref(),
                    Some("mallory"),
                    "{ahead:?} ahead, {later} s later: {:?}",
                    loaded.status()
                );
                if ahead < Duration::from_secs(60) {
                    assert_eq!(
                        loaded.user().as_deref(),
                        Some("victim"),
                        "{ahead:?}, {later} s"
                    );
                }
            }
        }
    }
}

/// Row 7: with only an asynchronous revocation check, the synchronous loads
/// fail closed (the slot's rule); the `_async` twins run the check.
#[tokio::test]
async fn synchronous_loads_fail_closed_with_only_an_async_revocation_check() {
    let clock = ManualClock::new(T0_MS);
    let config = SessionConfig::<Life>::builder(key(1))
        .clock(clock.clone())
        .revocation_check_async(|session, _| {
            let revoked = session.user().as_deref() == Some("revoked");
            async move { !revoked }
        })
        .build()
        .unwrap();
    let plain = session_tests::config_on::<Life>(1, &clock);
    for (user, valid) in [("ada", true), ("revoked", false)] {
        let mut session = plain.load_cookies([]);
        session.set_user(Some(BoundedString::truncating(user)));
        let pair = written(&plain, &session);
        let value = pair.split_once('=').unwrap().1;
        let headers = session_tests::request_with_cookie(Life::NAME, value);
        assert_eq!(
            config.load(&headers).rejection(),
            Some(&Rejection::NeedsAsyncLoad)
        );
        assert_eq!(
            config.load_cookies([pair.as_bytes()]).rejection(),
            Some(&Rejection::NeedsAsyncLoad)
        );
        assert_eq!(
            config.decode(value.as_bytes()).unwrap_err(),
            Rejection::NeedsAsyncLoad
        );
        let expected = if valid {
            &LoadStatus::Valid
        } else {
            &LoadStatus::Rejected(Rejection::Revoked)
        };
        assert_eq!(config.load_async(&headers).await.status(), expected);
        assert_eq!(
            config.load_cookies_async([pair.as_bytes()]).await.status(),
            expected
        );
        assert_eq!(
            config
                .decode_async(value.as_bytes())
                .await
                .map(|s| s.status().clone()),
            if valid {
                Ok(LoadStatus::Valid)
            } else {
                Err(Rejection::Revoked)
            }
        );
    }
    // No cookie: nothing to check, nothing refused.
    assert_eq!(config.load_cookies([]).status(), &LoadStatus::Missing);
}

/// Row 9: a clock before 2025-01-01 (the wire epoch) is refused when the
/// configuration is built, and a clock that moves back there later makes
/// storing fail loudly instead of writing cookies nobody accepts.
#[test]
fn a_clock_before_the_wire_epoch_is_refused() {
    let old = ManualClock::new(1_700_000_000_000); // 2023-11-14
    let err = SessionConfig::<Life>::builder(key(1))
        .clock(old)
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        ConfigError::ClockBeforeEpoch {
            now_unix_ms: 1_700_000_000_000
        }
    );
    assert!(err.to_string().contains("before 2025-01-01"), "{err}");

    let clock = ManualClock::new(T0_MS);
    let config = session_tests::config_on::<Life>(1, &clock);
    clock.set(1_700_000_000_000);
    let mut session = config.load_cookies([]);
    session.set_user(Some(BoundedString::truncating("ada")));
    assert_eq!(
        config.set_cookie(&session).unwrap_err(),
        StoreError::ClockBeforeEpoch {
            now_unix_ms: 1_700_000_000_000
        }
    );
}

/// Row 8 is a compile error (tests/ui/csrf_token_no_eq.rs): `CsrfToken` has
/// no `==`. Here, the constant-time comparison it offers instead.
#[test]
fn csrf_tokens_compare_only_through_matches() {
    let token = CsrfToken::generate().unwrap();
    assert!(token.matches(&token.to_base64url()));
    assert!(!token.matches(&CsrfToken::generate().unwrap().to_base64url()));
    let _: Key = key(2); // the configuration's keys never touch the token
}
