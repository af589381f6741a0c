//! Loading from `Cookie` headers and writing `Set-Cookie` on `http` types.

use std::time::Duration;

use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Request, Response};
use serde::{Deserialize, Serialize};
use session_runtime::limits::MAX_CANDIDATE_COOKIES;
use session_runtime::{
    BoundedString, CookieAttributes, CookieSession, LoadStatus, ManualClock, MaxEncodedLen,
    Rejection, SameSite, Session, SessionConfig, StoreError, WriteReason,
};
use session_tests::{
    config_on, config_with_clock, cookie_pair, cookie_value, issue, key, request_with_cookie,
    store, AppSession, Liar, Tiny, T0_MS,
};

fn logged_in() -> AppSession {
    AppSession {
        user_id: Some(5),
        ..AppSession::default()
    }
}

#[test]
fn untouched_session_sends_no_cookie() {
    let (config, _clock) = config_with_clock::<AppSession>();
    let fresh = config.load(&HeaderMap::new());
    assert_eq!(fresh.pending_write(), None);
    assert_eq!(store(&config, &fresh), None);

    let value = issue(&config, logged_in());
    let loaded = config.load(&request_with_cookie(AppSession::NAME, &value));
    assert_eq!(loaded.status(), &LoadStatus::Valid);
    assert_eq!(store(&config, &loaded), None);
}

#[test]
fn fresh_session_set_to_its_default_sends_no_cookie() {
    // Express: `req.session = {}` on a new session sets no cookie.
    let (config, _clock) = config_with_clock::<AppSession>();
    let mut fresh = config.load(&HeaderMap::new());
    fresh.set(AppSession::default());
    assert_eq!(fresh.pending_write(), Some(WriteReason::Changed));
    assert_eq!(store(&config, &fresh), None);
    fresh.set_user_id(Some(1));
    fresh.set_user_id(None);
    assert_eq!(store(&config, &fresh), None, "edited back to the default");
    // Anything else is written, and a renewed default session is written too.
    fresh.set_user_id(Some(1));
    assert!(store(&config, &fresh).is_some());
    let mut renewed = config.load(&HeaderMap::new());
    renewed.renew();
    renewed.set(AppSession::default());
    assert!(store(&config, &renewed).is_some());
    // A refused cookie with default data set: no cookie either.
    let mut rejected = config.load(&request_with_cookie(AppSession::NAME, "garbage"));
    rejected.set(AppSession::default());
    assert_eq!(store(&config, &rejected), None);
}

#[test]
fn touched_but_equal_session_sends_no_cookie() {
    let (config, _clock) = config_with_clock::<AppSession>();
    let value = issue(&config, logged_in());
    let mut loaded = config.load(&request_with_cookie(AppSession::NAME, &value));
    loaded.set_user_id(Some(5));
    assert_eq!(loaded.pending_write(), Some(WriteReason::Changed));
    assert_eq!(store(&config, &loaded), None, "same bytes: nothing to send");
    loaded.set_user_id(Some(6));
    assert!(store(&config, &loaded).is_some());
}

#[test]
fn set_cookie_carries_secure_defaults_and_max_age() {
    let (config, _clock) = config_with_clock::<AppSession>();
    let mut session = Session::<AppSession>::new();
    session.set(logged_in());
    let header = store(&config, &session).unwrap();
    let text = header.to_str().unwrap();
    let attributes: Vec<&str> = text.split("; ").skip(1).collect();
    assert_eq!(
        attributes,
        [
            "Max-Age=86400",
            "Path=/",
            "Secure",
            "HttpOnly",
            "SameSite=Lax"
        ]
    );
    assert!(!text.contains("Domain"));
}

#[test]
fn max_age_never_outlives_the_absolute_deadline() {
    let (config, clock) = config_with_clock::<AppSession>();
    let value = issue(&config, logged_in());
    clock.advance(Duration::from_secs(7 * 24 * 3600 - 3600));
    let mut session = config.load(&request_with_cookie(AppSession::NAME, &value));
    session.set_user_id(Some(8));
    // 6 days 23 hours in, an hour of absolute lifetime is left... but the idle
    // timeout expired long ago, so this cookie was refused and a new one starts.
    assert!(session.is_new());
    let header = store(&config, &session).unwrap();
    assert!(header.to_str().unwrap().contains("Max-Age=86400"));

    let (config, clock) = config_with_clock::<AppSession>();
    let mut value = issue(&config, logged_in());
    for _ in 0..13 {
        clock.advance(Duration::from_secs(12 * 3600));
        let session = config.load(&request_with_cookie(AppSession::NAME, &value));
        value = cookie_value(&store(&config, &session).unwrap());
    }
    // 6.5 days in: half a day of absolute lifetime remains.
    let header = {
        let mut session = config.load(&request_with_cookie(AppSession::NAME, &value));
        session.set_user_id(Some(9));
        store(&config, &session).unwrap()
    };
    assert!(
        header.to_str().unwrap().contains("Max-Age=43200"),
        "{header:?}"
    );
}

