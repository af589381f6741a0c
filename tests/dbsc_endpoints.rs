//! Device-bound sessions (DBSC, docs/dbsc.md) through the real endpoints:
//! an axum app with `SessionLayer`, `DbscLayer` and `RequireDeviceBound`,
//! driven in process with a cookie jar, a manual clock and the test's own
//! P-256 device keys signing the proofs a browser would send.
//!
//! First the whole flow (login offers a registration, the proof binds the
//! session, the bound cookie expires, a refresh renews it, a copied cookie
//! jar without the key is refused), then every adversarial case of the
//! issue, each refused with its reason and never with a panic: forged,
//! replayed, expired and cross-session proofs, wrong algorithms, oversized
//! and truncated JWTs, a key from another session, challenge reuse across
//! purposes, a bound cookie of another session, a refresh for a session
//! that is not bound and a registration for one that is not pending. Last,
//! the same flow through the actix-web middleware.

use std::time::Duration;

use axum::body::Body;
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::{HeaderMap, Request, StatusCode};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use session_runtime::axum::{DbscLayer, RequestSession, RequireDeviceBound, SessionLayer};
use session_runtime::dbsc::{
    ChallengeError, DbscRefusal, DbscSettings, DeviceBinding, ProofError, SeenAlgorithm,
    MAX_PROOF_LEN,
};
use session_runtime::errors::BindingFailure;
use session_runtime::testing::{self, CookieJar};
use session_runtime::{CookieSession, Key, LoadStatus, ManualClock, Rejection, SessionConfig};
use tower::ServiceExt as _;

#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-bank", version = 1)]
struct Bank {
    user: Option<u32>,
    device: DeviceBinding,
}

const BOUND: &str = "__Host-bank-bound";
const SESSION: &str = "__Host-bank";

fn settings() -> DbscSettings {
    DbscSettings::new()
}

fn config_with(keys: &[Key], clock: &ManualClock) -> SessionConfig<Bank> {
    let mut builder = SessionConfig::<Bank>::builder(keys[0].clone()).clock(clock.clone());
    for key in &keys[1..] {
        builder = builder.verify_key(key.clone());
    }
    builder.dbsc(settings()).build().expect("valid config")
}

fn key(seed: u8) -> Key {
    Key::from_secret(&[seed; 32]).unwrap()
}

async fn login(mut session: RequestSession<Bank>) -> &'static str {
    session.renew();
    session.set_user(Some(7));
    "logged in"
}

async fn logout(mut session: RequestSession<Bank>) -> &'static str {
    session.clear();
    "logged out"
}

/// Who the session says the user is, and how the cookie was loaded.
async fn me(session: RequestSession<Bank>) -> String {
    let status = match session.status() {
        LoadStatus::Rejected(reason) => format!("refused: {}", reason.kind()),
        other => format!("{other:?}"),
    };
    format!("user {:?}; {status}", session.user())
}

fn app(config: SessionConfig<Bank>) -> Router {
    let guarded = Router::new()
        .route("/pay", get(|| async { "paid" }))
        .route_layer(RequireDeviceBound::<Bank>::new());
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .merge(guarded)
        .layer(DbscLayer::<Bank>::new())
        .layer(SessionLayer::new(config))
}

/// One browser: a jar, the app, and what the last response said.
struct Browser {
    app: Router,
    jar: CookieJar,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
    refusal: Option<DbscRefusal>,
}

impl Browser {
    fn new(app: Router) -> Browser {
        Browser {
            app,
            jar: CookieJar::new(),
        }
    }

    async fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(cookie) = self.jar.cookie_header() {
            request = request.header(http::header::COOKIE, cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Body::empty()).unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        self.jar.apply(response.headers());
        let status = response.status();
        let headers = response.headers().clone();
        let refusal = response.extensions().get::<DbscRefusal>().cloned();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).unwrap(),
            refusal,
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.send("GET", path, &[]).await
    }

    /// Logs in; returns the registration challenge the response offered.
    async fn login(&mut self) -> String {
        let answer = self.send("POST", "/login", &[]).await;
        assert_eq!(answer.status, StatusCode::OK);
        let offer = answer.headers["secure-session-registration"]
            .to_str()
            .unwrap();
        assert!(
            offer.starts_with(r#"(ES256);path="/dbsc/register";challenge=""#),
            "{offer}"
        );
        quoted(offer, "challenge=")
    }

    /// Registers `device` with the challenge of the login.
    async fn register(&mut self, device: &SigningKey, challenge: &str) -> Answer {
        let proof = registration_proof(device, challenge);
        self.send(
            "POST",
            "/dbsc/register",
            &[("secure-session-response", &proof)],
        )
        .await
    }

    /// The first refresh request (no proof): the challenge of the `403`.
    async fn refresh_challenge(&mut self, id: &str) -> String {
        let answer = self
            .send("POST", "/dbsc/refresh", &[("sec-secure-session-id", id)])
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
        assert_eq!(answer.headers["cache-control"], "no-store");
        let header = answer.headers["secure-session-challenge"].to_str().unwrap();
        assert_eq!(quoted(header, "id="), id);
        quoted(header, "")
    }

    async fn refresh_with(&mut self, id: &str, proof: &str) -> Answer {
        self.send(
            "POST",
            "/dbsc/refresh",
            &[
                ("sec-secure-session-id", id),
                ("secure-session-response", proof),
            ],
        )
        .await
    }
}

