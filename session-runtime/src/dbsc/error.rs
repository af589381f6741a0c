//! Why a DBSC proof was refused.

use core::fmt;

/// One of the three segments of a compact JWS (RFC 7515 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JwsPart {
    /// The JOSE header.
    Header,
    /// The claims.
    Payload,
    /// The signature.
    Signature,
}

impl fmt::Display for JwsPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JwsPart::Header => "header",
            JwsPart::Payload => "payload",
            JwsPart::Signature => "signature",
        })
    }
}

/// The `alg` a refused proof claimed, named without copying attacker text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SeenAlgorithm {
    /// `none`: an unsigned token (RFC 7518 §3.6).
    None,
    /// `HS256`: a MAC, which would let anyone who knows the "key" (the
    /// public JWK) forge proofs.
    Hs256,
    /// `RS256`: allowed by the spec, never registered by this library.
    Rs256,
    /// Any other text.
    Other,
}

/// A DBSC proof (the `Secure-Session-Response` JWT) was refused.
///
/// Every variant names what was wrong; none carries attacker-supplied text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// Longer than [`MAX_PROOF_LEN`](super::MAX_PROOF_LEN); not decoded at all.
    TooLong {
        /// Bytes received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not three dot-separated segments (a JWE, a truncated token, or junk).
    NotCompactJws,
    /// A segment is not canonical unpadded base64url (RFC 7515 §2).
    Base64 {
        /// Which segment.
        part: JwsPart,
    },
    /// The header or payload is not the JSON object DBSC defines (bad JSON,
    /// a missing or duplicated member, a member of the wrong type).
    Json {
        /// Which segment.
        part: JwsPart,
    },
    /// `typ` is not `dbsc+jwt`.
    WrongType,
    /// `alg` is not `ES256`, the only algorithm registered.
    WrongAlgorithm {
        /// What the token claimed.
        found: SeenAlgorithm,
    },
    /// The header lists `crit` extensions, none of which we understand
    /// (RFC 7515 §4.1.11 requires refusing them).
    CriticalHeader,
    /// A registration proof without the `jwk` header member.
    MissingKey,
    /// A refresh proof carrying a `jwk`: the spec forbids it ("DBSC Proof JWT
    /// Syntax"), and accepting one invites verifying with the wrong key.
    UnexpectedKey,
    /// The key (from the `jwk`, or stored) is not a usable P-256 public key.
    InvalidKey {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The signature is not 64 bytes, or not valid for this key and input.
    BadSignature,
    /// The `jti` claim is not a challenge we issued for this session and
    /// purpose, or it is too old.
    Challenge(ChallengeError),
    /// The `authorization` claim differs from the value the registration
    /// header carried (or is present when none was sent).
    AuthorizationMismatch,
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofError::TooLong { len, max } => {
                write!(f, "DBSC proof is {len} bytes, over the {max}-byte limit")
            }
            ProofError::NotCompactJws => {
                f.write_str("DBSC proof is not a compact JWS (three base64url segments)")
            }
            ProofError::Base64 { part } => {
                write!(f, "DBSC proof {part} is not canonical unpadded base64url")
            }
            ProofError::Json { part } => {
                write!(
                    f,
                    "DBSC proof {part} is not the JSON object the spec defines"
                )
            }
            ProofError::WrongType => f.write_str("DBSC proof `typ` is not \"dbsc+jwt\""),
            ProofError::WrongAlgorithm { found } => write!(
                f,
                "DBSC proof algorithm {found:?} refused: only ES256 is registered"
            ),
            ProofError::CriticalHeader => {
                f.write_str("DBSC proof has `crit` header extensions we do not understand")
            }
            ProofError::MissingKey => f.write_str("DBSC registration proof has no `jwk`"),
            ProofError::UnexpectedKey => {
                f.write_str("DBSC refresh proof carries a `jwk`; refreshes use the registered key")
            }
            ProofError::InvalidKey { reason } => write!(f, "DBSC device key refused: {reason}"),
            ProofError::BadSignature => {
                f.write_str("DBSC proof signature does not verify with the device key")
            }
            ProofError::Challenge(e) => write!(f, "DBSC proof `jti`: {e}"),
            ProofError::AuthorizationMismatch => f.write_str(
                "DBSC registration proof `authorization` differs from the registration header",
            ),
        }
    }
}

impl std::error::Error for ProofError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProofError::Challenge(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ChallengeError> for ProofError {
    fn from(e: ChallengeError) -> ProofError {
        ProofError::Challenge(e)
    }
}

/// A challenge (a proof's `jti`) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChallengeError {
    /// Not a challenge of ours: wrong length, alphabet or version.
    Malformed,
    /// Not issued with this key for this DBSC session and purpose: forged,
    /// meant for another session (a cross-session proof), for the other
    /// endpoint, or issued under a retired key.
    WrongBinding,
    /// Issued longer ago than the window allows.
    Expired {
        /// Seconds since issue.
        age: u64,
        /// The window's `max_age`.
        max_age: u64,
    },
    /// Issued in the future by more than the allowed skew.
    FromTheFuture {
        /// Seconds ahead of our clock.
        ahead: u64,
        /// The window's `max_skew`.
        max_skew: u64,
    },
}

impl fmt::Display for ChallengeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChallengeError::Malformed => f.write_str("not a challenge issued by this server"),
            ChallengeError::WrongBinding => f.write_str(
                "challenge was not issued with this key for this DBSC session and purpose",
            ),
            ChallengeError::Expired { age, max_age } => {
                write!(f, "challenge is {age} s old, over the {max_age} s window")
            }
            ChallengeError::FromTheFuture { ahead, max_skew } => write!(
                f,
                "challenge is {ahead} s in the future, over the {max_skew} s clock skew allowed"
            ),
        }
    }
}

impl std::error::Error for ChallengeError {}
