//! Writes the seed corpus (a few valid cookies per target) into
//! `fuzz/corpus/<target>/`: `cargo run --example make_seeds` from `fuzz/`.
//! Wire format version 2 cookies of every shape and lifetime, plus version 1
//! cookies (refused by their format byte) so the fuzzer starts from both.

use std::fs;
use std::path::Path;

use session_runtime::{BoundedString, BoundedVec, CookieSession, Lifetime};
use session_runtime_fuzz::{AppSession, EncSession, Mode, Shape, ShopSession, T0_MS};
use session_tests::reference::{body, reference_base64, v1, Binding, Forger};
use session_tests::shop_sample;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

/// Cookies of `data` as `T`'s configuration writes them, one per lifetime
/// (standard, browser session); `shape` is the targets' shape byte.
fn seeds<T: Shape>(label: &str, shape: u8, items: &[T], header: &mut Vec<String>) {
    let config = T::config();
    for (i, data) in items.iter().enumerate() {
        for (lifetime, tag) in [
            (Lifetime::Standard, ""),
            (Lifetime::BrowserSession, "-browser"),
        ] {
            let mut session = config.load_cookies(std::iter::empty::<&[u8]>());
            // A fresh default session sends nothing unless renewed.
            session.renew();
            session
                .set_lifetime(lifetime)
                .expect("Standard and BrowserSession are always declared");
            *session = data.clone();
            let set_cookie = config.set_cookie(&session).unwrap().expect("changed");
            let value = session_tests::cookie_value(&set_cookie);
            let raw = reference_base64(value.as_bytes()).unwrap();
            // The payload: decrypted by the reference in encrypted mode.
            let payload = Forger::new(&session_runtime_fuzz::SECRET)
                .unseal(&Binding::of::<T>(), &raw)
                .expect("a genuine cookie");
            if Mode::of::<T>() == Mode::Signed {
                assert_eq!(payload, body(Mode::Signed, &raw));
            }
            let name = format!("{label}-{i}{tag}");
            write(
                "decode_value",
                &name,
                &[&[shape], value.as_bytes()].concat(),
            );
            write("resign_payload", &name, &[&[shape], &payload[..]].concat());
            header.push(format!("{}={value}", T::NAME));
        }
        // The same data as a version 1 server wrote it.
        let payload = postcard::to_allocvec(data).unwrap();
        let old = v1::cookie(
            &session_runtime_fuzz::SECRET,
            Mode::of::<T>(),
            T::NAME,
            T::VERSION,
            T::SCHEMA_FINGERPRINT,
            T0_MS,
            T0_MS,
            &payload,
        );
        let name = format!("{label}-{i}-v1");
        write("decode_value", &name, &[&[shape], old.as_bytes()].concat());
    }
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
    let encs = [
        EncSession::default(),
        EncSession {
            user_id: Some(42),
            email: BoundedString::truncating("ada@example.com"),
            roles: BoundedVec::try_from([1, 2]).unwrap(),
        },
    ];
    let mut header = Vec::new();
    seeds("app", 0, &apps, &mut header);
    seeds("shop", 1, &shops, &mut header);
    seeds("enc", 2, &encs, &mut header);
    // Headers: the sessions among other cookies, a bogus duplicate first,
    // and a second header line.
    write(
        "decode_header",
        "mixed",
        format!(
            "theme=dark; {}=AAAA; {}; lang=en\n{}; x=1\n{}",
            AppSession::NAME,
            header[3],
            header[7],
            header[11]
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
