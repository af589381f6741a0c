//! Every error case of the key configuration, none echoing key bytes.
use super::secret::decode_secret;
use super::*;

const A: &str = "UKm1YqXTTy8hQr6wj3l3EqGLVHU2h9cKjEmYJUWXbzY"; // 32 bytes, URL-safe
const B: &str = "8PZ0Kq0zBnpoE2VdKQ1mFq0nHf3S9l8cYd9vNfX9Rk4";
const C: &str = "q1h-_2fM7oA1Zb3ydTyYFhT7cG2d0zKXq3W8n4oVv9E";

fn key(secret: &str) -> Key {
    Key::from_secret(decode_secret(secret).unwrap().as_slice()).unwrap()
}

fn err(text: &str) -> KeyRingError {
    KeyRing::parse(text).unwrap_err()
}

/// Every error message, checked against every secret in the input: no
/// secret (nor any 8-character piece of one) is echoed.
fn assert_no_secret_echoed(text: &str, secrets: &[&str]) {
    let message = format!("{} / {:?}", err(text), err(text));
    for secret in secrets {
        for piece in secret.as_bytes().windows(8) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(
                !message.contains(piece),
                "error {message:?} echoes part of a secret ({piece})"
            );
        }
    }
}

#[test]
fn roles_in_env_form() {
    let ring = KeyRing::parse(&format!("sign:{A}, verify:{B},verify-only: {C}")).unwrap();
    assert_eq!(ring.signing_key().id(), key(A).id());
    assert_eq!(ring.verify_keys()[0].id(), key(B).id());
    assert_eq!(ring.verify_only_keys()[0].id(), key(C).id());
}

#[test]
fn file_form_with_comments_and_blank_lines() {
    let text = format!(
        "# rotation of 2026-12-03\n\nverify-only: {C}   # next key\n  sign: {A}\n# verify: {B}\n"
    );
    let ring = KeyRing::parse_file_contents(&text).unwrap();
    assert_eq!(ring.signing_key().id(), key(A).id());
    assert!(ring.verify_keys().is_empty());
    assert_eq!(ring.verify_only_keys().len(), 1);
}

#[test]
fn standard_alphabet_and_padding_are_accepted() {
    // 48 random bytes as `openssl rand -base64 48` prints them (with + and /).
    let standard = "v+3Jk0fQ/8mZ2aB1c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R9s0T1u2V3w4X5y6Z7";
    assert!(KeyRing::parse(&format!("sign:{standard}")).is_ok());
    // 32 bytes with padding.
    assert!(KeyRing::parse(&format!("sign:{A}=")).is_ok());
}

#[test]
fn debug_shows_ids_only() {
    let ring = KeyRing::parse(&format!("sign:{A}, verify:{B}")).unwrap();
    let debug = format!("{ring:?}");
    assert!(debug.contains(&key(A).id().to_string()), "{debug}");
    assert!(!debug.contains(&A[..8]));
}

#[test]
fn short_secret() {
    assert_eq!(
        err(&format!("sign:{A}, verify:c2hvcnQ")),
        KeyRingError::SecretTooShort {
            at: EntryPosition::Entry(2),
            len: 5
        }
    );
    assert_no_secret_echoed(&format!("sign:{A}, verify:c2hvcnQ"), &[A, "c2hvcnQ"]);
    // 30 bytes.
    assert_eq!(
        err(&format!("sign:{}", &A[..40])),
        KeyRingError::SecretTooShort {
            at: EntryPosition::Entry(1),
            len: 30
        }
    );
}

#[test]
fn duplicate_secret() {
    let text = format!("sign:{A}\nverify:{B}\nverify-only:{A}");
    assert_eq!(
        KeyRing::parse_file_contents(&text).unwrap_err(),
        KeyRingError::DuplicateSecret {
            first: EntryPosition::Line(1),
            second: EntryPosition::Line(3)
        }
    );
    // The same bytes spelt in another alphabet are still the same secret.
    let standard: String = A.replace('-', "+").replace('_', "/");
    assert!(matches!(
        err(&format!("sign:{A}, verify:{standard}=")),
        KeyRingError::DuplicateSecret { .. }
    ));
    assert_no_secret_echoed(&format!("sign:{A}, verify:{A}"), &[A]);
}

