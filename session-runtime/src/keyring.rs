//! Session keys from configuration: one signing key, any number of verify and
//! verify-only keys, in one documented text format (docs/operations.md, "Keys
//! from configuration").
//!
//! ```text
//! # one entry per line (a key file) or comma-separated (an environment variable)
//! sign:        <base64 secret, at least 32 bytes decoded>
//! verify:      <base64 secret>
//! verify-only: <base64 secret>
//! ```
//!
//! Roles ([`KeyRole`]):
//! - `sign`: exactly one. Signs (or encrypts) every cookie written, and verifies.
//! - `verify`: accepted; a cookie verified with it is re-issued with the signing
//!   key (phase 2 of a rotation: the key you are rotating away from).
//! - `verify-only`: accepted, never signs, never causes a re-key (phase 1 of a
//!   rotation: the key every replica must know before any replica signs with it).
//!
//! Errors name the entry (or line) and what is wrong with it, never the secret.

use core::fmt;
use std::path::Path;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use crate::config::SessionConfigBuilder;
use zeroize::Zeroize;

use crate::config::SessionConfig;
use crate::key::{Key, KeyError, KeyRole};
use crate::session_type::CookieSession;

/// URL-safe base64 that accepts padding or its absence; `+` and `/` are mapped
/// to `-` and `_` before decoding, so the output of `openssl rand -base64 48`
/// works as it is. Non-zero trailing bits are refused: a secret has exactly one
/// spelling.
const SECRET_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(false),
);

/// Longest role name echoed in an [`KeyRingError::UnknownRole`] message; a
/// longer or odd-looking "role" may be a secret pasted in the wrong place, so it
/// is not shown.
const MAX_ECHOED_ROLE_LEN: usize = 16;

/// The role's name in the configuration format.
fn role_name(role: KeyRole) -> &'static str {
    match role {
        KeyRole::Sign => "sign",
        KeyRole::Verify => "verify",
        KeyRole::VerifyOnly => "verify-only",
    }
}

fn parse_role(role: &str) -> Option<KeyRole> {
    [KeyRole::Sign, KeyRole::Verify, KeyRole::VerifyOnly]
        .into_iter()
        .find(|candidate| role_name(*candidate) == role)
}

/// Where in the configuration an entry is: errors point there instead of
/// quoting the entry, which holds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryPosition {
    /// The n-th comma- or newline-separated entry (1-based) of a string.
    Entry(usize),
    /// Line n (1-based) of a key file.
    Line(usize),
}

impl fmt::Display for EntryPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryPosition::Entry(n) => write!(f, "entry {n}"),
            EntryPosition::Line(n) => write!(f, "line {n}"),
        }
    }
}

/// The key configuration was refused. No variant holds or prints key bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyRingError {
    /// An entry is not of the form `role:secret`.
    MissingRole {
        /// Which entry.
        at: EntryPosition,
    },
    /// The role is not `sign`, `verify` or `verify-only`.
    UnknownRole {
        /// Which entry.
        at: EntryPosition,
        /// The role as written, when it is short and looks like a role name
        /// (else `None`: it may be a misplaced secret).
        role: Option<String>,
    },
    /// The secret is not base64 (standard or URL-safe alphabet, padding optional).
    BadBase64 {
        /// Which entry.
        at: EntryPosition,
    },
    /// The secret decodes to fewer than [`Key::MIN_SECRET_LEN`] bytes.
    SecretTooShort {
        /// Which entry.
        at: EntryPosition,
        /// Decoded length.
        len: usize,
    },
    /// The same secret appears twice (or two secrets derive the same key id).
    DuplicateSecret {
        /// The first occurrence.
        first: EntryPosition,
        /// The repeated one.
        second: EntryPosition,
    },
    /// No entry has the role `sign`.
    NoSigningKey,
    /// More than one entry has the role `sign`.
    SeveralSigningKeys {
        /// Every `sign` entry.
        at: Vec<EntryPosition>,
    },
    /// The key file could not be read.
    File {
        /// The path, as given.
        path: String,
        /// The I/O error's kind (the file's content is never quoted).
        kind: std::io::ErrorKind,
    },
}

