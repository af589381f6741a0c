//! Pins the worked example in `docs/wire-format.md`: if the byte layout
//! changes, this test fails until the document is updated with it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use session_runtime::{CookieSession, Key, ManualClock, SessionConfig};

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
    let (header, rest) = raw.split_at(27);
    let (payload, tag) = rest.split_at(rest.len() - 32);
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

    assert_eq!(header[0], 0x01, "format byte");
    assert_eq!(hex(&header[1..5]), key.id().to_string(), "key id");
    assert_eq!(&header[5..7], &[0x00, 0x01], "version");
    assert_eq!(
        &header[7..15],
        &Demo::SCHEMA_FINGERPRINT.to_be_bytes(),
        "fingerprint"
    );
    assert_eq!(&header[15..21], &NOW_MS.to_be_bytes()[2..], "created");
    assert_eq!(&header[21..27], &NOW_MS.to_be_bytes()[2..], "issued");
    // Some(300): tag 01, varint 300 = ac 02; false = 00.
    assert_eq!(payload, [0x01, 0xac, 0x02, 0x00]);
    assert_eq!(
        value,
        include_str!("../docs/wire-format-example.txt").trim()
    );
}
