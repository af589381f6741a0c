//! Why an incoming cookie was not accepted.

use core::fmt;
use core::time::Duration;

use crate::key::KeyId;

/// The reason a cookie was refused. Loading never fails a request: a refused
/// cookie yields a fresh default session whose [`LoadStatus`](crate::LoadStatus)
/// carries this reason, so the application can log tampering or expiry.
///
/// The variants appear in the order of the decode steps that report them
/// (docs/wire-format.md, "Decode order"): the checks before the MAC, the MAC,
/// the lifetime and time checks, decoding, then revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// The value is longer than any cookie this session type can produce;
    /// refused before it is even base64-decoded.
    TooLong {
        /// Bytes in the value.
        len: usize,
        /// Longest value the session type can produce.
        max: usize,
    },
    /// Not canonical unpadded base64url (padding, whitespace, quotes, foreign
    /// characters, non-zero trailing bits, impossible length).
    NotBase64,
    /// A chunked session's first cookie has an impossible chunk count or
    /// framing (docs/wire-format.md, "Chunked sessions").
    ChunkFraming,
    /// A chunked session's chunk `index` is missing, or no cookie of its name
    /// matches the hash the first cookie names: left over from another
    /// session, overwritten by a concurrent response, or dropped by the
    /// browser. The pieces are never mixed.
    ChunkMissing {
        /// The chunk's index (its cookie is `NAME.index`).
        index: u8,
    },
    /// A chunked session's pieces are not split the one canonical way for
    /// their length (only a forger produces that).
    ChunkLayout,
    /// Too short to hold a header and a tag.
    Truncated {
        /// Decoded bytes.
        len: usize,
    },
    /// Unknown format byte (a different wire format or a corrupted cookie).
    UnknownFormat {
        /// The format byte found.
        format: u8,
    },
    /// Signed with a key this server does not have (removed from rotation, or forged).
    UnknownKey {
        /// The key id found.
        key_id: KeyId,
    },
    /// Authentic, but written by a different schema version of the session.
    WrongVersion {
        /// Version in the cookie.
        found: u16,
        /// Version this server expects.
        expected: u16,
    },
    /// The MAC does not match: tampered, truncated, moved from another cookie
    /// name, or forged.
    BadSignature,
    /// Same version, but the struct's shape changed without a version bump (a
    /// deploy changed a field): the MAC, which binds the schema fingerprint,
    /// failed and the cookie's fingerprint hint differs from this schema's.
    SchemaMismatch {
        /// The cookie's fingerprint hint (the top 16 bits of the fingerprint
        /// it was written with; only the hint travels on the wire).
        found: u64,
        /// Fingerprint of the compiled session type.
        expected: u64,
    },
    /// Authentic, but written for a lifetime this configuration does not
    /// declare (e.g. `remember_me` was removed from the configuration).
    UnknownLifetime {
        /// The lifetime byte found.
        lifetime: u8,
    },
    /// Issued further in the future than the allowed clock skew.
    IssuedInFuture {
        /// How far ahead of the server clock.
        ahead: Duration,
    },
    /// The header's timestamps contradict each other (start after issue).
    InconsistentTimestamps,
    /// The session started longer ago than the absolute timeout.
    AbsoluteExpired {
        /// Age of the session.
        age: Duration,
    },
    /// Not re-issued for longer than the idle timeout.
    IdleExpired {
        /// Time since the cookie was issued.
        idle: Duration,
    },
    /// Authentic, but the payload does not decode as the session type (this
    /// points at a bug or a hand-written serializer, never at an attacker).
    Payload {
        /// What went wrong.
        reason: PayloadError,
    },
    /// Authentic and unexpired, but the application's revocation check
    /// refused it (e.g. the user logged out everywhere).
    Revoked,
    /// Authentic, but the configuration has an asynchronous revocation check
    /// (`revocation_check_async`), which a synchronous load (`load`,
    /// `load_cookies`, `decode`) cannot run: refused rather than let through
    /// unchecked. Load with the `_async` twin instead.
    NeedsAsyncLoad,
    /// Authentic and unexpired, but the session is bound to a device (DBSC,
    /// feature `dbsc`, docs/dbsc.md) and the request lacks a short-lived
    /// bound cookie that verifies for it: a copied long-lived cookie alone is
    /// refused. Browsers that hold the device key never send such a request
    /// for a live session: they refresh the bound cookie first.
    DeviceBinding {
        /// What was wrong with the bound cookie.
        reason: BindingFailure,
    },
}