impl fmt::Display for KeyRingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyRingError::MissingRole { at } => write!(
                f,
                "session keys, {at}: expected `role:secret` with role `sign`, `verify` or `verify-only`"
            ),
            KeyRingError::UnknownRole { at, role: Some(role) } => write!(
                f,
                "session keys, {at}: unknown role `{role}`; expected `sign`, `verify` or `verify-only`"
            ),
            KeyRingError::UnknownRole { at, role: None } => write!(
                f,
                "session keys, {at}: unknown role (not shown: it does not look like a role name); \
                 expected `sign`, `verify` or `verify-only`"
            ),
            KeyRingError::BadBase64 { at } => write!(
                f,
                "session keys, {at}: the secret is not valid base64 (e.g. the output of `openssl rand -base64 48`)"
            ),
            KeyRingError::SecretTooShort { at, len } => write!(
                f,
                "session keys, {at}: the secret decodes to {len} bytes; at least {} bytes of random data \
                 are required (e.g. `openssl rand -base64 48`)",
                Key::MIN_SECRET_LEN
            ),
            KeyRingError::DuplicateSecret { first, second } => write!(
                f,
                "session keys, {second}: the same secret as {first}; each key must be listed once, with one role"
            ),
            KeyRingError::NoSigningKey => f.write_str(
                "session keys: no `sign:` entry; exactly one key must sign",
            ),
            KeyRingError::SeveralSigningKeys { at } => {
                f.write_str("session keys: several `sign:` entries (")?;
                for (i, position) in at.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{position}")?;
                }
                f.write_str("); exactly one key must sign, the others are `verify` or `verify-only`")
            }
            KeyRingError::File { path, kind } => {
                write!(f, "session key file {path}: cannot read it ({kind})")
            }
        }
    }
}

impl std::error::Error for KeyRingError {}

/// A set of session keys with roles: what a [`SessionConfigBuilder`] needs.
///
/// The configuration format (docs/operations.md, "Keys from configuration"):
/// entries `role:secret`, separated by commas or newlines, `#` comments.
/// Roles ([`KeyRole`]): `sign` (exactly one; signs every cookie written),
/// `verify` (accepted; its cookies are re-issued with the signing key),
/// `verify-only` (accepted; never signs, never causes a re-issue). Secrets are
/// base64 (standard or URL-safe, padding optional) of at least 32 bytes.
///
/// Parse it from configuration ([`KeyRing::parse`], [`KeyRing::from_file`]) or
/// assemble it in code ([`KeyRing::new`]), then start each session type's
/// configuration from it with [`config_builder`](Self::config_builder).
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_runtime::{CookieSession, KeyRing};
///
/// #[derive(CookieSession, Serialize, Deserialize, Default)]
/// #[session(name = "__Host-app", version = 1)]
/// struct App {
///     user_id: Option<u64>,
/// }
///
/// // What an operator puts in SESSION_KEYS (here: phase 2 of a rotation).
/// let keys: KeyRing = "sign: UKm1YqXTTy8hQr6wj3l3EqGLVHU2h9cKjEmYJUWXbzY, \
///                      verify: 8PZ0Kq0zBnpoE2VdKQ1mFq0nHf3S9l8cYd9vNfX9Rk4"
///     .parse()
///     .unwrap();
/// assert_eq!(keys.verify_keys().len(), 1);
/// let config = keys.config_builder::<App>().build().unwrap();
/// # let _ = config;
///
/// // Mistakes are explained without echoing the secret.
/// let err = "sign: c2hvcnQ".parse::<KeyRing>().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "session keys, entry 1: the secret decodes to 5 bytes; at least 32 bytes of random data \
///      are required (e.g. `openssl rand -base64 48`)"
/// );
/// ```
#[derive(Clone)]
pub struct KeyRing {
    signing: Key,
    verify: Vec<Key>,
    verify_only: Vec<Key>,
}

impl KeyRing {
    /// A key ring with only a signing key.
    pub fn new(signing: Key) -> Self {
        KeyRing {
            signing,
            verify: Vec::new(),
            verify_only: Vec::new(),
        }
    }

    /// Adds a `verify` key (accepted; its cookies are re-issued with the signing key).
    #[must_use]
    pub fn with_verify_key(mut self, key: Key) -> Self {
        self.verify.push(key);
        self
    }

    /// Adds a `verify-only` key (accepted; never signs, never causes a re-key).
    #[must_use]
    pub fn with_verify_only_key(mut self, key: Key) -> Self {
        self.verify_only.push(key);
        self
    }

    /// Parses the configuration format: entries `role:secret`, separated by
    /// commas or newlines; whitespace around roles and secrets is ignored, and
    /// `#` starts a comment that runs to the end of its line. Entries are
    /// numbered from 1 in errors.
    pub fn parse(text: &str) -> Result<KeyRing, KeyRingError> {
        let mut entries = Vec::new();
        let mut number = 0;
        for line in text.lines() {
            for entry in strip_comment(line).split(',') {
                let entry = entry.trim();
                if entry.is_empty() {
                    continue;
                }
                number += 1;
                entries.push((EntryPosition::Entry(number), entry));
            }
        }
        Self::from_entries(entries)
    }