/// The quoted value after `key` in a structured header (`""`: the first).
fn quoted(header: &str, key: &str) -> String {
    let start = header.find(&format!("{key}\"")).expect(key) + key.len() + 1;
    let end = header[start..].find('"').unwrap() + start;
    header[start..end].to_owned()
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn device(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn jwk(device: &SigningKey) -> Value {
    let point = device.verifying_key().to_sec1_point(false);
    json!({"crv": "P-256", "kty": "EC",
           "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap())})
}

/// A compact JWS of `header` and `claims`, signed by `signer` (ES256, r‖s).
fn jws(signer: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature: Signature = signer.sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

/// What Chromium 156 sends to the registration endpoint (docs/dbsc.md).
fn registration_proof(device: &SigningKey, challenge: &str) -> String {
    jws(
        device,
        &json!({"alg": "ES256", "jwk": jwk(device), "typ": "dbsc+jwt"}),
        &json!({"jti": challenge}),
    )
}

/// What Chromium 156 sends to the refresh endpoint: no `jwk`.
fn refresh_proof(device: &SigningKey, challenge: &str) -> String {
    jws(
        device,
        &json!({"alg": "ES256", "typ": "dbsc+jwt"}),
        &json!({"jti": challenge}),
    )
}

fn session_id(answer: &Answer) -> String {
    let json: Value = serde_json::from_str(&answer.body).unwrap();
    json["session_identifier"].as_str().unwrap().to_owned()
}

/// A browser logged in and registered with `device`; the DBSC session id.
async fn bound_browser(app: &Router, device: &SigningKey) -> (Browser, String) {
    let mut browser = Browser::new(app.clone());
    let challenge = browser.login().await;
    let answer = browser.register(device, &challenge).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let id = session_id(&answer);
    (browser, id)
}

fn proof_refusal(answer: &Answer) -> ProofError {
    match &answer.refusal {
        Some(DbscRefusal::Proof(err)) => err.clone(),
        other => panic!("a proof refusal expected, got {other:?}: {}", answer.body),
    }
}

#[tokio::test]
async fn registration_binds_and_refresh_renews_without_user_action() {
    let (builder, clock) = testing::builder::<Bank>();
    let config = builder.dbsc(settings()).build().unwrap();
    let app = app(config);
    let mut browser = Browser::new(app.clone());

    // Login: a pending binding, offered for registration; the first page
    // after login passes a route that requires a bound session (grace).
    let challenge = browser.login().await;
    assert!(browser
        .get("/me")
        .await
        .body
        .starts_with("user Some(7); Valid"));
    assert_eq!(browser.get("/pay").await.status, StatusCode::OK);

    // Registration: the session now carries the device key, and the answer
    // has the instructions and the first bound cookie.
    let device = device(1);
    let answer = browser.register(&device, &challenge).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(answer.headers["cache-control"], "no-store");
    let json: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(json["refresh_url"], "/dbsc/refresh");
    assert_eq!(json["credentials"][0]["name"], BOUND);
    assert_eq!(
        json["credentials"][0]["attributes"],
        "Path=/; Secure; HttpOnly; SameSite=Lax"
    );
    let set_cookies: Vec<&str> = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(set_cookies
        .iter()
        .any(|c| c.starts_with(&format!("{SESSION}="))));
    let bound = set_cookies
        .iter()
        .find(|c| c.starts_with(&format!("{BOUND}=")))
        .expect("the bound cookie");
    assert!(bound.ends_with("; Max-Age=600; Path=/; Secure; HttpOnly; SameSite=Lax"));
    let id = session_id(&answer);
    assert!(browser
        .get("/me")
        .await
        .body
        .starts_with("user Some(7); Valid"));

    // The bound cookie's own expiry: refused without a refresh, whatever
    // the jar does with Max-Age.
    clock.advance(Duration::from_secs(600));
    let me = browser.get("/me").await;
    assert_eq!(me.body, "user None; refused: device_binding");
    assert_eq!(browser.get("/pay").await.status, StatusCode::FORBIDDEN);

    // The refresh: a challenge, the device's proof, a new bound cookie.
    let challenge = browser.refresh_challenge(&id).await;
    let answer = browser
        .refresh_with(&id, &refresh_proof(&device, &challenge))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        answer.body.is_empty(),
        "an empty body keeps the configuration"
    );
    assert_eq!(
        answer.headers["cross-origin-resource-policy"],
        "same-origin"
    );
    assert!(answer.headers.get("access-control-allow-origin").is_none());
    assert!(browser
        .get("/me")
        .await
        .body
        .starts_with("user Some(7); Valid"));
    assert_eq!(browser.get("/pay").await.status, StatusCode::OK);

    // A copy of the jar without the device key: fine while the bound cookie
    // lives, refused after, and its refresh attempts cannot be signed.
    let mut thief = Browser::new(app.clone());
    thief.jar = browser.jar.clone();
    assert!(thief.get("/me").await.body.starts_with("user Some(7)"));
    clock.advance(Duration::from_secs(601));
    thief.jar.apply_one(&format!("{BOUND}=; Max-Age=0"));
    let me = thief.get("/me").await;
    assert_eq!(me.body, "user None; refused: device_binding");
    let challenge = thief.refresh_challenge(&id).await;
    let answer = thief
        .refresh_with(&id, &refresh_proof(&self::device(66), &challenge))
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(proof_refusal(&answer), ProofError::BadSignature);

    // Logout deletes both cookies; a later refresh ends the browser's
    // DBSC session with a 401.
    let answer = browser.send("POST", "/logout", &[]).await;
    let removals: Vec<&str> = answer
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        removals
            .iter()
            .any(|c| c.starts_with(&format!("{BOUND}=;"))),
        "{removals:?}"
    );
    assert_eq!(browser.jar.get(BOUND), None);
    let answer = browser
        .send("POST", "/dbsc/refresh", &[("sec-secure-session-id", &id)])
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.refusal, Some(DbscRefusal::NotBound));
}

/// The race Chromium showed (tests/browser/dbsc.rs): the page loaded right
/// after login answers after the registration and stores the session again
/// as it was, still pending. The bound cookie, which carries the device key
/// under our MAC, heals it on the next load, and on a proactive refresh.
#[tokio::test]
async fn a_pending_session_overwritten_by_a_concurrent_response_is_healed() {
    let (builder, _clock) = testing::builder::<Bank>();
    let config = builder.dbsc(settings()).build().unwrap();
    let app = app(config.clone());
    let mut browser = Browser::new(app.clone());
    let login = browser.send("POST", "/login", &[]).await;
    let offer = login.headers["secure-session-registration"]
        .to_str()
        .unwrap();
    let challenge = quoted(offer, "challenge=");
    let pending_cookie = login
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(&format!("{SESSION}=")))
        .unwrap();
    let answer = browser.register(&device(1), &challenge).await;
    assert_eq!(answer.status, StatusCode::OK);
    let id = session_id(&answer);
    // The concurrent page's late answer: the pending session again.
    browser.jar.apply_one(&pending_cookie);
    let loaded = config.load(&browser.jar.request_headers());
    assert!(loaded.device().is_bound(), "healed on load");
    assert_eq!(*loaded.status(), LoadStatus::Valid);
    assert_eq!(
        loaded.pending_write(),
        Some(session_runtime::WriteReason::Changed)
    );
    // Through the app: the next request's answer stores it bound again.
    let me = browser.get("/me").await;
    assert!(me.body.starts_with("user Some(7); Valid"), "{}", me.body);
    let after = config.load(&browser.jar.request_headers());
    assert!(after.device().is_bound());
    assert_eq!(
        after.pending_write(),
        None,
        "written back: nothing left to heal"
    );
    // A proactive refresh that comes first heals it too (and writes it).
    browser.jar.apply_one(&pending_cookie);
    let challenge = browser.refresh_challenge(&id).await;
    assert!(config
        .load(&browser.jar.request_headers())
        .pending_write()
        .is_none());
    let answer = browser
        .refresh_with(&id, &refresh_proof(&device(1), &challenge))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    // Without a bound cookie for its id, a pending session stays pending.
    let mut other = Browser::new(app.clone());
    other.login().await;
    let mut jar = other.jar.clone();
    jar.insert(BOUND, browser.jar.get(BOUND).unwrap());
    let session = config.load(&jar.request_headers());
    assert!(matches!(
        session.device().state(),
        Some(session_runtime::dbsc::DbscState::Pending { .. })
    ));
}

#[tokio::test]
async fn the_load_check_names_why_a_bound_cookie_is_refused() {
    let clock = ManualClock::new(testing::START_UNIX_MS);
    let config = config_with(&[key(1)], &clock);
    let app = app(config.clone());
    let (alice, _) = bound_browser(&app, &device(1)).await;
    let (bob, _) = bound_browser(&app, &device(2)).await;
    let load = |jar: &CookieJar| config.load(&jar.request_headers());

    // Bob's long-lived cookie with Alice's bound cookie: another session's.
    let mut mixed = bob.jar.clone();
    mixed.insert(BOUND, alice.jar.get(BOUND).unwrap());
    assert_eq!(
        load(&mixed).rejection(),
        Some(&Rejection::DeviceBinding {
            reason: BindingFailure::WrongBinding
        })
    );
    // Only the long-lived cookie: missing.
    let mut copied = alice.jar.clone();
    copied.insert(BOUND, "");
    assert_eq!(
        load(&copied).rejection(),
        Some(&Rejection::DeviceBinding {
            reason: BindingFailure::Malformed
        })
    );
    let mut copied = CookieJar::new();
    copied.insert(SESSION, alice.jar.get(SESSION).unwrap());
    let refused = load(&copied);
    assert_eq!(
        refused.rejection(),
        Some(&Rejection::DeviceBinding {
            reason: BindingFailure::Missing
        })
    );
    assert!(refused.is_new() && refused.user().is_none());
    assert!(!refused.rejection().unwrap().is_suspicious());
    // A bound cookie whose expiry was moved: its tag no longer verifies.
    let value = alice.jar.get(BOUND).unwrap();
    let mut raw = URL_SAFE_NO_PAD.decode(value).unwrap();
    raw[1] = 0x7f;
    let mut tampered = alice.jar.clone();
    tampered.insert(BOUND, &b64(&raw));
    assert_eq!(
        load(&tampered).rejection(),
        Some(&Rejection::DeviceBinding {
            reason: BindingFailure::WrongBinding
        })
    );
    // Junk is malformed, and suspicious.
    for junk in ["x", "AAAA", &format!("{value}A"), &value.replace('A', "+")] {
        let mut jar = alice.jar.clone();
        jar.insert(BOUND, junk);
        let session = load(&jar);
        let reason = session.rejection().expect("refused");
        assert_eq!(
            reason,
            &Rejection::DeviceBinding {
                reason: BindingFailure::Malformed
            },
            "{junk:?}"
        );
        assert!(reason.is_suspicious());
    }
    // Several bound cookies (one planted): the genuine one still counts.
    let planted = format!(
        "{SESSION}={}; {BOUND}={}; {BOUND}={}",
        alice.jar.get(SESSION).unwrap(),
        bob.jar.get(BOUND).unwrap(),
        alice.jar.get(BOUND).unwrap()
    );
    let mut headers = HeaderMap::new();
    headers.insert(http::header::COOKIE, planted.parse().unwrap());
    assert_eq!(*config.load(&headers).status(), LoadStatus::Valid);
    // Past its expiry: expired, with how long ago.
    clock.advance(Duration::from_secs(605));
    assert_eq!(
        load(&alice.jar).rejection(),
        Some(&Rejection::DeviceBinding {
            reason: BindingFailure::Expired {
                ago: Duration::from_secs(5)
            }
        })
    );
    // `decode` sees one cookie and no bound cookie: a bound session is refused.
    assert_eq!(
        config
            .decode(alice.jar.get(SESSION).unwrap().as_bytes())
            .err(),
        Some(Rejection::DeviceBinding {
            reason: BindingFailure::Missing
        })
    );
}

#[tokio::test]
async fn registration_refuses_bad_proofs_with_reasons() {
    let (builder, clock) = testing::builder::<Bank>();
    let app = app(builder.dbsc(settings()).build().unwrap());
    let alice = device(1);
    let mallory = device(9);

    // Each case: a fresh login, then one bad proof. Expected: 400 + reason.
    type MakeProof = fn(&SigningKey, &SigningKey, &str) -> String;
    let cases: Vec<(&str, MakeProof, ProofError)> = vec![
        (
            "signed by another key than its jwk",
            |alice, mallory, c| {
                jws(
                    mallory,
                    &json!({"alg": "ES256", "jwk": jwk(alice), "typ": "dbsc+jwt"}),
                    &json!({"jti": c}),
                )
            },
            ProofError::BadSignature,
        ),
        (
            "alg none",
            |alice, _, c| {
                let header = json!({"alg": "none", "jwk": jwk(alice), "typ": "dbsc+jwt"});
                let claims = json!({"jti": c});
                format!(
                    "{}.{}.",
                    b64(header.to_string().as_bytes()),
                    b64(claims.to_string().as_bytes())
                )
            },
            ProofError::WrongAlgorithm {
                found: SeenAlgorithm::None,
            },
        ),
        (
            "alg HS256 keyed with the public key",
            |alice, _, c| {
                use hmac::{Hmac, KeyInit, Mac};
                let header = json!({"alg": "HS256", "jwk": jwk(alice), "typ": "dbsc+jwt"});
                let input = format!(
                    "{}.{}",
                    b64(header.to_string().as_bytes()),
                    b64(json!({"jti": c}).to_string().as_bytes())
                );
                let public = alice.verifying_key().to_sec1_point(false);
                let mut mac =
                    <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(public.as_bytes()).unwrap();
                mac.update(input.as_bytes());
                format!("{input}.{}", b64(&mac.finalize().into_bytes()))
            },
            ProofError::WrongAlgorithm {
                found: SeenAlgorithm::Hs256,
            },
        ),
        (
            "alg RS256",
            |alice, _, c| {
                jws(
                    alice,
                    &json!({"alg": "RS256", "jwk": jwk(alice), "typ": "dbsc+jwt"}),
                    &json!({"jti": c}),
                )
            },
            ProofError::WrongAlgorithm {
                found: SeenAlgorithm::Rs256,
            },
        ),
        (
            "alg ES384",
            |alice, _, c| {
                jws(
                    alice,
                    &json!({"alg": "ES384", "jwk": jwk(alice), "typ": "dbsc+jwt"}),
                    &json!({"jti": c}),
                )
            },
            ProofError::WrongAlgorithm {
                found: SeenAlgorithm::Other,
            },
        ),
        (
            "no jwk",
            |alice, _, c| refresh_proof(alice, c),
            ProofError::MissingKey,
        ),
        (
            "a jti that is no challenge of ours",
            |alice, _, _| registration_proof(alice, "c-reg-1"),
            ProofError::Challenge(ChallengeError::Malformed),
        ),
        (
            "oversized",
            |alice, _, c| {
                jws(
                    alice,
                    &json!({"alg": "ES256", "jwk": jwk(alice), "typ": "dbsc+jwt"}),
                    &json!({"jti": c, "pad": "x".repeat(MAX_PROOF_LEN)}),
                )
            },
            ProofError::TooLong {
                len: 0, // checked by kind below
                max: MAX_PROOF_LEN,
            },
        ),
        (
            "truncated",
            |alice, _, c| {
                let proof = registration_proof(alice, c);
                proof[..proof.rfind('.').unwrap()].to_owned()
            },
            ProofError::NotCompactJws,
        ),
        (
            "authorization claim never sent",
            |alice, _, c| {
                jws(
                    alice,
                    &json!({"alg": "ES256", "jwk": jwk(alice), "typ": "dbsc+jwt"}),
                    &json!({"jti": c, "authorization": "x"}),
                )
            },
            ProofError::AuthorizationMismatch,
        ),
    ];
    for (what, make, expected) in cases {
        let mut browser = Browser::new(app.clone());
        let challenge = browser.login().await;
        let proof = make(&alice, &mallory, &challenge);
        let answer = browser
            .send(
                "POST",
                "/dbsc/register",
                &[("secure-session-response", &proof)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(answer.headers["cache-control"], "no-store", "{what}");
        let got = proof_refusal(&answer);
        match (&got, &expected) {
            (ProofError::TooLong { len, max }, ProofError::TooLong { .. }) => {
                assert!(*len > *max, "{what}")
            }
            _ => assert_eq!(got, expected, "{what}"),
        }
        assert!(answer.refusal.as_ref().unwrap().is_suspicious(), "{what}");
        assert!(answer.body.starts_with("DBSC proof refused: "), "{what}");
        // Not bound: the session works unbound, the login stands.
        assert!(
            browser
                .get("/me")
                .await
                .body
                .starts_with("user Some(7); Valid"),
            "{what}"
        );
    }

    // A registration challenge past the window (120 s) is expired.
    let mut browser = Browser::new(app.clone());
    let challenge = browser.login().await;
    clock.advance(Duration::from_secs(121));
    let answer = browser.register(&alice, &challenge).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        proof_refusal(&answer),
        ProofError::Challenge(ChallengeError::Expired {
            age: 121,
            max_age: 120
        })
    );

    // A proof for another session's challenge (cross-session).
    let mut bob = Browser::new(app.clone());
    let bobs_challenge = bob.login().await;
    let mut browser = Browser::new(app.clone());
    browser.login().await;
    let answer = browser.register(&alice, &bobs_challenge).await;
    assert_eq!(
        proof_refusal(&answer),
        ProofError::Challenge(ChallengeError::WrongBinding)
    );
    // The header missing, empty, or not a JWT.
    for headers in [vec![], vec![("secure-session-response", "")]] {
        let answer = browser.send("POST", "/dbsc/register", &headers).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert!(
            matches!(
                answer.refusal,
                Some(DbscRefusal::MissingHeader { .. } | DbscRefusal::Header(_))
            ),
            "{:?}",
            answer.refusal
        );
    }
    // Every one-character change of a valid proof is refused.
    let mut browser = Browser::new(app.clone());
    let challenge = browser.login().await;
    let proof = registration_proof(&alice, &challenge);
    for at in (0..proof.len()).step_by(7) {
        let mut changed = proof.clone().into_bytes();
        changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(changed).unwrap();
        let answer = browser
            .send(
                "POST",
                "/dbsc/register",
                &[("secure-session-response", &changed)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "position {at}");
    }
    // The genuine proof still registers afterwards.
    assert_eq!(
        browser.register(&alice, &challenge).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn registration_needs_a_pending_session() {
    let (builder, _clock) = testing::builder::<Bank>();
    let app = app(builder.dbsc(settings()).build().unwrap());
    // No session at all.
    let mut stranger = Browser::new(app.clone());
    let answer = stranger
        .send(
            "POST",
            "/dbsc/register",
            &[("secure-session-response", "a.b.c")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.refusal, Some(DbscRefusal::NotPending));
    // Already bound: the same valid proof, replayed, binds nothing.
    let mut browser = Browser::new(app.clone());
    let challenge = browser.login().await;
    assert_eq!(
        browser.register(&device(1), &challenge).await.status,
        StatusCode::OK
    );
    let answer = browser.register(&device(2), &challenge).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.refusal, Some(DbscRefusal::NotPending));
}

#[tokio::test]
async fn refresh_refuses_bad_proofs_with_reasons() {
    let (builder, clock) = testing::builder::<Bank>();
    let app = app(builder.dbsc(settings()).build().unwrap());
    let alice = device(1);
    let (mut browser, id) = bound_browser(&app, &alice).await;
    let (mut bob, bob_id) = bound_browser(&app, &device(2)).await;

    let challenge = browser.refresh_challenge(&id).await;
    let refused = |answer: &Answer| {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
        assert_eq!(answer.headers["cache-control"], "no-store");
        proof_refusal(answer)
    };

    // A key from another session (a thief's, or Bob's device).
    let answer = browser
        .refresh_with(&id, &refresh_proof(&device(2), &challenge))
        .await;
    assert_eq!(refused(&answer), ProofError::BadSignature);
    // A refresh proof carrying a jwk (the key to verify with must be ours).
    let with_jwk = registration_proof(&alice, &challenge);
    assert_eq!(
        refused(&browser.refresh_with(&id, &with_jwk).await),
        ProofError::UnexpectedKey
    );
    // Wrong algorithms.
    for (alg, found) in [
        ("none", SeenAlgorithm::None),
        ("HS256", SeenAlgorithm::Hs256),
        ("RS256", SeenAlgorithm::Rs256),
        ("es256", SeenAlgorithm::Other),
    ] {
        let proof = jws(
            &alice,
            &json!({"alg": alg, "typ": "dbsc+jwt"}),
            &json!({"jti": challenge}),
        );
        assert_eq!(
            refused(&browser.refresh_with(&id, &proof).await),
            ProofError::WrongAlgorithm { found },
            "{alg}"
        );
    }
    // Wrong type, crit, oversized, junk.
    let proof = jws(&alice, &json!({"alg": "ES256"}), &json!({"jti": challenge}));
    assert_eq!(
        refused(&browser.refresh_with(&id, &proof).await),
        ProofError::WrongType
    );
    let proof = jws(
        &alice,
        &json!({"alg": "ES256", "typ": "dbsc+jwt", "crit": ["exp"]}),
        &json!({"jti": challenge}),
    );
    assert_eq!(
        refused(&browser.refresh_with(&id, &proof).await),
        ProofError::CriticalHeader
    );
    let oversized = format!("{}.{}", "e".repeat(MAX_PROOF_LEN), "x.y");
    assert!(matches!(
        refused(&browser.refresh_with(&id, &oversized).await),
        ProofError::TooLong { .. }
    ));
    assert_eq!(
        refused(&browser.refresh_with(&id, "e30.e30").await),
        ProofError::NotCompactJws
    );
    // Challenge reuse across purposes: the login's registration challenge
    // is not a refresh challenge.
    let mut fresh = Browser::new(app.clone());
    let registration_challenge = fresh.login().await;
    let answer = fresh.register(&alice, &registration_challenge).await;
    let fresh_id = session_id(&answer);
    assert_eq!(
        refused(
            &fresh
                .refresh_with(&fresh_id, &refresh_proof(&alice, &registration_challenge))
                .await
        ),
        ProofError::Challenge(ChallengeError::WrongBinding)
    );
    // ... and a refresh challenge is not a registration challenge.
    let mut other = Browser::new(app.clone());
    other.login().await;
    let answer = other.register(&alice, &challenge).await;
    assert_eq!(
        proof_refusal(&answer),
        ProofError::Challenge(ChallengeError::WrongBinding)
    );
    // Cross-session: Alice's valid proof (her key, her challenge) sent with
    // Bob's cookies and either id.
    let alices_proof = refresh_proof(&alice, &challenge);
    let answer = bob.refresh_with(&bob_id, &alices_proof).await;
    assert_eq!(
        refused(&answer),
        ProofError::Challenge(ChallengeError::WrongBinding)
    );
    let answer = bob.refresh_with(&id, &alices_proof).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.refusal, Some(DbscRefusal::WrongSession));
    // Session id header missing or malformed.
    let answer = browser
        .send(
            "POST",
            "/dbsc/refresh",
            &[("secure-session-response", &alices_proof)],
        )
        .await;
    assert_eq!(
        answer.refusal,
        Some(DbscRefusal::MissingHeader {
            header: "Sec-Secure-Session-Id"
        })
    );
    let answer = browser.refresh_with("s1", &alices_proof).await;
    assert!(matches!(answer.refusal, Some(DbscRefusal::Header(_))));

    // The genuine proof works; replayed within the window it works again
    // (the documented replay bound: challenges are stateless, and Chromium
    // itself re-sends a cached proof); past the window it earns only a new
    // challenge (403), never a bound cookie.
    assert_eq!(
        browser.refresh_with(&id, &alices_proof).await.status,
        StatusCode::OK
    );
    clock.advance(Duration::from_secs(120));
    assert_eq!(
        browser.refresh_with(&id, &alices_proof).await.status,
        StatusCode::OK
    );
    clock.advance(Duration::from_secs(1));
    let answer = browser.refresh_with(&id, &alices_proof).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.headers.get("set-cookie").is_none());
    let new_challenge = quoted(
        answer.headers["secure-session-challenge"].to_str().unwrap(),
        "",
    );
    assert_ne!(new_challenge, challenge);
    // ... which the device signs at once.
    let answer = browser
        .refresh_with(&id, &refresh_proof(&alice, &new_challenge))
        .await;
    assert_eq!(answer.status, StatusCode::OK);

    // Every one-character change of a valid proof is refused.
    let proof = refresh_proof(&alice, &new_challenge);
    for at in (0..proof.len()).step_by(5) {
        let mut changed = proof.clone().into_bytes();
        changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
        let answer = browser
            .refresh_with(&id, &String::from_utf8(changed).unwrap())
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "position {at}");
    }
}

#[tokio::test]
async fn refresh_needs_a_bound_session() {
    let (builder, _clock) = testing::builder::<Bank>();
    let app = app(builder.dbsc(settings()).build().unwrap());
    let id = "AAAAAAAAAAAAAAAAAAAAAA";
    // No session; a pending one (logged in, never registered).
    let mut stranger = Browser::new(app.clone());
    let mut pending = Browser::new(app.clone());
    pending.login().await;
    for browser in [&mut stranger, &mut pending] {
        let answer = browser
            .send("POST", "/dbsc/refresh", &[("sec-secure-session-id", id)])
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.refusal, Some(DbscRefusal::NotBound));
        assert!(!answer.refusal.unwrap().is_suspicious());
    }
}

#[tokio::test]
async fn require_policy_grace_and_unsupported_browsers() {
    let (builder, clock) = testing::builder::<Bank>();
    let app = app(builder.dbsc(settings()).build().unwrap());
    // Never logged in: no binding.
    let mut stranger = Browser::new(app.clone());
    let answer = stranger.get("/pay").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.refusal, Some(DbscRefusal::Unbound));
    // A browser without DBSC: pending, passes for the grace period only.
    let mut old = Browser::new(app.clone());
    old.login().await;
    clock.advance(Duration::from_secs(60));
    assert_eq!(old.get("/pay").await.status, StatusCode::OK);
    clock.advance(Duration::from_secs(1));
    let answer = old.get("/pay").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.refusal,
        Some(DbscRefusal::PendingTooLong { age: 61, grace: 60 })
    );
    // ... while the rest of the app keeps working for it (allow policy).
    assert!(old.get("/me").await.body.starts_with("user Some(7); Valid"));
}

