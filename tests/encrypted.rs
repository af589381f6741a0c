//! `#[session(encrypted)]`: AES-256-GCM-SIV cookies with the same header, the
//! cookie name and fingerprint authenticated, and exact size arithmetic.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use session_runtime::wire::{
    max_cookie_len, ENCRYPTED_OVERHEAD, FORMAT_AES_256_GCM_SIV, FORMAT_HMAC_SHA256,
};
use session_runtime::{
    BoundedString, BoundedVec, CookieSession, LoadStatus, ManualClock, Rejection, Session,
    SessionConfig, WriteReason,
};
use session_tests::{
    assert_every_bit_flip_rejected, config_on, cookie_value, issue, key, request_with_cookie,
    store, AppSession, T0_MS,
};

#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-secret", version = 1, encrypted)]
pub struct Private {
    pub user_id: Option<u64>,
    pub email: BoundedString<64>,
    pub roles: BoundedVec<u16, 8>,
}

/// 10 (name) + base64url(16 + 12 + (2 + 3016) + 2 + 16 = 3064) = 10 + 4086 = 4096.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-sec", version = 1, encrypted)]
pub struct PrivateAtBudget {
    pub blob: BoundedString<3016>,
    pub pad: [u8; 2],
}

/// Same fields and version as `Private`, other name.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-other", version = 1, encrypted)]
pub struct OtherName {
    pub user_id: Option<u64>,
    pub email: BoundedString<64>,
    pub roles: BoundedVec<u16, 8>,
}

fn config<T: CookieSession>(clock: &ManualClock) -> SessionConfig<T> {
    config_on(1, clock)
}

fn sample() -> Private {
    Private {
        user_id: Some(42),
        email: BoundedString::truncating("ada@example.com"),
        roles: BoundedVec::try_from([1, 2]).unwrap(),
    }
}

#[test]
fn size_arithmetic_accounts_for_nonce_and_tag() {
    const { assert!(Private::ENCRYPTED) };
    assert_eq!(
        Private::MAX_COOKIE_LEN,
        max_cookie_len(
            Private::NAME.len(),
            Private::MAX_PAYLOAD_LEN,
            ENCRYPTED_OVERHEAD
        )
    );
    assert_eq!(PrivateAtBudget::MAX_COOKIE_LEN, 4096);
    let clock = ManualClock::new(T0_MS);
    let full = PrivateAtBudget {
        blob: BoundedString::try_from("é".repeat(1508).as_str()).unwrap(),
        pad: [9; 2],
    };
    assert_eq!(full.blob.len(), 3016, "the blob is full");
    let value = issue(&config::<PrivateAtBudget>(&clock), full.clone());
    assert_eq!(PrivateAtBudget::NAME.len() + value.len(), 4096);
    let decoded = config::<PrivateAtBudget>(&clock)
        .decode(value.as_bytes())
        .unwrap();
    assert_eq!(*decoded, full);
}

#[test]
fn round_trip_hides_the_data_and_uses_fresh_nonces() {
    let clock = ManualClock::new(T0_MS);
    let config = config::<Private>(&clock);
    let first = issue(&config, sample());
    let second = issue(&config, sample());
    assert_ne!(first, second, "a random nonce per cookie");
    let raw = URL_SAFE_NO_PAD.decode(&first).unwrap();
    assert_eq!(raw[0], FORMAT_AES_256_GCM_SIV);
    assert!(
        !raw.windows(b"ada@example".len())
            .any(|w| w == b"ada@example"),
        "the payload is not readable"
    );
    let session = config.load(&request_with_cookie(Private::NAME, &first));
    assert_eq!(session.status(), &LoadStatus::Valid);
    assert_eq!(*session, sample());
}

#[test]
fn every_bit_flip_is_rejected_with_the_right_reason() {
    // The expectation table is the reference's (docs/wire-format.md decode
    // order), shared with tests/rejection.rs and the adversarial catalogue.
    let clock = ManualClock::new(T0_MS);
    let config = config::<Private>(&clock);
    let value = issue(&config, sample());
    let rejected = assert_every_bit_flip_rejected(&value, |byte, text| match config.decode(text) {
        Ok(_) => panic!("accepted a flip at byte {byte}"),
        Err(reason) => reason,
    });
    println!("encrypted bit flips: rejected {rejected} of {rejected}");
}