/// Why a device-bound session's short-lived bound cookie was refused
/// ([`Rejection::DeviceBinding`]). No heap allocation, like every rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindingFailure {
    /// The request carried no bound cookie: expired in the browser (which
    /// then refreshes it before sending in-scope requests), or a cookie jar
    /// copied without the device's key.
    Missing,
    /// A bound cookie that is not one of ours (length, alphabet, version).
    Malformed,
    /// A bound cookie that was not issued for this session's DBSC id with a
    /// configured key: from another session, or forged.
    WrongBinding,
    /// An authentic bound cookie past the expiry written in it (a client
    /// that ignores `Max-Age` gains nothing).
    Expired {
        /// How long ago it expired.
        ago: Duration,
    },
}

impl fmt::Display for BindingFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindingFailure::Missing => f.write_str("no bound cookie"),
            BindingFailure::Malformed => f.write_str("the bound cookie is not one of ours"),
            BindingFailure::WrongBinding => {
                f.write_str("the bound cookie was not issued for this session")
            }
            BindingFailure::Expired { ago } => {
                write!(f, "the bound cookie expired {}s ago", ago.as_secs())
            }
        }
    }
}

/// Why an authentic payload did not decode as the session type. No heap
/// allocation: a refused cookie costs no `String` (and the codec builds for
/// targets where allocation is scarce).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadError {
    /// The session decoded but bytes were left over (each payload has exactly
    /// one meaning).
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The bytes are not a postcard encoding of the session type.
    Malformed {
        /// postcard's reason, e.g. `"unexpected end of payload"`.
        what: &'static str,
    },
}

impl PayloadError {
    pub(crate) fn from_postcard(err: &postcard::Error) -> PayloadError {
        use postcard::Error as E;
        let what = match err {
            E::DeserializeUnexpectedEnd => "unexpected end of payload",
            E::DeserializeBadVarint => "bad varint",
            E::DeserializeBadBool => "bad bool",
            E::DeserializeBadChar => "bad char",
            E::DeserializeBadUtf8 => "bad UTF-8",
            E::DeserializeBadOption => "bad Option tag",
            E::DeserializeBadEnum => "bad enum discriminant",
            E::DeserializeBadEncoding => "bad encoding",
            // Our bounded types report over-long lengths through serde's custom errors.
            E::SerdeDeCustom => "a value was refused by its type (e.g. over its bound)",
            _ => "malformed payload",
        };
        PayloadError::Malformed { what }
    }
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::TrailingBytes { count } => write!(f, "{count} trailing bytes"),
            PayloadError::Malformed { what } => f.write_str(what),
        }
    }
}