#[tokio::test]
async fn a_new_login_never_keeps_the_previous_device_key() {
    let (builder, _clock) = testing::builder::<Bank>();
    let config = builder.dbsc(settings()).build().unwrap();
    let app = app(config.clone());
    let (mut browser, id) = bound_browser(&app, &device(1)).await;
    browser.login().await;
    let session = config.load(&browser.jar.request_headers());
    let binding = session.device().state().copied();
    match binding {
        Some(session_runtime::dbsc::DbscState::Pending { id: new_id, .. }) => {
            assert_ne!(new_id.to_string(), id, "a new DBSC session id");
        }
        other => panic!("pending expected after login, got {other:?}"),
    }
    // The old DBSC session's refresh is refused (ends it in the browser).
    let answer = browser
        .send("POST", "/dbsc/refresh", &[("sec-secure-session-id", &id)])
        .await;
    assert_eq!(answer.refusal, Some(DbscRefusal::NotBound));
}

#[tokio::test]
async fn key_rotation_keeps_bound_cookies_and_challenges_valid() {
    let clock = ManualClock::new(testing::START_UNIX_MS);
    let old = app(config_with(&[key(1)], &clock));
    let (mut browser, id) = bound_browser(&old, &device(1)).await;
    let challenge = browser.refresh_challenge(&id).await;
    // The next deploy signs with key 2 and still accepts key 1.
    let rotated = config_with(&[key(2), key(1)], &clock);
    browser.app = app(rotated.clone());
    assert_eq!(
        *rotated.load(&browser.jar.request_headers()).status(),
        LoadStatus::ValidVerifyKey
    );
    let answer = browser
        .refresh_with(&id, &refresh_proof(&device(1), &challenge))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // A configuration that no longer has key 1 refuses the session cookie
    // it signed, as for any cookie.
    let dropped = config_with(&[key(2)], &clock);
    assert!(dropped.load(&browser.jar.request_headers()).is_new());
}

