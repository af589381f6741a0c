//! Why a key configuration was refused, and where: messages point at the
//! entry (or line, or variable) instead of quoting it, since it holds a
//! secret.

use core::fmt;

use crate::key::Key;

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
    /// The same secret appears twice.
    DuplicateSecret {
        /// The first occurrence.
        first: EntryPosition,
        /// The repeated one.
        second: EntryPosition,
    },
    /// Two different secrets share a 2-byte key id (a 1 in 65,536 chance
    /// per pair). Each cookie names exactly one key by its id, so the
    /// configuration refuses the pair, as
    /// [`ConfigError::KeyIdCollision`](crate::ConfigError::KeyIdCollision)
    /// does: replace one of the secrets.
    KeyIdCollision {
        /// The first key with that id.
        first: EntryPosition,
        /// The second.
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
    /// An environment variable ([`KeyRing::from_env`](super::KeyRing::from_env))
    /// is set but empty or blank: the process stops rather than run without
    /// the keys the operator meant to give it.
    EnvEmpty {
        /// The variable.
        var: String,
    },
    /// An environment variable is set but is not valid UTF-8.
    EnvNotUnicode {
        /// The variable.
        var: String,
    },
    /// Both the variable and its `_FILE` twin are set: which keys were meant?
    EnvBothSet {
        /// The variable (e.g. `SESSION_KEYS`).
        var: String,
        /// Its file twin (e.g. `SESSION_KEYS_FILE`).
        file_var: String,
    },
    /// The keys an environment variable gave (directly or through a file)
    /// were refused.
    InEnv {
        /// The variable.
        var: String,
        /// Why.
        error: Box<KeyRingError>,
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
            // The wording of `ConfigError::KeyIdCollision`, with positions.
            KeyRingError::KeyIdCollision { first, second } => write!(
                f,
                "session keys, {second}: a different secret with the same key id as {first} (a 1 in \
                 65,536 chance): replace one of the two secrets with a newly generated one"
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
            KeyRingError::EnvEmpty { var } => write!(
                f,
                "{var} is set but empty: set it to the session keys (`sign:<secret>`, \
                 docs/operations.md) or unset it"
            ),
            KeyRingError::EnvNotUnicode { var } => write!(
                f,
                "{var} is set but is not valid UTF-8: set it to the session keys (`sign:<secret>`, \
                 base64 secrets) or unset it"
            ),
            KeyRingError::EnvBothSet { var, file_var } => write!(
                f,
                "both {var} and {file_var} are set: set only one of them"
            ),
            KeyRingError::InEnv { var, error } => write!(f, "{var}: {error}"),
        }
    }
}

impl std::error::Error for KeyRingError {}
