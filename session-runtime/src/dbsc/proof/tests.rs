//! Proofs made in the test with the test's own P-256 keys (RFC 6979
//! deterministic signatures), then verified or refused.

use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::SigningKey;
use serde_json::{json, Value};

use super::*;
use crate::dbsc::text;
use crate::dbsc::ChallengeError;
use crate::dbsc::MAX_PROOF_LEN;
use crate::Key;

const NOW: u64 = 1_800_000_000;
const ID: SessionId = SessionId::from_bytes([7; 16]);
const OTHER_ID: SessionId = SessionId::from_bytes([8; 16]);

fn dbsc_key() -> DbscKey {
    DbscKey::new(&Key::from_secret(&[42; 32]).unwrap())
}

fn device(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn jwk(device: &SigningKey) -> Value {
    let point = device.verifying_key().to_sec1_point(false);
    json!({
        "crv": "P-256",
        "kty": "EC",
        "x": text::encode(point.x().unwrap()),
        "y": text::encode(point.y().unwrap()),
    })
}

fn stored(device: &SigningKey) -> DeviceKey {
    DeviceKey::from_compressed(device.verifying_key().to_sec1_point(true).as_bytes()).unwrap()
}

/// A compact JWS over raw header and payload text, signed by `signer`.
fn sign_raw(signer: &SigningKey, header: &str, payload: &str) -> String {
    let input = format!(
        "{}.{}",
        text::encode(header.as_bytes()),
        text::encode(payload.as_bytes())
    );
    let signature: Signature = signer.sign(input.as_bytes());
    format!("{input}.{}", text::encode(&signature.to_bytes()))
}

fn sign(signer: &SigningKey, header: &Value, claims: &Value) -> String {
    sign_raw(signer, &header.to_string(), &claims.to_string())
}

fn challenge(purpose: ChallengePurpose, id: &SessionId, at: u64) -> String {
    Challenge::issue(&dbsc_key(), purpose, id, at)
        .as_str()
        .to_owned()
}

/// A registration proof shaped exactly like Chromium 156's.
fn registration_token(dev: &SigningKey, jti: &str, authorization: Option<&str>) -> String {
    let mut claims = json!({ "jti": jti });
    if let Some(a) = authorization {
        claims["authorization"] = json!(a);
    }
    sign(
        dev,
        &json!({"alg": "ES256", "jwk": jwk(dev), "typ": "dbsc+jwt"}),
        &claims,
    )
}

fn refresh_token(dev: &SigningKey, jti: &str) -> String {
    sign(
        dev,
        &json!({"alg": "ES256", "typ": "dbsc+jwt"}),
        &json!({ "jti": jti }),
    )
}

fn register(token: &str, authorization: Option<&str>) -> Result<RegistrationProof, ProofError> {
    RegistrationProof::verify(
        &dbsc_key(),
        token,
        &ID,
        authorization,
        NOW,
        &ChallengeWindow::default(),
    )
}

fn refresh(token: &str, key: &DeviceKey) -> Result<RefreshProof, ProofError> {
    refresh_at(token, key, NOW)
}

fn refresh_at(token: &str, key: &DeviceKey, now: u64) -> Result<RefreshProof, ProofError> {
    RefreshProof::verify(
        &dbsc_key(),
        token,
        key,
        &ID,
        now,
        &ChallengeWindow::default(),
    )
}

fn reg_challenge() -> String {
    challenge(ChallengePurpose::Registration, &ID, NOW - 1)
}

fn ref_challenge() -> String {
    challenge(ChallengePurpose::Refresh, &ID, NOW - 1)
}

#[test]
fn registration_then_refresh_succeed() {
    let dev = device(1);
    let token = registration_token(&dev, &reg_challenge(), Some("auth-xyz"));
    let proof = register(&token, Some("auth-xyz")).unwrap();
    assert_eq!(proof.device_key(), stored(&dev));
    assert_eq!(proof.challenge_issued_at(), NOW - 1);

    let refreshed = refresh(&refresh_token(&dev, &ref_challenge()), &proof.device_key()).unwrap();
    assert_eq!(refreshed.challenge_issued_at(), NOW - 1);
}

#[test]
fn forged_signatures_are_refused() {
    let dev = device(1);
    let token = refresh_token(&dev, &ref_challenge());
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut raw = text::decode(sig.as_bytes()).unwrap();
    raw[10] ^= 0x01;
    let flipped = format!("{input}.{}", text::encode(&raw));
    assert_eq!(
        refresh(&flipped, &stored(&dev)),
        Err(ProofError::BadSignature)
    );
    // Right shape, signed by someone else.
    let impostor = refresh_token(&device(2), &ref_challenge());
    assert_eq!(
        refresh(&impostor, &stored(&dev)),
        Err(ProofError::BadSignature)
    );
    // Zero r and s, and the all-ones (≥ n) values, are refused, not panicked on.
    for bad in [[0u8; 64], [0xff; 64]] {
        let forged = format!("{input}.{}", text::encode(&bad));
        assert_eq!(
            refresh(&forged, &stored(&dev)),
            Err(ProofError::BadSignature)
        );
    }
    // A DER signature (what OpenSSL emits) is not the JWS r‖s format.
    let der = dev.sign(input.as_bytes());
    let der: p256::ecdsa::DerSignature = Signature::to_der(&der);
    let der_token = format!("{input}.{}", text::encode(der.as_bytes()));
    assert_eq!(
        refresh(&der_token, &stored(&dev)),
        Err(ProofError::BadSignature)
    );
}

#[test]
fn payload_swapped_under_a_valid_signature_is_refused() {
    // Take a valid signature and attach another payload: the signing input
    // changes, so the signature no longer verifies.
    let dev = device(1);
    let good = refresh_token(&dev, &ref_challenge());
    let sig = good.rsplit_once('.').unwrap().1;
    let header = good.split('.').next().unwrap();
    let other_claims = text::encode(
        json!({"jti": challenge(ChallengePurpose::Refresh, &ID, NOW)})
            .to_string()
            .as_bytes(),
    );
    let spliced = format!("{header}.{other_claims}.{sig}");
    assert_eq!(
        refresh(&spliced, &stored(&dev)),
        Err(ProofError::BadSignature)
    );
}

#[test]
fn a_jwk_of_another_key_does_not_register_it() {
    // Header names device B's key, signature by device A: no proof of
    // possession of B, so B must not be registered.
    let (a, b) = (device(1), device(2));
    let token = sign(
        &a,
        &json!({"alg": "ES256", "jwk": jwk(&b), "typ": "dbsc+jwt"}),
        &json!({"jti": reg_challenge()}),
    );
    assert_eq!(register(&token, None), Err(ProofError::BadSignature));
}

#[test]
fn a_refresh_signed_by_another_sessions_key_is_refused() {
    // Both sessions registered; session B's device signs a refresh that is
    // presented with session A's long-lived cookie (A's stored key).
    let (a, b) = (device(1), device(2));
    let key_a = register(&registration_token(&a, &reg_challenge(), None), None)
        .unwrap()
        .device_key();
    let token = refresh_token(&b, &ref_challenge());
    assert_eq!(refresh(&token, &key_a), Err(ProofError::BadSignature));
}

#[test]
fn wrong_algorithms_are_refused_and_named() {
    let dev = device(1);
    let claims = json!({"jti": ref_challenge()});
    let header = |alg: &str| json!({"alg": alg, "typ": "dbsc+jwt"});
    // `none`: an unsigned token with an empty signature segment.
    let unsigned = format!(
        "{}.{}.",
        text::encode(header("none").to_string().as_bytes()),
        text::encode(claims.to_string().as_bytes())
    );
    assert_eq!(
        refresh(&unsigned, &stored(&dev)),
        Err(ProofError::WrongAlgorithm {
            found: SeenAlgorithm::None
        })
    );
    // HS256 "signed" with the public key as the MAC key: the classic confusion.
    let input = format!(
        "{}.{}",
        text::encode(header("HS256").to_string().as_bytes()),
        text::encode(claims.to_string().as_bytes())
    );
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac =
        <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&stored(&dev).to_compressed()).unwrap();
    mac.update(input.as_bytes());
    let hs = format!("{input}.{}", text::encode(&mac.finalize().into_bytes()));
    assert_eq!(
        refresh(&hs, &stored(&dev)),
        Err(ProofError::WrongAlgorithm {
            found: SeenAlgorithm::Hs256
        })
    );
    for (alg, found) in [
        ("RS256", SeenAlgorithm::Rs256),
        ("ES384", SeenAlgorithm::Other),
        ("es256", SeenAlgorithm::Other),
        ("", SeenAlgorithm::Other),
    ] {
        let token = sign(&dev, &header(alg), &claims);
        assert_eq!(
            refresh(&token, &stored(&dev)),
            Err(ProofError::WrongAlgorithm { found }),
            "{alg}"
        );
    }
    // `alg` of the wrong JSON type, or missing, is malformed JSON for us.
    for h in [
        json!({"alg": 256, "typ": "dbsc+jwt"}),
        json!({"typ": "dbsc+jwt"}),
    ] {
        let token = sign(&dev, &h, &claims);
        assert_eq!(
            refresh(&token, &stored(&dev)),
            Err(ProofError::Json {
                part: JwsPart::Header
            })
        );
    }
}