#[tokio::test]
async fn settings_are_checked_at_build() {
    use session_runtime::dbsc::DbscSettingsError;
    use session_runtime::ConfigError;
    let build = |settings: DbscSettings| {
        SessionConfig::<Bank>::builder(key(1))
            .dbsc(settings)
            .build()
            .err()
    };
    assert_eq!(
        build(DbscSettings::new().bound_lifetime(Duration::from_secs(299))),
        Some(ConfigError::Dbsc(DbscSettingsError::BoundLifetime {
            lifetime: Duration::from_secs(299)
        }))
    );
    assert_eq!(
        build(DbscSettings::new().bound_lifetime(Duration::from_secs(300))),
        None
    );
    assert_eq!(
        build(DbscSettings::new().bound_lifetime_for_tests(Duration::from_secs(10))),
        None
    );
    assert!(matches!(
        build(DbscSettings::new().registration_path("dbsc")),
        Some(ConfigError::Dbsc(DbscSettingsError::Path { .. }))
    ));
    assert!(matches!(
        build(DbscSettings::new().refresh_path("/dbsc/register")),
        Some(ConfigError::Dbsc(DbscSettingsError::SamePaths))
    ));
    assert!(matches!(
        build(DbscSettings::new().bound_cookie_name(SESSION)),
        Some(ConfigError::Dbsc(DbscSettingsError::BoundCookieNameTaken))
    ));
    assert!(matches!(
        build(DbscSettings::new().bound_cookie_name("__Host-x; y")),
        Some(ConfigError::Dbsc(DbscSettingsError::BoundCookieName(_)))
    ));
    let message = build(DbscSettings::new().bound_lifetime(Duration::from_secs(60)))
        .unwrap()
        .to_string();
    assert!(message.contains("at least 300 s"), "{message}");
}

