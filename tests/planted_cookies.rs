//! Several cookies of one name (SECURITY.md, "cookie tossing"): among the
//! authentic candidates the most recently started session wins, planted junk
//! cannot hide the genuine cookie, and the work per request stays bounded.

use std::time::Duration;

use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use session_runtime::limits::{MAX_CANDIDATE_COOKIES, MAX_VERIFIED_CANDIDATES};
use session_runtime::{
    CookieAttributes, CookieSession, LoadStatus, ManualClock, Rejection, Session, SessionConfig,
};
use session_tests::reference::{b64, reference_base64};
use session_tests::{cookie_value, key, store, T0_MS};

/// A session type whose name has no `__Host-` prefix, so a sibling subdomain
/// can plant a cookie of the same name (`Domain=example.com`, longer `Path`).
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Secure-sid", version = 1, domain = "example.com")]
struct SiteSession {
    user: Option<u32>,
}

fn config() -> (SessionConfig<SiteSession>, ManualClock) {
    let clock = ManualClock::new(T0_MS);
    let config = SessionConfig::builder(key(1))
        .clock(clock.clone())
        .attributes(CookieAttributes {
            domain: Some("example.com".into()),
            ..CookieAttributes::SECURE_DEFAULTS
        })
        .build()
        .unwrap();
    (config, clock)
}

/// A login: whatever was loaded, a renewed session for `user`.
fn log_in(config: &SessionConfig<SiteSession>, loaded: Session<SiteSession>, user: u32) -> String {
    let mut session = loaded;
    session.renew();
    session.set_user(Some(user));
    cookie_value(&store(config, &session).expect("login writes a cookie"))
}

fn load(config: &SessionConfig<SiteSession>, values: &[&str]) -> Session<SiteSession> {
    let header = values
        .iter()
        .map(|value| format!("{}={value}", SiteSession::NAME))
        .collect::<Vec<_>>()
        .join("; ");
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, HeaderValue::try_from(header).unwrap());
    config.load(&headers)
}

/// A well-formed forgery of `genuine`: same length, format and key id (so it
/// passes every cheap check and costs a MAC), last tag byte changed.
fn forged(genuine: &str, salt: u8) -> String {
    let mut raw = reference_base64(genuine.as_bytes()).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1 | salt;
    b64(&raw)
}

#[test]
fn login_replaces_a_planted_genuine_cookie_whatever_the_order() {
    let (config, clock) = config();
    // The attacker logs in as user 666 and plants that genuine cookie in the
    // victim's browser from a sibling subdomain.
    let attacker = log_in(&config, Session::new(), 666);

    clock.advance(Duration::from_secs(30));
    // Before login the victim's browser sends only the planted cookie.
    let before = load(&config, &[&attacker]);
    assert_eq!(before.user(), &Some(666));
    // The victim logs in: renew() starts a new session, after the planted one.
    let victim = log_in(&config, before, 7);

    clock.advance(Duration::from_secs(1));
    // The browser sends the planted cookie first (longer Path), or second.
    for order in [[&attacker, &victim], [&victim, &attacker]] {
        let session = load(&config, &[order[0], order[1]]);
        assert_eq!(session.status(), &LoadStatus::Valid);
        assert_eq!(session.user(), &Some(7), "the victim's own session wins");
    }
}

#[test]
fn same_start_the_later_issue_wins_and_an_expired_candidate_never_does() {
    let (config, clock) = config();
    let first = log_in(&config, Session::new(), 1);
    clock.advance(Duration::from_secs(60 * 60));
    // The same session, re-issued later with new data.
    let mut session = load(&config, &[&first]);
    session.set_user(Some(2));
    let reissued = cookie_value(&store(&config, &session).unwrap());
    let loaded = load(&config, &[&first, &reissued]);
    assert_eq!(loaded.user(), &Some(2));
    let loaded = load(&config, &[&reissued, &first]);
    assert_eq!(loaded.user(), &Some(2));

    // A newer session that has expired loses to an older one that has not.
    let (short, clock) = {
        let clock = ManualClock::new(T0_MS);
        let config = SessionConfig::<SiteSession>::builder(key(1))
            .clock(clock.clone())
            .attributes(config.attributes().clone())
            .idle_timeout(Duration::from_secs(600))
            .build()
            .unwrap();
        (config, clock)
    };
    let older = log_in(&short, Session::new(), 10);
    clock.advance(Duration::from_secs(300));
    let newer = log_in(&short, Session::new(), 20);
    clock.advance(Duration::from_secs(400));
    // `older` (issued 700 s ago) is idle-expired; `newer` (400 s) is not.
    let loaded = load(&short, &[&newer, &older]);
    assert_eq!(loaded.user(), &Some(20));
    clock.advance(Duration::from_secs(250));
    // Now both are expired: the first candidate's reason is reported.
    let loaded = load(&short, &[&newer, &older]);
    assert!(matches!(
        loaded.rejection(),
        Some(Rejection::IdleExpired { .. })
    ));
}