#[test]
fn header_rules() {
    let dev = device(1);
    let claims = json!({"jti": ref_challenge()});
    let check = |h: Value| refresh(&sign(&dev, &h, &claims), &stored(&dev));
    assert_eq!(check(json!({"alg": "ES256"})), Err(ProofError::WrongType));
    assert_eq!(
        check(json!({"alg": "ES256", "typ": "JWT"})),
        Err(ProofError::WrongType)
    );
    assert_eq!(
        check(json!({"alg": "ES256", "typ": "dbsc+jwt", "crit": ["b64"]})),
        Err(ProofError::CriticalHeader)
    );
    assert_eq!(
        check(json!({"alg": "ES256", "typ": "dbsc+jwt", "jwk": jwk(&dev)})),
        Err(ProofError::UnexpectedKey)
    );
    // Unknown members are ignored.
    assert!(check(json!({"alg": "ES256", "typ": "dbsc+jwt", "kid": "x"})).is_ok());
    // Registration without a key.
    let token = sign(
        &dev,
        &json!({"alg": "ES256", "typ": "dbsc+jwt"}),
        &json!({"jti": reg_challenge()}),
    );
    assert_eq!(register(&token, None), Err(ProofError::MissingKey));
}

#[test]
fn duplicate_json_members_are_refused() {
    let dev = device(1);
    let jti = ref_challenge();
    // Two `alg`s: a parser that keeps the last one could be tricked into a
    // different algorithm than a parser that keeps the first.
    let header = r#"{"alg":"ES256","typ":"dbsc+jwt","alg":"none"}"#;
    let token = sign_raw(&dev, header, &format!(r#"{{"jti":"{jti}"}}"#));
    assert_eq!(
        refresh(&token, &stored(&dev)),
        Err(ProofError::Json {
            part: JwsPart::Header
        })
    );
    let payload = format!(r#"{{"jti":"{jti}","jti":"other"}}"#);
    let token = sign_raw(&dev, r#"{"alg":"ES256","typ":"dbsc+jwt"}"#, &payload);
    assert_eq!(
        refresh(&token, &stored(&dev)),
        Err(ProofError::Json {
            part: JwsPart::Payload
        })
    );
    // Not an object, trailing junk, bad UTF-8.
    for payload in [
        "[]",
        "\"jti\"",
        &format!(r#"{{"jti":"{jti}"}} x"#),
        "{\"jti\":\"\u{0}\"",
        "{}",
    ] {
        let token = sign_raw(&dev, r#"{"alg":"ES256","typ":"dbsc+jwt"}"#, payload);
        assert_eq!(
            refresh(&token, &stored(&dev)),
            Err(ProofError::Json {
                part: JwsPart::Payload
            }),
            "{payload:?}"
        );
    }
}

#[test]
fn oversized_truncated_and_non_canonical_tokens_are_refused() {
    let dev = device(1);
    let good = refresh_token(&dev, &ref_challenge());
    // Oversized: a huge `authorization`-like member in the payload.
    let big = sign(
        &dev,
        &json!({"alg": "ES256", "typ": "dbsc+jwt"}),
        &json!({"jti": ref_challenge(), "pad": "x".repeat(MAX_PROOF_LEN)}),
    );
    assert!(matches!(
        refresh(&big, &stored(&dev)),
        Err(ProofError::TooLong { .. })
    ));
    // Every truncation of a valid token is refused, none panics.
    for len in 0..good.len() {
        assert!(
            refresh(&good[..len], &stored(&dev)).is_err(),
            "truncated to {len}"
        );
    }
    // Every single-byte change is refused (a changed character either breaks
    // canonical base64url, the JSON, the challenge or the signature).
    let bytes = good.as_bytes();
    for i in 0..bytes.len() {
        for replacement in [b'A', b'.', b'=', b'+'] {
            if bytes[i] == replacement {
                continue;
            }
            let mut changed = bytes.to_vec();
            changed[i] = replacement;
            let changed = String::from_utf8(changed).unwrap();
            assert!(
                refresh(&changed, &stored(&dev)).is_err(),
                "{i} -> {}",
                replacement as char
            );
        }
    }
    // Padding on a segment, and standard-alphabet text.
    let (head, rest) = good.split_once('.').unwrap();
    let padded = format!("{head}==.{rest}");
    assert_eq!(
        refresh(&padded, &stored(&dev)),
        Err(ProofError::Base64 {
            part: JwsPart::Header
        })
    );
    // A signature one byte short or long.
    let (input, sig) = good.rsplit_once('.').unwrap();
    let raw = text::decode(sig.as_bytes()).unwrap();
    for wrong in [&raw[..63], &[&raw[..], &[0][..]].concat()[..]] {
        let token = format!("{input}.{}", text::encode(wrong));
        assert_eq!(
            refresh(&token, &stored(&dev)),
            Err(ProofError::BadSignature)
        );
    }
}

#[test]
fn challenge_rules_apply_to_the_jti() {
    let dev = device(1);
    let key = stored(&dev);
    // Expired.
    let old = challenge(ChallengePurpose::Refresh, &ID, NOW - 121);
    assert_eq!(
        refresh(&refresh_token(&dev, &old), &key),
        Err(ProofError::Challenge(ChallengeError::Expired {
            age: 121,
            max_age: 120
        }))
    );
    // Reused: the same proof verifies again inside the window (the
    // documented replay bound) and is refused once the window has passed.
    let token = refresh_token(&dev, &ref_challenge());
    assert!(refresh_at(&token, &key, NOW).is_ok());
    assert!(refresh_at(&token, &key, NOW + 100).is_ok());
    assert!(matches!(
        refresh_at(&token, &key, NOW + 200),
        Err(ProofError::Challenge(ChallengeError::Expired { .. }))
    ));
    // For another DBSC session: a cross-session proof.
    let other = challenge(ChallengePurpose::Refresh, &OTHER_ID, NOW);
    assert_eq!(
        refresh(&refresh_token(&dev, &other), &key),
        Err(ProofError::Challenge(ChallengeError::WrongBinding))
    );
    // A registration challenge at refresh, and a refresh challenge at registration.
    assert_eq!(
        refresh(&refresh_token(&dev, &reg_challenge()), &key),
        Err(ProofError::Challenge(ChallengeError::WrongBinding))
    );
    assert_eq!(
        register(&registration_token(&dev, &ref_challenge(), None), None),
        Err(ProofError::Challenge(ChallengeError::WrongBinding))
    );
    // A challenge the server never issued (Chromium's own test value).
    assert_eq!(
        refresh(&refresh_token(&dev, "c-reg-1"), &key),
        Err(ProofError::Challenge(ChallengeError::Malformed))
    );
    // A key from another server (another secret).
    let foreign = Challenge::issue(
        &DbscKey::new(&Key::from_secret(&[43; 32]).unwrap()),
        ChallengePurpose::Refresh,
        &ID,
        NOW,
    );
    assert_eq!(
        refresh(&refresh_token(&dev, foreign.as_str()), &key),
        Err(ProofError::Challenge(ChallengeError::WrongBinding))
    );
}

#[test]
fn authorization_must_match_the_registration_header() {
    let dev = device(1);
    let with = registration_token(&dev, &reg_challenge(), Some("auth-xyz"));
    let without = registration_token(&dev, &reg_challenge(), None);
    assert!(register(&with, Some("auth-xyz")).is_ok());
    assert!(register(&without, None).is_ok());
    assert_eq!(
        register(&with, Some("auth-xy")),
        Err(ProofError::AuthorizationMismatch)
    );
    assert_eq!(
        register(&without, Some("auth-xyz")),
        Err(ProofError::AuthorizationMismatch)
    );
    assert_eq!(
        register(&with, None),
        Err(ProofError::AuthorizationMismatch)
    );
}

#[test]
fn bad_jwks_in_registration_are_refused() {
    let dev = device(1);
    let mut key = jwk(&dev);
    key["crv"] = json!("P-384");
    let token = sign(
        &dev,
        &json!({"alg": "ES256", "jwk": key, "typ": "dbsc+jwt"}),
        &json!({"jti": reg_challenge()}),
    );
    assert!(matches!(
        register(&token, None),
        Err(ProofError::InvalidKey { .. })
    ));
    let mut key = jwk(&dev);
    key["d"] = json!(text::encode(&[1; 32]));
    let token = sign(
        &dev,
        &json!({"alg": "ES256", "jwk": key, "typ": "dbsc+jwt"}),
        &json!({"jti": reg_challenge()}),
    );
    assert!(matches!(
        register(&token, None),
        Err(ProofError::InvalidKey { .. })
    ));
    // A JWK that is not an object.
    let token = sign(
        &dev,
        &json!({"alg": "ES256", "jwk": "key", "typ": "dbsc+jwt"}),
        &json!({"jti": reg_challenge()}),
    );
    assert_eq!(
        register(&token, None),
        Err(ProofError::Json {
            part: JwsPart::Header
        })
    );
}

#[test]
fn errors_explain_themselves() {
    let e = ProofError::Challenge(ChallengeError::Expired {
        age: 130,
        max_age: 120,
    });
    assert_eq!(
        e.to_string(),
        "DBSC proof `jti`: challenge is 130 s old, over the 120 s window"
    );
    let e = ProofError::WrongAlgorithm {
        found: SeenAlgorithm::None,
    };
    assert!(e.to_string().contains("only ES256"));
    assert!(std::error::Error::source(&ProofError::Challenge(ChallengeError::Malformed)).is_some());
}
