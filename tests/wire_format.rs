//! Pins the worked example in `docs/wire-format.md`: if the byte layout
//! changes, this test fails until the document is updated with it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use session_runtime::{CookieSession, Key, ManualClock, SessionConfig};
use sha2::Sha256;

/// The document's example session.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, PartialEq)]
#[session(name = "__Host-demo", version = 1)]
struct Demo {
    user_id: Option<u32>,
    admin: bool,
}

const SECRET: &[u8] = b"example secret, 32 bytes or more";
/// 2026-11-26T12:00:00Z.
const NOW_MS: u64 = 1_795_694_400_000;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn worked_example_matches_the_document() {
    let key = Key::from_secret(SECRET).unwrap();
    let config = SessionConfig::<Demo>::builder(key.clone())
        .clock(ManualClock::new(NOW_MS))
        .build()
        .unwrap();
    let value = config
        .encode(&Demo {
            user_id: Some(300),
            admin: false,
        })
        .unwrap();
    let raw = URL_SAFE_NO_PAD.decode(&value).unwrap();
    let (header, rest) = raw.split_at(16);
    let (payload, tag) = rest.split_at(rest.len() - 16);
    println!("key id      {}", key.id());
    println!("fingerprint {:016x}", Demo::SCHEMA_FINGERPRINT);
    println!("header      {}", hex(header));
    println!("payload     {}", hex(payload));
    println!("tag         {}", hex(tag));
    println!("value       {value}");
    println!(
        "len         {} (max {})",
        Demo::NAME.len() + value.len(),
        Demo::MAX_COOKIE_LEN
    );

    // Seconds since 2025-01-01T00:00:00Z (Unix 1735689600).
    let secs = ((NOW_MS - 1_735_689_600_000) / 1000) as u32;
    assert_eq!(header[0], 0x03, "format byte");
    assert_eq!(hex(&header[1..3]), key.id().to_string(), "key id");
    assert_eq!(&header[3..5], &[0x00, 0x01], "version");
    assert_eq!(
        &header[5..7],
        &Demo::SCHEMA_FINGERPRINT.to_be_bytes()[..2],
        "fingerprint hint"
    );
    assert_eq!(&header[7..11], &secs.to_be_bytes(), "created");
    assert_eq!(&header[11..15], &secs.to_be_bytes(), "issued");
    assert_eq!(header[15], 0, "lifetime: standard");
    // Some(300): tag 01, varint 300 = ac 02; false = 00.
    assert_eq!(payload, [0x01, 0xac, 0x02, 0x00]);

    // The tag, recomputed from the document's formulas alone.
    let hkdf = Hkdf::<Sha256>::new(Some(b"session-runtime/v2/hkdf-salt"), SECRET);
    let mut key_id = [0u8; 4];
    hkdf.expand(b"session-runtime/v2/key-id", &mut key_id)
        .unwrap();
    assert_eq!(
        &header[1..3],
        &key_id[..2],
        "key id from the document's formula"
    );
    let mut mac_key = [0u8; 32];
    hkdf.expand(b"session-runtime/v2/cookie-mac/hmac-sha256", &mut mac_key)
        .unwrap();
    let mut prefix = b"session-runtime/v2/cookie\0".to_vec();
    prefix.extend_from_slice(&(Demo::NAME.len() as u16).to_be_bytes());
    prefix.extend_from_slice(Demo::NAME.as_bytes());
    prefix.extend_from_slice(&Demo::SCHEMA_FINGERPRINT.to_be_bytes());
    prefix.resize(prefix.len().next_multiple_of(64), 0);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&mac_key).unwrap();
    mac.update(&prefix);
    mac.update(header);
    mac.update(payload);
    assert_eq!(&mac.finalize().into_bytes()[..16], tag, "tag");

    assert_eq!(
        value,
        include_str!("../docs/wire-format-example.txt").trim()
    );
}
