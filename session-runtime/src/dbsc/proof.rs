//! Verifying the browser's proofs: the `Secure-Session-Response` JWT sent to
//! the registration and refresh endpoints ("DBSC Proof JWT Syntax").

use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use serde::de::IgnoredAny;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use super::challenge::{Challenge, ChallengePurpose, ChallengeWindow};
use super::error::{JwsPart, ProofError, SeenAlgorithm};
use super::jwk::{DeviceKey, Jwk};
use super::jws;
use super::keys::DbscKey;
use super::state::SessionId;
use super::{ALGORITHM, PROOF_TYPE};

/// The JOSE header members DBSC defines. Unknown members are ignored; a
/// duplicated known member is refused by the JSON parser.
#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    jwk: Option<Jwk>,
    #[serde(default)]
    crit: Option<IgnoredAny>,
}

/// The claims DBSC defines. The current draft has no `aud` or `iat`, and
/// Chromium 156 sends neither; freshness comes from our MAC'd challenge.
#[derive(Deserialize)]
struct Claims {
    jti: String,
    #[serde(default)]
    authorization: Option<String>,
}

/// What the registration endpoint learned from a valid proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationProof {
    device_key: DeviceKey,
    challenge_issued_at: u64,
}

impl RegistrationProof {
    /// Verifies a registration proof (the `Secure-Session-Response` value,
    /// unquoted by [`parse_response_header`](super::parse_response_header)).
    ///
    /// Checks, in this order (cheap checks first, the signature last):
    /// size and shape; `alg` is `ES256` (pinned: `none`, `HS256`, `RS256` and
    /// everything else refused); `typ` is `dbsc+jwt`; no `crit`; a `jwk`
    /// holding a valid P-256 public key; `jti` is a registration challenge
    /// we issued for `id` within `window` of `now` (Unix seconds);
    /// `authorization` equals what the registration header carried (absent
    /// when it carried none); and the signature, by the JWK's own key, which
    /// proves the browser holds the private key it registers.
    pub fn verify(
        key: &DbscKey,
        token: &str,
        id: &SessionId,
        authorization: Option<&str>,
        now: u64,
        window: &ChallengeWindow,
    ) -> Result<RegistrationProof, ProofError> {
        let jws = jws::parse(token)?;
        let header = parse_header(&jws.header)?;
        let jwk = header.jwk.ok_or(ProofError::MissingKey)?;
        let (verifying_key, device_key) = jwk.to_key()?;
        let claims = parse_claims(&jws.payload)?;
        let challenge_issued_at = Challenge::verify(
            key,
            ChallengePurpose::Registration,
            &claims.jti,
            id,
            now,
            window,
        )?;
        let authorization_matches = match (authorization, claims.authorization.as_deref()) {
            (None, None) => true,
            (Some(expected), Some(got)) => bool::from(expected.as_bytes().ct_eq(got.as_bytes())),
            _ => false,
        };
        if !authorization_matches {
            return Err(ProofError::AuthorizationMismatch);
        }
        verify_signature(&verifying_key, jws.signing_input, &jws.signature)?;
        Ok(RegistrationProof {
            device_key,
            challenge_issued_at,
        })
    }

    /// The device's public key, to store in the signed session.
    pub fn device_key(&self) -> DeviceKey {
        self.device_key
    }

    /// When the signed challenge was issued (Unix seconds).
    pub fn challenge_issued_at(&self) -> u64 {
        self.challenge_issued_at
    }
}

/// What the refresh endpoint learned from a valid proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshProof {
    challenge_issued_at: u64,
}

impl RefreshProof {
    /// Verifies a refresh proof with the device key stored in the long-lived
    /// session for DBSC session `id`.
    ///
    /// Checks, in this order: size and shape; `alg` is `ES256`; `typ` is
    /// `dbsc+jwt`; no `crit`; *no* `jwk` (a refresh is verified with the
    /// registered key only, never one the request brings); `jti` is a refresh
    /// challenge we issued for `id` within `window` of `now`; and the
    /// signature by `device_key`. A proof signed by any other key (another
    /// session's, an attacker's) fails the last step.
    pub fn verify(
        key: &DbscKey,
        token: &str,
        device_key: &DeviceKey,
        id: &SessionId,
        now: u64,
        window: &ChallengeWindow,
    ) -> Result<RefreshProof, ProofError> {
        let jws = jws::parse(token)?;
        let header = parse_header(&jws.header)?;
        if header.jwk.is_some() {
            return Err(ProofError::UnexpectedKey);
        }
        let claims = parse_claims(&jws.payload)?;
        let challenge_issued_at =
            Challenge::verify(key, ChallengePurpose::Refresh, &claims.jti, id, now, window)?;
        verify_signature(
            &device_key.verifying_key()?,
            jws.signing_input,
            &jws.signature,
        )?;
        Ok(RefreshProof {
            challenge_issued_at,
        })
    }

    /// When the signed challenge was issued (Unix seconds).
    pub fn challenge_issued_at(&self) -> u64 {
        self.challenge_issued_at
    }
}

/// Parses the header and checks what both proofs share: `alg`, `typ`, `crit`.
fn parse_header(json: &[u8]) -> Result<Header, ProofError> {
    let header: Header = serde_json::from_slice(json).map_err(|_| ProofError::Json {
        part: JwsPart::Header,
    })?;
    // The algorithm first: a token claiming `none` is reported as such,
    // whatever else is wrong with it.
    if header.alg != ALGORITHM {
        let found = match header.alg.as_str() {
            "none" => SeenAlgorithm::None,
            "HS256" => SeenAlgorithm::Hs256,
            "RS256" => SeenAlgorithm::Rs256,
            _ => SeenAlgorithm::Other,
        };
        return Err(ProofError::WrongAlgorithm { found });
    }
    if header.typ.as_deref() != Some(PROOF_TYPE) {
        return Err(ProofError::WrongType);
    }
    if header.crit.is_some() {
        return Err(ProofError::CriticalHeader);
    }
    Ok(header)
}

fn parse_claims(json: &[u8]) -> Result<Claims, ProofError> {
    serde_json::from_slice(json).map_err(|_| ProofError::Json {
        part: JwsPart::Payload,
    })
}

/// ES256: the JWS signature is `r ‖ s`, 32 bytes each (RFC 7518 §3.4), not DER.
fn verify_signature(key: &VerifyingKey, input: &[u8], signature: &[u8]) -> Result<(), ProofError> {
    // `from_slice` refuses any length but 64 and r or s of zero or ≥ n.
    let signature = Signature::from_slice(signature).map_err(|_| ProofError::BadSignature)?;
    key.verify(input, &signature)
        .map_err(|_| ProofError::BadSignature)
}

#[cfg(test)]
mod tests;