#[test]
fn sixteen_planted_forgeries_cannot_hide_the_genuine_cookie() {
    let (config, _clock) = config();
    let genuine = log_in(&config, Session::new(), 7);
    for planted in [1, 8, 16, MAX_VERIFIED_CANDIDATES - 1] {
        let junk: Vec<String> = (0..planted).map(|i| forged(&genuine, i as u8)).collect();
        let mut values: Vec<&str> = junk.iter().map(String::as_str).collect();
        values.push(&genuine);
        let session = load(&config, &values);
        assert_eq!(session.user(), &Some(7), "{planted} forgeries before it");
    }
    const { assert!(MAX_VERIFIED_CANDIDATES > 16) };
}

#[test]
fn cheap_junk_costs_no_mac_and_the_mac_budget_is_exact() {
    let (config, _clock) = config();
    let genuine = log_in(&config, Session::new(), 7);

    // Junk that fails the cheap checks (not base64, truncated, unknown key)
    // does not use up the MAC budget: the genuine cookie at the last examined
    // position is still found.
    let unknown_key = {
        let mut raw = reference_base64(genuine.as_bytes()).unwrap();
        raw[1] ^= 0xff; // the key id
        b64(&raw)
    };
    let junk = ["%%%", "AAAA", unknown_key.as_str()];
    let mut values: Vec<&str> = (0..MAX_CANDIDATE_COOKIES - 1)
        .map(|i| junk[i % junk.len()])
        .collect();
    values.push(&genuine);
    assert_eq!(load(&config, &values).user(), &Some(7));
    // One more in front and it is past the candidate cap.
    values.insert(0, "%%%");
    let session = load(&config, &values);
    assert_eq!(session.rejection(), Some(&Rejection::NotBase64));

    // Forgeries cost a MAC each: the genuine cookie after
    // MAX_VERIFIED_CANDIDATES - 1 of them is found, after MAX_VERIFIED_CANDIDATES
    // it is not examined (the bound on MAC work per request).
    let forgeries: Vec<String> = (0..MAX_VERIFIED_CANDIDATES)
        .map(|i| forged(&genuine, i as u8))
        .collect();
    let mut values: Vec<&str> = forgeries[..MAX_VERIFIED_CANDIDATES - 1]
        .iter()
        .map(String::as_str)
        .collect();
    values.push(&genuine);
    assert_eq!(load(&config, &values).user(), &Some(7));
    values.insert(0, &forgeries[MAX_VERIFIED_CANDIDATES - 1]);
    let session = load(&config, &values);
    assert_eq!(session.rejection(), Some(&Rejection::BadSignature));
}

/// The promise holds whatever keys are configured: every key has its own id
/// (the builder and `KeyRing` refuse two keys sharing one), so a forgery
/// naming any configured key costs exactly one MAC, and 16 of them, spread
/// over a signing, a verify and a verify-only key, cannot hide the genuine
/// cookie. The MAC budget stays exact with mixed key ids.
#[test]
fn forgeries_naming_every_configured_key_cost_one_mac_each() {
    let clock = ManualClock::new(T0_MS);
    let with_keys = |signing: u8, verify: &[u8], verify_only: &[u8]| {
        SessionConfig::<SiteSession>::builder(key(signing))
            .verify_keys(verify.iter().map(|byte| key(*byte)))
            .verify_only_keys(verify_only.iter().map(|byte| key(*byte)))
            .clock(clock.clone())
            .attributes(CookieAttributes {
                domain: Some("example.com".into()),
                ..CookieAttributes::SECURE_DEFAULTS
            })
            .build()
            .unwrap()
    };
    let config = with_keys(1, &[2], &[3]);
    // A genuine cookie under each configured key, each forged.
    let under: Vec<String> = [1, 2, 3]
        .into_iter()
        .map(|signing| log_in(&with_keys(signing, &[], &[]), Session::new(), 9))
        .collect();
    let genuine = log_in(&config, Session::new(), 7);
    let forgeries = |n: usize| -> Vec<String> {
        (0..n)
            .map(|i| forged(&under[i % under.len()], i as u8))
            .collect()
    };
    for planted in [16, MAX_VERIFIED_CANDIDATES - 1] {
        let junk = forgeries(planted);
        let mut values: Vec<&str> = junk.iter().map(String::as_str).collect();
        values.push(&genuine);
        let session = load(&config, &values);
        assert_eq!(
            session.user(),
            &Some(7),
            "{planted} forgeries over three keys"
        );
    }
    let junk = forgeries(MAX_VERIFIED_CANDIDATES);
    let mut values: Vec<&str> = junk.iter().map(String::as_str).collect();
    values.push(&genuine);
    assert_eq!(
        load(&config, &values).rejection(),
        Some(&Rejection::BadSignature),
        "the 21st candidate is past the MAC budget, whatever key the others named"
    );
}
