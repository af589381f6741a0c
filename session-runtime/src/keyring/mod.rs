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
//! Errors name the entry (or line, or environment variable) and what is
//! wrong with it, never the secret (`error.rs`). One parser serves both
//! forms (`entries`); `secret.rs` reads roles and base64.

mod error;
mod secret;

use core::fmt;
use std::ffi::OsString;
use std::path::Path;

use crate::config::SessionConfig;
use crate::config::SessionConfigBuilder;
use crate::key::{Key, KeyError, KeyRole};
use crate::session_type::CookieSession;

pub use error::{EntryPosition, KeyRingError};
use secret::{decode_secret, looks_like_role, parse_role, strip_comment, Secret};

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
        Self::from_entries(entries(text, false))
    }

    /// Parses a key file: the same format as [`parse`](Self::parse), usually one
    /// entry per line; errors give line numbers.
    pub fn parse_file_contents(text: &str) -> Result<KeyRing, KeyRingError> {
        Self::from_entries(entries(text, true))
    }

    /// Reads and parses a key file (see [`parse_file_contents`](Self::parse_file_contents)).
    pub fn from_file(path: impl AsRef<Path>) -> Result<KeyRing, KeyRingError> {
        let path = path.as_ref();
        let text = std::fs::read(path).map_err(|err| KeyRingError::File {
            path: path.display().to_string(),
            kind: err.kind(),
        })?;
        // Wiped on drop, like every decoded secret.
        let text = Secret(text);
        let text = std::str::from_utf8(text.as_slice()).map_err(|_| KeyRingError::File {
            path: path.display().to_string(),
            kind: std::io::ErrorKind::InvalidData,
        })?;
        Self::parse_file_contents(text)
    }

    /// The keys the environment gives, with one rule for every way of
    /// getting it wrong: `var` (e.g. `SESSION_KEYS`) holds entries in the
    /// [`parse`](Self::parse) format, or `<var>_FILE` (e.g.
    /// `SESSION_KEYS_FILE`) names a key file ([`from_file`](Self::from_file)).
    ///
    /// - `Ok(None)` when neither variable is set: the caller decides (a
    ///   development key, or a refusal to start).
    /// - An error when either is set but empty or blank, not UTF-8, names a
    ///   file that cannot be read, or holds keys [`parse`](Self::parse)
    ///   refuses; also when both are set. The message names the variable,
    ///   never the secret. A process should stop on it: a fleet whose
    ///   replicas each fell back to a random key looks healthy while every
    ///   request that changes replica loses its session.
    ///
    /// The variable's text is wiped from this process's copy once parsed
    /// (the environment block itself belongs to the operating system).
    ///
    /// ```
    /// use session_runtime::KeyRing;
    ///
    /// // Neither SESSION_EXAMPLE_KEYS nor SESSION_EXAMPLE_KEYS_FILE is set.
    /// assert!(KeyRing::from_env("SESSION_EXAMPLE_KEYS").unwrap().is_none());
    /// ```
    pub fn from_env(var: &str) -> Result<Option<KeyRing>, KeyRingError> {
        Self::from_env_with(var, |name| std::env::var_os(name))
    }

    /// [`from_env`](Self::from_env) with the environment as a function (tests).
    fn from_env_with(
        var: &str,
        lookup: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Option<KeyRing>, KeyRingError> {
        let file_var = format!("{var}_FILE");
        let in_env = |var: &str| {
            let var = var.to_owned();
            move |error| KeyRingError::InEnv {
                var,
                error: Box::new(error),
            }
        };
        match (env_text(var, &lookup)?, env_text(&file_var, &lookup)?) {
            (None, None) => Ok(None),
            (Some(_), Some(_)) => Err(KeyRingError::EnvBothSet {
                var: var.to_owned(),
                file_var,
            }),
            (Some(text), None) => {
                let text = std::str::from_utf8(text.as_slice()).expect("checked by env_text");
                KeyRing::parse(text).map(Some).map_err(in_env(var))
            }
            (None, Some(path)) => {
                let path = std::str::from_utf8(path.as_slice()).expect("checked by env_text");
                KeyRing::from_file(path.trim())
                    .map(Some)
                    .map_err(in_env(&file_var))
            }
        }
    }

    /// Refuses an entry list: roles, base64, lengths, one key per secret
    /// and per key id, exactly one `sign`.
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
            // The builder's rule (`ConfigError::DuplicateKey` /
            // `KeyIdCollision`): every key has its own 2-byte id, so a cookie
            // names exactly one key and a forged cookie costs one MAC check.
            // Two different secrets share an id once in 65,536 pairs.
            if let Some((first, .., other_secret)) = parsed
                .iter()
                .find(|(_, _, other, _)| other.id() == key.id())
            {
                let (first, second) = (*first, at);
                return Err(if other_secret.as_slice() == secret.as_slice() {
                    KeyRingError::DuplicateSecret { first, second }
                } else {
                    KeyRingError::KeyIdCollision { first, second }
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

/// The entries of `text`: comma- or newline-separated, comments and blank
/// entries dropped, numbered by entry (`by_line == false`) or by line.
fn entries(text: &str, by_line: bool) -> Vec<(EntryPosition, &str)> {
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for entry in strip_comment(line).split(',').map(str::trim) {
            if entry.is_empty() {
                continue;
            }
            let at = if by_line {
                EntryPosition::Line(index + 1)
            } else {
                EntryPosition::Entry(entries.len() + 1)
            };
            entries.push((at, entry));
        }
    }
    entries
}

/// A variable's value, wiped on drop: `None` when unset, an error when set
/// but blank or not UTF-8.
fn env_text(
    var: &str,
    lookup: &impl Fn(&str) -> Option<OsString>,
) -> Result<Option<Secret>, KeyRingError> {
    let Some(value) = lookup(var) else {
        return Ok(None);
    };
    let value = Secret(value.into_encoded_bytes());
    let text = std::str::from_utf8(value.as_slice()).map_err(|_| KeyRingError::EnvNotUnicode {
        var: var.to_owned(),
    })?;
    if text.trim().is_empty() {
        return Err(KeyRingError::EnvEmpty {
            var: var.to_owned(),
        });
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests;