#[test]
fn unknown_role() {
    assert_eq!(
        err(&format!("sign:{A}, previous:{B}")),
        KeyRingError::UnknownRole {
            at: EntryPosition::Entry(2),
            role: Some("previous".into())
        }
    );
    // A "role" that looks like a secret (a raw secret with a colon in it)
    // is not echoed.
    let text = format!("sign:{A}, hunter2hunter2hunter2:{B}");
    assert_eq!(
        err(&text),
        KeyRingError::UnknownRole {
            at: EntryPosition::Entry(2),
            role: None
        }
    );
    assert_no_secret_echoed(&text, &[A, B, "hunter2hunter2hunter2"]);
}

#[test]
fn missing_role() {
    assert_eq!(
        err(&format!("sign:{A}, {B}")),
        KeyRingError::MissingRole {
            at: EntryPosition::Entry(2)
        }
    );
    assert_no_secret_echoed(&format!("sign:{A}, {B}"), &[A, B]);
}

#[test]
fn zero_or_several_signing_keys() {
    assert_eq!(err(&format!("verify:{A}")), KeyRingError::NoSigningKey);
    assert_eq!(err(""), KeyRingError::NoSigningKey);
    assert_eq!(err(" # only a comment\n"), KeyRingError::NoSigningKey);
    assert_eq!(
        err(&format!("sign:{A}, verify-only:{C}, sign:{B}")),
        KeyRingError::SeveralSigningKeys {
            at: vec![EntryPosition::Entry(1), EntryPosition::Entry(3)]
        }
    );
    assert_no_secret_echoed(&format!("sign:{A}, sign:{B}"), &[A, B]);
}

#[test]
fn bad_base64() {
    for bad in [
        "",
        "not base64!",
        "UKm1YqXTTy8hQr6wj3l3EqGLVHU2h9cKjEmYJUWXbz=Y",
        "a",
    ] {
        let text = format!("sign:{A}, verify:{bad}");
        assert_eq!(
            err(&text),
            KeyRingError::BadBase64 {
                at: EntryPosition::Entry(2)
            },
            "{bad:?}"
        );
    }
    // Non-zero trailing bits: another spelling of the same bytes is refused.
    let mut spelt = A.to_owned();
    spelt.pop();
    spelt.push('Z');
    assert_eq!(
        err(&format!("sign:{spelt}")),
        KeyRingError::BadBase64 {
            at: EntryPosition::Entry(1)
        }
    );
    assert_no_secret_echoed(&format!("sign:{A}, verify:{A}!!"), &[A]);
}

#[test]
fn missing_file_names_the_path_only() {
    let err = KeyRing::from_file("/nonexistent/session-keys").unwrap_err();
    assert_eq!(
        err.to_string(),
        "session key file /nonexistent/session-keys: cannot read it (entity not found)"
    );
}

/// An environment of `pairs` for `from_env_with`.
fn env(pairs: &[(&str, &[u8])]) -> impl Fn(&str) -> Option<OsString> {
    use std::os::unix::ffi::OsStringExt as _;
    let pairs: Vec<(String, Vec<u8>)> = pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.to_vec()))
        .collect();
    move |name| {
        pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| OsString::from_vec(value.clone()))
    }
}

fn env_err(pairs: &[(&str, &[u8])]) -> KeyRingError {
    KeyRing::from_env_with("SESSION_KEYS", env(pairs)).unwrap_err()
}

#[test]
fn env_unset_is_none_and_set_is_parsed() {
    assert!(KeyRing::from_env_with("SESSION_KEYS", env(&[]))
        .unwrap()
        .is_none());
    let value = format!("sign:{A}, verify-only:{B}");
    let ring = KeyRing::from_env_with("SESSION_KEYS", env(&[("SESSION_KEYS", value.as_bytes())]))
        .unwrap()
        .unwrap();
    assert_eq!(ring.signing_key().id(), key(A).id());
}

#[test]
fn env_set_but_empty_blank_or_not_utf8_stops_naming_the_variable() {
    for var in ["SESSION_KEYS", "SESSION_KEYS_FILE"] {
        for blank in [&b""[..], b"  ", b"\n\t"] {
            let err = env_err(&[(var, blank)]);
            assert_eq!(err, KeyRingError::EnvEmpty { var: var.into() });
            assert!(err
                .to_string()
                .starts_with(&format!("{var} is set but empty")));
        }
        // A secret pasted with a stray Latin-1 byte: refused, and not echoed.
        let mut bytes = format!("sign:{A}").into_bytes();
        bytes.push(0xe9);
        let err = env_err(&[(var, &bytes)]);
        assert_eq!(err, KeyRingError::EnvNotUnicode { var: var.into() });
        let message = format!("{err} {err:?}");
        assert!(message.contains(var), "{message}");
        assert!(!message.contains(&A[..8]), "{message}");
    }
}

