//! Writes the seed corpus (a few valid cookies per target) into
//! `fuzz/corpus/<target>/`: `cargo run --example make_seeds` from `fuzz/`.

use std::fs;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use session_runtime::{BoundedString, BoundedVec, CookieSession};
use session_runtime_fuzz::{AppSession, Mode, Shape, ShopSession};
use session_tests::reference::body;
use session_tests::shop_sample;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

fn main() {
    let apps = [
        AppSession::default(),
        AppSession {
            user_id: Some(1 << 40),
            display_name: BoundedString::truncating("Ada Lovelace"),
            roles: BoundedVec::try_from([1, 2, 300, 65535]).unwrap(),
            csrf: [0xa5; 32],
        },
    ];
    let shops = [ShopSession::default(), shop_sample()];
    let mut header = Vec::new();
    for (i, app) in apps.iter().enumerate() {
        let value = AppSession::config().encode(app).unwrap();
        let raw = URL_SAFE_NO_PAD.decode(&value).unwrap();
        let payload = body(Mode::Signed, &raw);
        write(
            "decode_value",
            &format!("app-{i}"),
            &[&[0], value.as_bytes()].concat(),
        );
        write(
            "resign_payload",
            &format!("app-{i}"),
            &[&[0], payload].concat(),
        );
        header.push(format!("{}={value}", AppSession::NAME));
    }
    for (i, shop) in shops.iter().enumerate() {
        let value = ShopSession::config().encode(shop).unwrap();
        let raw = URL_SAFE_NO_PAD.decode(&value).unwrap();
        let payload = body(Mode::Signed, &raw);
        write(
            "decode_value",
            &format!("shop-{i}"),
            &[&[1], value.as_bytes()].concat(),
        );
        write(
            "resign_payload",
            &format!("shop-{i}"),
            &[&[1], payload].concat(),
        );
        header.push(format!("{}={value}", ShopSession::NAME));
    }
    // Headers: both sessions among other cookies, a bogus duplicate first,
    // and a second header line.
    write(
        "decode_header",
        "mixed",
        format!(
            "theme=dark; {}=AAAA; {}; lang=en\n{}; x=1",
            AppSession::NAME,
            header[1],
            header[3]
        )
        .as_bytes(),
    );
    write("decode_header", "all", header.join("; ").as_bytes());
    // Structure-aware seeds: arbitrary bytes decode into data, header
    // choices and edits; a few fixed patterns give the fuzzer a start.
    write("mutate_signed", "zeros", &[0; 64]);
    write("mutate_signed", "ones", &[1; 96]);
    write("mutate_signed", "ramp", &(0..=255u8).collect::<Vec<_>>());
}