impl Rejection {
    /// A short, stable, machine-readable name for logs and metrics
    /// (`"bad_signature"`, `"idle_expired"`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Rejection::TooLong { .. } => "too_long",
            Rejection::NotBase64 => "not_base64",
            Rejection::ChunkFraming => "chunk_framing",
            Rejection::ChunkMissing { .. } => "chunk_missing",
            Rejection::ChunkLayout => "chunk_layout",
            Rejection::Truncated { .. } => "truncated",
            Rejection::UnknownFormat { .. } => "unknown_format",
            Rejection::UnknownKey { .. } => "unknown_key",
            Rejection::BadSignature => "bad_signature",
            Rejection::WrongVersion { .. } => "wrong_version",
            Rejection::SchemaMismatch { .. } => "schema_mismatch",
            Rejection::IssuedInFuture { .. } => "issued_in_future",
            Rejection::AbsoluteExpired { .. } => "absolute_expired",
            Rejection::IdleExpired { .. } => "idle_expired",
            Rejection::InconsistentTimestamps => "inconsistent_timestamps",
            Rejection::UnknownLifetime { .. } => "unknown_lifetime",
            Rejection::Revoked => "revoked",
            Rejection::Payload { .. } => "payload",
            Rejection::NeedsAsyncLoad => "needs_async_load",
            Rejection::DeviceBinding { .. } => "device_binding",
        }
    }

    /// Whether the cookie could only have been produced by tampering or forgery
    /// (as opposed to age, rotation or a deploy), i.e. worth a security log line.
    pub fn is_suspicious(&self) -> bool {
        matches!(
            self,
            Rejection::TooLong { .. }
                | Rejection::NotBase64
                | Rejection::ChunkFraming
                | Rejection::ChunkLayout
                | Rejection::Truncated { .. }
                | Rejection::UnknownFormat { .. }
                | Rejection::BadSignature
                | Rejection::InconsistentTimestamps
                | Rejection::DeviceBinding {
                    reason: BindingFailure::Malformed
                }
        )
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::TooLong { len, max } => {
                write!(
                    f,
                    "cookie value is {len} bytes, longer than the {max} this session can produce"
                )
            }
            Rejection::NotBase64 => f.write_str("cookie value is not canonical unpadded base64url"),
            Rejection::ChunkFraming => {
                f.write_str("the first cookie of a chunked session has an impossible framing")
            }
            Rejection::ChunkMissing { index } => write!(
                f,
                "chunk {index} of the chunked session is missing or belongs to another session"
            ),
            Rejection::ChunkLayout => {
                f.write_str("the chunked session's pieces are not split the canonical way")
            }
            Rejection::Truncated { len } => {
                write!(
                    f,
                    "cookie decodes to {len} bytes, too short for header and tag"
                )
            }
            Rejection::UnknownFormat { format } => {
                write!(f, "unknown cookie format byte {format:#04x}")
            }
            Rejection::UnknownKey { key_id } => {
                write!(f, "cookie signed with unknown key id {key_id}")
            }
            Rejection::BadSignature => f.write_str("cookie signature does not verify"),
            Rejection::WrongVersion { found, expected } => {
                write!(f, "cookie has session version {found}, expected {expected}")
            }
            Rejection::SchemaMismatch { found, expected } => write!(
                f,
                "cookie schema fingerprint hint {found:04x} does not match {expected:016x}"
            ),
            Rejection::IssuedInFuture { ahead } => {
                write!(f, "cookie issued {}s in the future", ahead.as_secs())
            }
            Rejection::AbsoluteExpired { age } => {
                write!(
                    f,
                    "session is {}s old, past its absolute timeout",
                    age.as_secs()
                )
            }
            Rejection::IdleExpired { idle } => {
                write!(
                    f,
                    "session idle for {}s, past its idle timeout",
                    idle.as_secs()
                )
            }
            Rejection::InconsistentTimestamps => f.write_str("cookie timestamps are inconsistent"),
            Rejection::UnknownLifetime { lifetime } => {
                write!(
                    f,
                    "cookie has lifetime {lifetime}, which this configuration does not declare"
                )
            }
            Rejection::Revoked => f.write_str("session revoked by the application"),
            Rejection::Payload { reason } => {
                write!(f, "authentic cookie failed to decode: {reason}")
            }
            Rejection::NeedsAsyncLoad => f.write_str(
                "the configuration has an asynchronous revocation check, which a synchronous \
                 load cannot run: load with `load_async`, `load_cookies_async` or `decode_async`",
            ),
            Rejection::DeviceBinding { reason } => write!(
                f,
                "device-bound session refused without a valid bound cookie: {reason}"
            ),
        }
    }
}

impl std::error::Error for Rejection {}