#[test]
fn env_invalid_keys_name_the_variable_never_the_secret() {
    let value = format!("sign:{A}, verify:c2hvcnQ");
    let err = env_err(&[("SESSION_KEYS", value.as_bytes())]);
    assert_eq!(
        err.to_string(),
        "SESSION_KEYS: session keys, entry 2: the secret decodes to 5 bytes; at least 32 bytes \
         of random data are required (e.g. `openssl rand -base64 48`)"
    );
    assert!(!format!("{err:?}").contains(&A[..8]));
    // Only comments: no signing key.
    let err = env_err(&[("SESSION_KEYS", b"# rotated out\n")]);
    assert_eq!(
        err.to_string(),
        "SESSION_KEYS: session keys: no `sign:` entry; exactly one key must sign"
    );
    let both = format!("sign:{A}");
    assert_eq!(
        env_err(&[
            ("SESSION_KEYS", both.as_bytes()),
            ("SESSION_KEYS_FILE", b"/run/secrets/keys")
        ])
        .to_string(),
        "both SESSION_KEYS and SESSION_KEYS_FILE are set: set only one of them"
    );
}

#[test]
fn env_file_is_read_and_its_errors_name_the_variable() {
    let path = std::env::temp_dir().join(format!("keyring-test-{}", std::process::id()));
    std::fs::write(&path, format!("# phase 2\nsign: {B}\nverify: {A}\n")).unwrap();
    let path_text = path.display().to_string();
    let ring = KeyRing::from_env_with(
        "SESSION_KEYS",
        env(&[("SESSION_KEYS_FILE", path_text.as_bytes())]),
    )
    .unwrap()
    .unwrap();
    assert_eq!(ring.verify_keys()[0].id(), key(A).id());
    std::fs::write(&path, format!("sign: {B}\nsign: {A}\n")).unwrap();
    let err = env_err(&[("SESSION_KEYS_FILE", path_text.as_bytes())]);
    assert_eq!(
        err.to_string(),
        "SESSION_KEYS_FILE: session keys: several `sign:` entries (line 1, line 2); exactly one \
         key must sign, the others are `verify` or `verify-only`"
    );
    std::fs::remove_file(&path).unwrap();
    let err = env_err(&[("SESSION_KEYS_FILE", path_text.as_bytes())]);
    assert_eq!(
        err.to_string(),
        format!(
            "SESSION_KEYS_FILE: session key file {path_text}: cannot read it (entity not found)"
        )
    );
}

/// Two different 32-byte secrets whose key ids collide (found by a birthday
/// search: about 320 keys for a 2-byte id), base64url-encoded.
fn colliding_secrets() -> (String, String) {
    use base64::Engine as _;
    let mut seen = std::collections::HashMap::new();
    for i in 0u32.. {
        let mut secret = [0u8; 32];
        secret[..4].copy_from_slice(&i.to_le_bytes());
        let id = Key::from_secret(&secret).unwrap().id().to_string();
        if let Some(earlier) = seen.insert(id, secret) {
            let encode =
                |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            return (encode(&earlier), encode(&secret));
        }
    }
    unreachable!("a 2-byte id collides within 65,537 keys")
}

#[test]
fn colliding_key_ids_are_refused_with_the_builders_rule() {
    let (x, y) = colliding_secrets();
    let err = err(&format!("sign:{x}, verify-only:{y}"));
    assert_eq!(
        err,
        KeyRingError::KeyIdCollision {
            first: EntryPosition::Entry(1),
            second: EntryPosition::Entry(2)
        }
    );
    // The builder refuses the same pair for the same reason, in the same
    // words (tests/planted_cookies.rs builds it).
    let builder_err = crate::ConfigError::KeyIdCollision(key(&x).id());
    let tail = "(a 1 in 65,536 chance): replace one of the two secrets with a newly generated one";
    assert!(err.to_string().ends_with(tail), "{err}");
    assert!(builder_err.to_string().ends_with(tail), "{builder_err}");
    assert_no_secret_echoed(&format!("sign:{x}, verify-only:{y}"), &[&x, &y]);
}