#[test]
fn clear_emits_an_expiring_cookie_with_the_same_path() {
    let (config, _clock) = config_with_clock::<AppSession>();
    let value = issue(&config, logged_in());
    let mut session = config.load(&request_with_cookie(AppSession::NAME, &value));
    session.clear();
    assert_eq!(*session, AppSession::default());
    assert_eq!(session.pending_write(), Some(WriteReason::Cleared));
    let header = store(&config, &session).unwrap();
    assert_eq!(
        header.to_str().unwrap(),
        "__Host-app=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax"
    );
    // Writing after clearing starts a new session instead.
    session.set_user_id(Some(77));
    let header = store(&config, &session).unwrap();
    assert!(header.to_str().unwrap().contains("Max-Age=86400"));
}

#[test]
fn renew_changes_the_cookie_and_restarts_the_absolute_clock() {
    let (config, clock) = config_with_clock::<AppSession>();
    let value = issue(&config, logged_in());
    clock.advance(Duration::from_secs(30));
    let mut session = config.load(&request_with_cookie(AppSession::NAME, &value));
    let created_before = session.created_at().unwrap();
    session.renew();
    assert_eq!(session.pending_write(), Some(WriteReason::Renewed));
    let renewed = cookie_value(&store(&config, &session).unwrap());
    assert_ne!(renewed, value, "same data, new cookie");
    let again = config.decode(renewed.as_bytes()).unwrap();
    assert_eq!(
        again.created_at().unwrap(),
        created_before + Duration::from_secs(30)
    );
}

#[test]
fn idle_refresh_reissues_an_unchanged_session() {
    let (config, clock) = config_with_clock::<AppSession>();
    let value = issue(&config, logged_in());
    clock.advance(Duration::from_secs(59 * 60));
    let session = config.load(&request_with_cookie(AppSession::NAME, &value));
    assert_eq!(session.pending_write(), None);
    clock.advance(Duration::from_secs(60));
    let session = config.load(&request_with_cookie(AppSession::NAME, &value));
    assert_eq!(session.pending_write(), Some(WriteReason::Refreshed));
    let refreshed = cookie_value(&store(&config, &session).unwrap());
    let again = config.decode(refreshed.as_bytes()).unwrap();
    assert_eq!(
        again.created_at(),
        session.created_at(),
        "refresh keeps the start time"
    );
    assert!(again.issued_at() > session.issued_at());
}

#[test]
fn several_cookie_headers_and_pairs_are_scanned() {
    let (config, _clock) = config_with_clock::<AppSession>();
    let value = issue(&config, logged_in());
    let mut headers = HeaderMap::new();
    headers.append(COOKIE, HeaderValue::from_static("theme=dark; lang=en"));
    headers.append(
        COOKIE,
        HeaderValue::try_from(format!("a=1;{}={value};  z=2", AppSession::NAME)).unwrap(),
    );
    let session = config.load(&headers);
    assert_eq!(session.status(), &LoadStatus::Valid);
    assert_eq!(*session, logged_in());
}

#[test]
fn duplicate_names_first_valid_wins_and_work_is_bounded() {
    let (config, _clock) = config_with_clock::<AppSession>();
    let value = issue(&config, logged_in());
    let header = format!("{0}=garbage; {0}={value}", AppSession::NAME);
    let session = config.load(&request_with_cookie_header(&header));
    assert_eq!(session.status(), &LoadStatus::Valid);

    // Only the first MAX_CANDIDATE_COOKIES are tried; the first rejection is reported.
    let mut header = String::new();
    for i in 0..MAX_CANDIDATE_COOKIES {
        header.push_str(&format!("{}=bad{i}; ", AppSession::NAME));
    }
    header.push_str(&format!("{}={value}", AppSession::NAME));
    let session = config.load(&request_with_cookie_header(&header));
    // "bad0" is valid base64 for 3 bytes: too short for a header and a tag.
    assert_eq!(
        session.status(),
        &LoadStatus::Rejected(Rejection::Truncated { len: 3 })
    );
}

fn request_with_cookie_header(header: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, HeaderValue::try_from(header).unwrap());
    headers
}

