//! Every way a cookie can be wrong is refused, with the right reason, and
//! yields a fresh session rather than an error.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use session_runtime::defaults::{ABSOLUTE_TIMEOUT, IDLE_TIMEOUT};
use session_runtime::{
    BoundedString, BoundedVec, CookieSession, LoadStatus, ManualClock, Rejection, Session,
    SessionConfig, WriteReason,
};
use session_tests::reference::{
    changed_byte_reason, survives_cookie_header, HEADER_LEN, KEY_ID_LEN,
};
use session_tests::{
    assert_every_bit_flip_rejected, config_on, config_with_clock, cookie_value, issue, key,
    request_with_cookie, store, AppNext, AppSession, AppWider, T0_MS,
};

fn sample() -> AppSession {
    AppSession {
        user_id: Some(99),
        display_name: BoundedString::truncating("Mallory"),
        roles: BoundedVec::try_from([1, 2, 3]).unwrap(),
        csrf: [7; 32],
    }
}

fn valid_cookie() -> (SessionConfig<AppSession>, ManualClock, String) {
    let (config, clock) = config_with_clock::<AppSession>();
    let value = issue(&config, sample());
    assert!(config.decode(value.as_bytes()).is_ok());
    (config, clock, value)
}

fn reject(config: &SessionConfig<AppSession>, value: &[u8]) -> Rejection {
    let reason = match config.decode(value) {
        Ok(_) => panic!(
            "accepted a bad cookie: {:?}",
            String::from_utf8_lossy(value)
        ),
        Err(reason) => reason,
    };
    // Through the http path, the same cookie gives a fresh session, not an
    // error (for the values a Cookie header carries verbatim: no `;`, no
    // surrounding SP/HTAB, which the pair syntax splits or trims).
    if let (true, Ok(text)) = (survives_cookie_header(value), std::str::from_utf8(value)) {
        if let Ok(headers) =
            std::panic::catch_unwind(|| request_with_cookie(AppSession::NAME, text))
        {
            let session = config.load(&headers);
            assert!(session.is_new());
            assert_eq!(*session, AppSession::default());
            assert_eq!(session.status(), &LoadStatus::Rejected(reason.clone()));
        }
    }
    reason
}

#[test]
fn every_single_bit_flip_of_the_decoded_cookie_is_rejected() {
    // The expectation table is the reference's (docs/wire-format.md decode
    // order), shared with tests/encrypted.rs and the adversarial catalogue.
    let (config, _clock, value) = valid_cookie();
    let rejected = assert_every_bit_flip_rejected(&value, |_, text| reject(&config, text));
    println!("bit flips (decoded): rejected {rejected} of {rejected}");
}

#[test]
fn every_single_bit_flip_of_the_cookie_text_is_rejected() {
    let (config, _clock, value) = valid_cookie();
    let mut rejected = 0;
    for index in 0..value.len() {
        for bit in 0..8 {
            let mut flipped = value.clone().into_bytes();
            flipped[index] ^= 1 << bit;
            reject(&config, &flipped);
            rejected += 1;
        }
    }
    println!("bit flips (text): rejected {rejected} of {rejected}");
}

#[test]
fn every_truncation_is_rejected() {
    let (config, _clock, value) = valid_cookie();
    for len in 0..value.len() {
        let reason = reject(&config, &value.as_bytes()[..len]);
        assert!(
            matches!(
                reason,
                Rejection::NotBase64 | Rejection::Truncated { .. } | Rejection::BadSignature
            ),
            "len {len}: {reason:?}"
        );
    }
}

#[test]
fn appended_bytes_padding_and_non_canonical_base64_are_rejected() {
    let (config, _clock, value) = valid_cookie();
    for suffix in ["A", "AA", "AAA", "AAAA", "=", "==", " ", "%3D", "\""] {
        reject(&config, format!("{value}{suffix}").as_bytes());
    }
    for wrapped in [
        format!("\"{value}\""),
        format!(" {value}"),
        format!("{value}\t"),
    ] {
        assert_eq!(reject(&config, wrapped.as_bytes()), Rejection::NotBase64);
    }
    // Standard-alphabet spelling of the same bytes.
    let standard = value.replace('-', "+").replace('_', "/");
    if standard != value {
        assert_eq!(reject(&config, standard.as_bytes()), Rejection::NotBase64);
    }
    // Non-zero trailing bits: the last character decodes to the same bytes in a
    // lenient decoder, but only one spelling is canonical.
    let raw_len = URL_SAFE_NO_PAD.decode(&value).unwrap().len();
    if raw_len % 3 != 0 {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let last = *value.as_bytes().last().unwrap();
        let index = alphabet.iter().position(|&c| c == last).unwrap();
        let mut tweaked = value.clone().into_bytes();
        *tweaked.last_mut().unwrap() = alphabet[index | 1];
        assert_ne!(tweaked, value.as_bytes());
        assert_eq!(reject(&config, &tweaked), Rejection::NotBase64);
    }
}

#[test]
fn oversized_value_is_refused_before_decoding() {
    let (config, _clock, _) = valid_cookie();
    let max = AppSession::MAX_COOKIE_LEN - AppSession::NAME.len();
    let huge = "A".repeat(1 << 20);
    assert_eq!(
        reject(&config, huge.as_bytes()),
        Rejection::TooLong { len: 1 << 20, max }
    );
    assert_eq!(
        reject(&config, "A".repeat(max + 1).as_bytes()),
        Rejection::TooLong { len: max + 1, max }
    );
}