/// A configuration without DBSC: the layer passes every request on, the
/// endpoints do not exist, and a route that requires a bound session is a
/// server mistake (500), not a client's.
#[tokio::test]
async fn without_dbsc_in_the_configuration() {
    let config = SessionConfig::<Bank>::new(key(1)).unwrap();
    let mut browser = Browser::new(app(config));
    let answer = browser.send("POST", "/login", &[]).await;
    assert!(answer.headers.get("secure-session-registration").is_none());
    let answer = browser.send("POST", "/dbsc/register", &[]).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        browser.get("/pay").await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert!(browser
        .get("/me")
        .await
        .body
        .starts_with("user Some(7); Valid"));
}

/// The layer outside the session layer: every request is a loud 500.
#[tokio::test]
async fn the_dbsc_layer_outside_the_session_layer_says_so() {
    let (builder, _clock) = testing::builder::<Bank>();
    let config = builder.dbsc(settings()).build().unwrap();
    let misordered = Router::new()
        .route("/me", get(me))
        .layer(SessionLayer::new(config))
        .layer(DbscLayer::<Bank>::new());
    let mut browser = Browser::new(misordered);
    let answer = browser.get("/me").await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(answer.body.contains("found no session"), "{}", answer.body);
}

mod actix {
    //! The same endpoints through the actix-web middleware.
    use super::*;
    use actix_web::{test, web, App, HttpResponse};
    use session_runtime::actix::{
        DbscMiddleware, RequestSession, RequireDeviceBound, SessionMiddleware,
    };