#[test]
fn store_appends_without_touching_other_set_cookies() {
    let (config, _clock) = config_with_clock::<AppSession>();
    let mut session = Session::<AppSession>::new();
    session.set(logged_in());
    let mut response = Response::new(());
    response
        .headers_mut()
        .append(SET_COOKIE, HeaderValue::from_static("other=1; Path=/"));
    let reason = config.store(&session, response.headers_mut()).unwrap();
    assert_eq!(reason, Some(WriteReason::Changed));
    let all: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], "other=1; Path=/");

    let request = Request::builder()
        .header(COOKIE, cookie_pair(all[1]))
        .body(())
        .unwrap();
    assert_eq!(*config.load(request.headers()), logged_in());
}

#[test]
fn runtime_attributes_are_validated_against_the_prefix() {
    let insecure = CookieAttributes {
        secure: false,
        ..CookieAttributes::SECURE_DEFAULTS
    };
    assert!(SessionConfig::<AppSession>::builder(key(1))
        .attributes(insecure.clone())
        .build()
        .is_err());
    // A plain name may drop Secure for local development.
    let config = SessionConfig::<Tiny>::builder(key(1))
        .attributes(CookieAttributes {
            same_site: SameSite::Strict,
            ..insecure
        })
        .build()
        .unwrap();
    let mut session = Session::<Tiny>::new();
    session.set_n(1);
    let header = config.set_cookie(&session).unwrap().unwrap();
    assert!(header.ends_with("; Path=/; HttpOnly; SameSite=Strict"));
}

#[test]
fn bad_timeouts_are_refused() {
    assert!(SessionConfig::<Tiny>::builder(key(1))
        .idle_timeout(Duration::ZERO)
        .build()
        .is_err());
    assert!(SessionConfig::<Tiny>::builder(key(1))
        .idle_timeout(Duration::from_secs(60))
        .refresh_after(Duration::from_secs(60))
        .build()
        .is_err());
}

/// Claims a budget the browser would not honour.
#[derive(Serialize, Deserialize, Default, Debug)]
struct Greedy {
    text: String,
}

impl MaxEncodedLen for Greedy {
    const MAX_ENCODED_LEN: usize = 5000;
    const SCHEMA_HASH: u64 = 2;
}

impl CookieSession for Greedy {
    const NAME: &'static str = "greedy";
    const VERSION: u16 = 1;
    const SCHEMA_FINGERPRINT: u64 = 2;
    const BUDGET: usize = 8192;
    const MAX_PAYLOAD_LEN: usize = 5000;
    const MAX_COOKIE_LEN: usize =
        session_runtime::wire::max_cookie_len(6, 5000, session_runtime::wire::SIGNED_OVERHEAD);
    type Envelope = session_runtime::wire::HmacSha256;
}

#[test]
fn runtime_refuses_cookies_beyond_the_bound_or_the_browser_limit() {
    let clock = ManualClock::new(T0_MS);
    let liar = config_on::<Liar>(1, &clock);
    let mut session = Session::<Liar>::new();
    session.set(Liar {
        text: "far more than eight bytes".into(),
    });
    assert_eq!(
        liar.set_cookie(&session),
        Err(StoreError::ExceedsBound { max_payload_len: 8 })
    );

    let greedy = SessionConfig::<Greedy>::builder(key(1))
        .clock(clock)
        .build()
        .unwrap();
    let mut session = Session::<Greedy>::new();
    session.set(Greedy {
        text: "x".repeat(3500),
    });
    let err = greedy.set_cookie(&session).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::ExceedsBound { .. } | StoreError::OverBudget { .. }
        ),
        "{err:?}"
    );
    // 3038 bytes + 2-byte length prefix + 32 bytes of header and tag fill the
    // 3072-byte envelope exactly: 6 (name) + 4096 (value) = 4102 > 4096.
    session.set(Greedy {
        text: "x".repeat(3038),
    });
    assert!(matches!(
        greedy.set_cookie(&session),
        Err(StoreError::OverBudget { limit: 4096, .. })
    ));
}

#[test]
fn rejected_cookie_is_observable_and_never_an_error() {
    let (config, _clock) = config_with_clock::<AppSession>();
    let session = config.load(&request_with_cookie(AppSession::NAME, "not-a-session"));
    let reason = session.rejection().expect("a reason");
    assert_eq!(reason.kind(), "not_base64");
    assert!(reason.is_suspicious());
    assert!(!reason.to_string().is_empty());
    let _: BoundedString<1> = BoundedString::new();
}