// Same fields as AppSession, other cookie name.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-other", version = 2)]
struct OtherName {
    user_id: Option<u64>,
    display_name: BoundedString<32>,
    roles: BoundedVec<u16, 8>,
    csrf: [u8; 32],
}

#[test]
fn cookie_moved_to_another_name_is_rejected() {
    let (_, _clock, value) = valid_cookie();
    let other = SessionConfig::<OtherName>::builder(key(1))
        .clock(ManualClock::new(T0_MS))
        .build()
        .unwrap();
    assert_eq!(
        OtherName::SCHEMA_FINGERPRINT,
        AppSession::SCHEMA_FINGERPRINT
    );
    assert!(matches!(
        other.decode(value.as_bytes()),
        Err(Rejection::BadSignature)
    ));
}

#[test]
fn wrong_version_and_changed_schema_are_rejected_after_the_mac() {
    let (_, _clock, value) = valid_cookie();
    // The same fields one version on; and the same version, a wider bound.
    let next = config_on::<AppNext>(1, &ManualClock::new(T0_MS));
    assert!(matches!(
        next.decode(value.as_bytes()),
        Err(Rejection::WrongVersion {
            found: 2,
            expected: 3
        })
    ));
    let changed = config_on::<AppWider>(1, &ManualClock::new(T0_MS));
    assert!(matches!(
        changed.decode(value.as_bytes()),
        Err(Rejection::SchemaMismatch { .. })
    ));
}

#[test]
fn idle_timeout_is_enforced_from_the_signed_issue_time() {
    let (config, clock, value) = valid_cookie();
    clock.advance(IDLE_TIMEOUT);
    assert!(
        config.decode(value.as_bytes()).is_ok(),
        "exactly at the limit is still valid"
    );
    clock.advance(Duration::from_millis(1));
    assert!(matches!(
        reject(&config, value.as_bytes()),
        Rejection::IdleExpired { .. }
    ));
}

#[test]
fn absolute_timeout_ends_even_an_active_session() {
    let (config, clock, mut value) = valid_cookie();
    // Keep the session active: every 12 hours the refreshed cookie replaces the old one.
    let step = Duration::from_secs(12 * 3600);
    let mut elapsed = Duration::ZERO;
    while elapsed + step <= ABSOLUTE_TIMEOUT {
        clock.advance(step);
        elapsed += step;
        let session = config.load(&request_with_cookie(AppSession::NAME, &value));
        assert_eq!(session.status(), &LoadStatus::Valid, "after {elapsed:?}");
        assert_eq!(session.pending_write(), Some(WriteReason::Refreshed));
        value = cookie_value(&store(&config, &session).unwrap());
    }
    clock.advance(step);
    assert!(matches!(
        reject(&config, value.as_bytes()),
        Rejection::AbsoluteExpired { .. }
    ));
}

#[test]
fn issue_time_in_the_future_beyond_skew_is_rejected() {
    let ahead_clock = ManualClock::new(T0_MS + 61_000);
    let ahead = config_on::<AppSession>(1, &ahead_clock);
    let value = issue(&ahead, sample());
    let (config, _clock) = config_with_clock::<AppSession>();
    assert!(matches!(
        reject(&config, value.as_bytes()),
        Rejection::IssuedInFuture { .. }
    ));
    ahead_clock.set(T0_MS + 59_000);
    let within_skew = issue(&ahead, sample());
    assert!(config.decode(within_skew.as_bytes()).is_ok());
}

#[test]
fn removed_key_is_rejected_and_previous_key_is_rotated() {
    let clock = ManualClock::new(T0_MS);
    let old = config_on::<AppSession>(2, &clock);
    let value = issue(&old, sample());

    // Key 2 removed from rotation.
    let (current_only, _clock) = config_with_clock::<AppSession>();
    assert!(matches!(
        reject(&current_only, value.as_bytes()),
        Rejection::UnknownKey { key_id } if key_id == key(2).id()
    ));

    // Key 2 still listed as previous: accepted and re-issued with key 1.
    let rotating = SessionConfig::<AppSession>::builder(key(1))
        .verify_key(key(2))
        .clock(clock)
        .build()
        .unwrap();
    let session = rotating.load(&request_with_cookie(AppSession::NAME, &value));
    assert_eq!(session.status(), &LoadStatus::ValidVerifyKey);
    assert_eq!(*session, sample());
    assert_eq!(session.pending_write(), Some(WriteReason::Rekeyed));
    let reissued = cookie_value(&store(&rotating, &session).expect("re-keyed cookie"));
    let verified: Session<AppSession> = current_only.decode(reissued.as_bytes()).unwrap();
    assert_eq!(*verified, sample());
}

#[test]
fn header_fields_are_covered_by_the_mac() {
    // Rewrite every header byte after the format byte and key id (version,
    // fingerprint, timestamps) without re-signing: each is refused for the
    // reason the documented decode order gives.
    let (config, _clock, value) = valid_cookie();
    let raw = URL_SAFE_NO_PAD.decode(&value).unwrap();
    for offset in 1 + KEY_ID_LEN..HEADER_LEN {
        let mut forged = raw.clone();
        forged[offset] = forged[offset].wrapping_add(1);
        let reason = reject(&config, URL_SAFE_NO_PAD.encode(&forged).as_bytes());
        assert_eq!(
            reason.kind(),
            changed_byte_reason(offset),
            "offset {offset}"
        );
    }
}

#[test]
fn short_secret_and_duplicate_keys_are_refused() {
    assert!(session_runtime::Key::from_secret(&[1; 31]).is_err());
    let duplicate = SessionConfig::<AppSession>::builder(key(1))
        .verify_key(key(1))
        .build();
    assert!(duplicate.is_err());
}