    /// Parses a key file: the same format as [`parse`](Self::parse), usually one
    /// entry per line; errors give line numbers.
    pub fn parse_file_contents(text: &str) -> Result<KeyRing, KeyRingError> {
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            for entry in strip_comment(line).split(',') {
                let entry = entry.trim();
                if !entry.is_empty() {
                    entries.push((EntryPosition::Line(index + 1), entry));
                }
            }
        }
        Self::from_entries(entries)
    }

    /// Reads and parses a key file (see [`parse_file_contents`](Self::parse_file_contents)).
    pub fn from_file(path: impl AsRef<Path>) -> Result<KeyRing, KeyRingError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|err| KeyRingError::File {
            path: path.display().to_string(),
            kind: err.kind(),
        })?;
        Self::parse_file_contents(&text)
    }

    fn from_entries(entries: Vec<(EntryPosition, &str)>) -> Result<KeyRing, KeyRingError> {
        // Decoded secrets are wiped when dropped (`Secret`).
        let mut parsed: Vec<(EntryPosition, KeyRole, Key, Secret)> = Vec::new();
        for (at, entry) in entries {
            let (role, secret) = entry
                .split_once(':')
                .ok_or(KeyRingError::MissingRole { at })?;
            let role_text = role.trim();
            let role = parse_role(role_text).ok_or_else(|| KeyRingError::UnknownRole {
                at,
                role: looks_like_role(role_text).then(|| role_text.to_owned()),
            })?;
            let secret = decode_secret(secret.trim()).ok_or(KeyRingError::BadBase64 { at })?;
            let key = Key::from_secret(secret.as_slice()).map_err(|err| match err {
                KeyError::SecretTooShort { len } => KeyRingError::SecretTooShort { at, len },
                // `KeyError` is non-exhaustive: report any future refusal as a
                // short secret would be wrong, so keep its length out of it.
                #[allow(unreachable_patterns)]
                _ => KeyRingError::BadBase64 { at },
            })?;
            // Duplicate secrets (or, once in 2^32, colliding ids) would make
            // verification unable to tell keys apart.
            if let Some((first, ..)) = parsed.iter().find(|(_, _, other, other_secret)| {
                other.id() == key.id() || other_secret.as_slice() == secret.as_slice()
            }) {
                return Err(KeyRingError::DuplicateSecret {
                    first: *first,
                    second: at,
                });
            }
            parsed.push((at, role, key, secret));
        }
        let signing: Vec<EntryPosition> = parsed
            .iter()
            .filter(|(_, role, ..)| *role == KeyRole::Sign)
            .map(|(at, ..)| *at)
            .collect();
        match signing.len() {
            0 => return Err(KeyRingError::NoSigningKey),
            1 => {}
            _ => return Err(KeyRingError::SeveralSigningKeys { at: signing }),
        }
        let mut signing = None;
        let mut verify = Vec::new();
        let mut verify_only = Vec::new();
        for (_, role, key, _secret) in parsed {
            match role {
                KeyRole::Sign => signing = Some(key),
                KeyRole::Verify => verify.push(key),
                KeyRole::VerifyOnly => verify_only.push(key),
                // `KeyRole` is non-exhaustive; `parse_role` yields only the three above.
                #[allow(unreachable_patterns)]
                _ => return Err(KeyRingError::NoSigningKey),
            }
        }
        Ok(KeyRing {
            signing: signing.ok_or(KeyRingError::NoSigningKey)?,
            verify,
            verify_only,
        })
    }

    /// The key that signs.
    pub fn signing_key(&self) -> &Key {
        &self.signing
    }

    /// The `verify` keys, in configuration order.
    pub fn verify_keys(&self) -> &[Key] {
        &self.verify
    }

    /// The `verify-only` keys, in configuration order.
    pub fn verify_only_keys(&self) -> &[Key] {
        &self.verify_only
    }

    /// A configuration builder for session type `T` with these keys in their
    /// roles; add timeouts, attributes or a revocation check, then `build()`.
    pub fn config_builder<T: CookieSession>(&self) -> SessionConfigBuilder<T> {
        SessionConfig::<T>::builder(self.signing.clone())
            .verify_keys(self.verify.iter().cloned())
            .verify_only_keys(self.verify_only.iter().cloned())
    }
}

impl core::str::FromStr for KeyRing {
    type Err = KeyRingError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        KeyRing::parse(text)
    }
}

impl fmt::Debug for KeyRing {
    // Key ids only: they are public (every cookie carries one) and are what an
    // operator compares across replicas during a rotation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids = |keys: &[Key]| keys.iter().map(Key::id).collect::<Vec<_>>();
        f.debug_struct("KeyRing")
            .field("sign", &self.signing.id())
            .field("verify", &ids(&self.verify))
            .field("verify_only", &ids(&self.verify_only))
            .finish()
    }
}

/// Decoded secret bytes, wiped on drop (only the derived keys are kept).
struct Secret(Vec<u8>);

impl Secret {
    fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.as_mut_slice().zeroize();
    }
}

fn strip_comment(line: &str) -> &str {
    // Base64 never contains `#`, so this cannot cut a secret.
    line.split_once('#').map_or(line, |(before, _)| before)
}

fn looks_like_role(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_ECHOED_ROLE_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'_')
}

fn decode_secret(text: &str) -> Option<Secret> {
    if text.is_empty() {
        return None;
    }
    let mapped = Secret(
        text.bytes()
            .map(|b| match b {
                b'+' => b'-',
                b'/' => b'_',
                b => b,
            })
            .collect(),
    );
    SECRET_BASE64.decode(&mapped.0).ok().map(Secret)
}

#[cfg(test)]
mod tests {
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
}