    async fn login(mut session: RequestSession<Bank>) -> HttpResponse {
        session.renew();
        session.set_user(Some(7));
        HttpResponse::Ok().body("logged in")
    }

    #[actix_web::test]
    async fn login_register_expire_refresh() {
        let (builder, clock) = testing::builder::<Bank>();
        let config = builder.dbsc(settings()).build().unwrap();
        let app = test::init_service(
            App::new()
                .wrap(DbscMiddleware::<Bank>::new())
                .wrap(SessionMiddleware::new(config))
                .route("/login", web::post().to(login))
                .service(
                    web::resource("/pay")
                        .wrap(RequireDeviceBound::<Bank>::new())
                        .route(web::get().to(|| async { HttpResponse::Ok().body("paid") })),
                ),
        )
        .await;
        let mut jar = CookieJar::new();
        macro_rules! send {
            ($request:expr) => {{
                let mut request = $request;
                if let Some(cookie) = jar.cookie_header() {
                    request = request.insert_header(("cookie", cookie.as_bytes()));
                }
                let response = test::call_service(&app, request.to_request()).await;
                for value in response.headers().get_all("set-cookie") {
                    jar.apply_one(value.to_str().unwrap());
                }
                response
            }};
        }
        let response = send!(test::TestRequest::post().uri("/login"));
        let offer = response
            .headers()
            .get("secure-session-registration")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let challenge = quoted(&offer, "challenge=");
        let alice = device(1);
        let response = send!(test::TestRequest::post()
            .uri("/dbsc/register")
            .insert_header((
                "secure-session-response",
                registration_proof(&alice, &challenge)
            )));
        assert_eq!(response.status().as_u16(), 200);
        let body = test::read_body(response).await;
        let json: Value = serde_json::from_slice(&body).unwrap();
        let id = json["session_identifier"].as_str().unwrap().to_owned();
        assert_eq!(
            send!(test::TestRequest::get().uri("/pay"))
                .status()
                .as_u16(),
            200
        );

        clock.advance(Duration::from_secs(600));
        assert_eq!(
            send!(test::TestRequest::get().uri("/pay"))
                .status()
                .as_u16(),
            403
        );
        let response = send!(test::TestRequest::post()
            .uri("/dbsc/refresh")
            .insert_header(("sec-secure-session-id", id.as_str())));
        assert_eq!(response.status().as_u16(), 403);
        let challenge = quoted(
            response
                .headers()
                .get("secure-session-challenge")
                .unwrap()
                .to_str()
                .unwrap(),
            "",
        );
        let response = send!(test::TestRequest::post()
            .uri("/dbsc/refresh")
            .insert_header(("sec-secure-session-id", id.as_str()))
            .insert_header(("secure-session-response", refresh_proof(&alice, &challenge))));
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            send!(test::TestRequest::get().uri("/pay"))
                .status()
                .as_u16(),
            200
        );
        // Another device's proof: 401 with the reason in the body.
        clock.advance(Duration::from_secs(600));
        let response = send!(test::TestRequest::post()
            .uri("/dbsc/refresh")
            .insert_header(("sec-secure-session-id", id.as_str())));
        let challenge = quoted(
            response
                .headers()
                .get("secure-session-challenge")
                .unwrap()
                .to_str()
                .unwrap(),
            "",
        );
        let response = send!(test::TestRequest::post()
            .uri("/dbsc/refresh")
            .insert_header(("sec-secure-session-id", id.as_str()))
            .insert_header((
                "secure-session-response",
                refresh_proof(&device(2), &challenge)
            )));
        assert_eq!(response.status().as_u16(), 401);
        let body = test::read_body(response).await;
        assert!(
            String::from_utf8_lossy(&body).contains("does not verify with the device key"),
            "{body:?}"
        );
    }
}