#[test]
fn name_binding_mode_binding_and_truncation() {
    let clock = ManualClock::new(T0_MS);
    let value = issue(&config::<Private>(&clock), sample());
    assert!(matches!(
        config::<OtherName>(&clock).decode(value.as_bytes()),
        Err(Rejection::BadSignature)
    ));
    // A signed cookie is not an encrypted one, and vice versa.
    let signed = issue(&config::<AppSession>(&clock), AppSession::default());
    assert!(matches!(
        config::<Private>(&clock).decode(signed.as_bytes()),
        Err(Rejection::UnknownFormat {
            format: FORMAT_HMAC_SHA256
        })
    ));
    for len in 0..value.len() {
        assert!(config::<Private>(&clock)
            .decode(&value.as_bytes()[..len])
            .is_err());
    }
}

#[test]
fn rotation_and_unchanged_detection_work_encrypted() {
    let clock = ManualClock::new(T0_MS);
    let old = config_on::<Private>(2, &clock);
    let rotating = SessionConfig::<Private>::builder(key(1))
        .verify_key(key(2))
        .clock(clock.clone())
        .build()
        .unwrap();
    let old_cookie = issue(&old, sample());
    let session = rotating.load(&request_with_cookie(Private::NAME, &old_cookie));
    assert_eq!(session.status(), &LoadStatus::ValidVerifyKey);
    let reissued = cookie_value(&store(&rotating, &session).unwrap());

    let mut session = rotating.load(&request_with_cookie(Private::NAME, &reissued));
    assert_eq!(session.status(), &LoadStatus::Valid);
    session.set_user_id(Some(42));
    assert_eq!(session.pending_write(), Some(WriteReason::Changed));
    assert_eq!(
        store(&rotating, &session),
        None,
        "same plaintext: nothing sent"
    );
    session.set_user_id(Some(43));
    let changed = cookie_value(&store(&rotating, &session).unwrap());
    let decoded: Session<Private> = rotating.decode(changed.as_bytes()).unwrap();
    assert_eq!(decoded.user_id(), &Some(43));
}

/// The same for a payload too long to keep (over 28 bytes): compared
/// through its seal (nonce and tag), re-encrypted under the loaded nonce.
#[test]
fn unchanged_detection_of_a_long_payload_encrypted() {
    let clock = ManualClock::new(T0_MS);
    let config = config_on::<Private>(1, &clock);
    let long = Private {
        email: BoundedString::truncating("ada.lovelace@analytical-engine.example"),
        ..sample()
    };
    let cookie = issue(&config, long.clone());
    let mut session = config.load(&request_with_cookie(Private::NAME, &cookie));
    assert_eq!(session.status(), &LoadStatus::Valid);
    session.set_user_id(Some(43));
    session.set_user_id(Some(42));
    assert_eq!(
        store(&config, &session),
        None,
        "same plaintext: nothing sent"
    );
    session.set_user_id(Some(43));
    let changed = cookie_value(&store(&config, &session).unwrap());
    assert_eq!(changed.len(), cookie.len(), "the same length");
    let decoded: Session<Private> = config.decode(changed.as_bytes()).unwrap();
    assert_eq!(decoded.user_id(), &Some(43));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encrypted_cookie_never_exceeds_its_bound(
        user_id in any::<Option<u64>>(),
        email in any::<String>(),
        roles in prop::collection::vec(any::<u16>(), 0..=8),
    ) {
        let clock = ManualClock::new(T0_MS);
        let config = config::<Private>(&clock);
        let data = Private {
            user_id,
            email: BoundedString::truncating(&email),
            roles: BoundedVec::try_from(roles).unwrap(),
        };
        let value = config.encode(&data).unwrap();
        prop_assert!(Private::NAME.len() + value.len() <= Private::MAX_COOKIE_LEN);
        prop_assert_eq!(&*config.decode(value.as_bytes()).unwrap(), &data);
    }
}
