//! The stateless challenge: a MAC'd timestamp bound to one DBSC session and
//! one purpose, which the browser signs as the proof's `jti`.
//!
//! The server keeps no list of issued challenges: the challenge carries its
//! issue time, and its tag proves we issued it for this session id and
//! purpose. The price is that a challenge is not single-use: a captured proof
//! verifies again until its challenge ages out of the window (the replay
//! bound, docs/dbsc.md). Chromium itself re-sends a cached proof for an
//! unchanged challenge (the spec allows reusing a signature "if all inputs are
//! the same", "Send request"), so a single-use rule would also break honest
//! browsers.

use core::fmt;

use subtle::ConstantTimeEq as _;

use super::error::ChallengeError;
use super::keys::DbscKey;
use super::state::SessionId;
use super::text;

/// Format version, first byte of every challenge.
const VERSION: u8 = 1;
/// Bytes of the truncated HMAC-SHA256 tag: 128 bits, the security level of
/// the rest of the scheme (NIST SP 800-107 §5.3.3 allows truncating HMAC to
/// any length of at least 32 bits when the forging bound suits; 2^-128 does).
const TAG_LEN: usize = 16;
/// Raw bytes: version, issue time (u64 big-endian), tag.
const RAW_LEN: usize = 1 + 8 + TAG_LEN;
/// Characters of a challenge: unpadded base64url of 25 bytes.
pub const CHALLENGE_LEN: usize = 34;
const _: () = assert!(super::text::decoded_len(CHALLENGE_LEN).unwrap() == RAW_LEN);
/// Domain separation inside the challenge key's MAC input.
const LABEL: &[u8] = b"session-runtime/dbsc/challenge";

/// Which endpoint a challenge is for. Part of the MAC input, so a challenge
/// issued for registration is refused at refresh and the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChallengePurpose {
    /// In `Secure-Session-Registration` at login; signed in the registration proof.
    Registration,
    /// In `Secure-Session-Challenge` from the refresh endpoint (or pre-sent
    /// on any response); signed in the refresh proof.
    Refresh,
}

impl ChallengePurpose {
    const fn tag_byte(self) -> u8 {
        match self {
            ChallengePurpose::Registration => 1,
            ChallengePurpose::Refresh => 2,
        }
    }
}

/// How old a challenge may be when its proof arrives.
///
/// The defaults suit challenges sent on the response that asks for the proof
/// (the 403 of the refresh endpoint, the login response): the browser signs
/// within a second or two, even on a slow TPM. A challenge sent ahead of time
/// (`Secure-Session-Challenge` on a refresh response, used at the *next*
/// refresh) is as old as the bound cookie's lifetime when it comes back; with
/// a shorter `max_age` the refresh endpoint answers 403 with a fresh one and
/// the browser retries once ("Send request", step on status 403), which is
/// correct, just one round trip slower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChallengeWindow {
    /// Seconds after issue a proof is still accepted. This is the replay
    /// bound: a captured proof keeps working this long.
    pub max_age: u64,
    /// Seconds a challenge may seem to come from the future, for replicas
    /// whose clocks disagree.
    pub max_skew: u64,
}

impl Default for ChallengeWindow {
    /// `max_age` 120 s, `max_skew` 60 s (the cookie path's
    /// [`DEFAULT_MAX_CLOCK_SKEW`](crate::defaults::MAX_CLOCK_SKEW); a test
    /// keeps the two equal, and this module does not import the
    /// configuration, which sits above it in docs/architecture.md).
    fn default() -> ChallengeWindow {
        ChallengeWindow {
            max_age: 120,
            max_skew: 60,
        }
    }
}

/// A challenge we issued: 34 characters of base64url, safe in an
/// `sf-string`, a JSON string and a JWT claim unescaped.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Challenge(String);

impl Challenge {
    /// Issues a challenge for `id` and `purpose` at `now` (Unix seconds).
    /// Deterministic: the same inputs give the same text, which lets the
    /// browser reuse a cached proof within the second.
    pub fn issue(key: &DbscKey, purpose: ChallengePurpose, id: &SessionId, now: u64) -> Challenge {
        let mut raw = [0u8; RAW_LEN];
        raw[0] = VERSION;
        raw[1..9].copy_from_slice(&now.to_be_bytes());
        let tag = tag(key, purpose, id, &raw[..9]);
        raw[9..].copy_from_slice(&tag);
        Challenge(text::encode(&raw))
    }

    /// The text to send (and to expect as `jti`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks that `challenge` was issued by a holder of `key` for `id` and
    /// `purpose`, and is within `window` of `now` (Unix seconds). Returns its
    /// issue time.
    ///
    /// The tag is compared in constant time before the time is looked at, so
    /// the reported ages are of authentic challenges only.
    pub fn verify(
        key: &DbscKey,
        purpose: ChallengePurpose,
        challenge: &str,
        id: &SessionId,
        now: u64,
        window: &ChallengeWindow,
    ) -> Result<u64, ChallengeError> {
        let raw: [u8; RAW_LEN] =
            text::decode_array(challenge.as_bytes()).ok_or(ChallengeError::Malformed)?;
        if raw[0] != VERSION {
            return Err(ChallengeError::Malformed);
        }
        let expected = tag(key, purpose, id, &raw[..9]);
        if !bool::from(expected.ct_eq(&raw[9..])) {
            return Err(ChallengeError::WrongBinding);
        }
        let issued_at = u64::from_be_bytes(raw[1..9].try_into().expect("8 bytes"));
        if issued_at > now {
            let ahead = issued_at - now;
            if ahead > window.max_skew {
                return Err(ChallengeError::FromTheFuture {
                    ahead,
                    max_skew: window.max_skew,
                });
            }
        } else if now - issued_at > window.max_age {
            return Err(ChallengeError::Expired {
                age: now - issued_at,
                max_age: window.max_age,
            });
        }
        Ok(issued_at)
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Challenge({})", self.0)
    }
}

fn tag(key: &DbscKey, purpose: ChallengePurpose, id: &SessionId, head: &[u8]) -> [u8; TAG_LEN] {
    let full = key.challenge_tag(&[LABEL, &[purpose.tag_byte()], &id.to_bytes(), head]);
    let mut out = [0u8; TAG_LEN];
    out.copy_from_slice(&full[..TAG_LEN]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Key;

    const NOW: u64 = 1_800_000_000;

    fn key(seed: u8) -> DbscKey {
        DbscKey::new(&Key::from_secret(&[seed; 32]).unwrap())
    }

    fn verify(
        key: &DbscKey,
        purpose: ChallengePurpose,
        c: &str,
        id: &SessionId,
        now: u64,
    ) -> Result<u64, ChallengeError> {
        Challenge::verify(key, purpose, c, id, now, &ChallengeWindow::default())
    }

    const REF: ChallengePurpose = ChallengePurpose::Refresh;
    const REG: ChallengePurpose = ChallengePurpose::Registration;
    const ID: SessionId = SessionId::from_bytes([5; 16]);

    #[test]
    fn the_default_skew_is_the_cookie_paths() {
        assert_eq!(
            ChallengeWindow::default().max_skew,
            crate::config::DEFAULT_MAX_CLOCK_SKEW.as_secs()
        );
    }

    #[test]
    fn issued_challenges_verify_within_the_window() {
        let k = key(1);
        let c = Challenge::issue(&k, REF, &ID, NOW);
        assert_eq!(c.as_str().len(), CHALLENGE_LEN);
        assert_eq!(verify(&k, REF, c.as_str(), &ID, NOW), Ok(NOW));
        assert_eq!(verify(&k, REF, c.as_str(), &ID, NOW + 120), Ok(NOW));
        assert_eq!(verify(&k, REF, c.as_str(), &ID, NOW - 60), Ok(NOW), "skew");
        // Deterministic, so a browser's cached proof stays valid.
        assert_eq!(c, Challenge::issue(&k, REF, &ID, NOW));
        assert_ne!(c, Challenge::issue(&k, REF, &ID, NOW + 1));
    }

    #[test]
    fn expired_and_future_challenges_are_refused_with_their_age() {
        let k = key(1);
        let c = Challenge::issue(&k, REF, &ID, NOW);
        assert_eq!(
            verify(&k, REF, c.as_str(), &ID, NOW + 121),
            Err(ChallengeError::Expired {
                age: 121,
                max_age: 120
            })
        );
        assert_eq!(
            verify(&k, REF, c.as_str(), &ID, NOW - 61),
            Err(ChallengeError::FromTheFuture {
                ahead: 61,
                max_skew: 60
            })
        );
        let strict = ChallengeWindow {
            max_age: 0,
            max_skew: 0,
        };
        assert!(Challenge::verify(&k, REF, c.as_str(), &ID, NOW, &strict).is_ok());
        assert!(Challenge::verify(&k, REF, c.as_str(), &ID, NOW + 1, &strict).is_err());
        // Extreme clocks do not overflow.
        let late = Challenge::issue(&k, REF, &ID, u64::MAX);
        assert!(matches!(
            verify(&k, REF, late.as_str(), &ID, 0),
            Err(ChallengeError::FromTheFuture {
                ahead: u64::MAX,
                ..
            })
        ));
        let early = Challenge::issue(&k, REF, &ID, 0);
        assert!(matches!(
            verify(&k, REF, early.as_str(), &ID, u64::MAX),
            Err(ChallengeError::Expired { age: u64::MAX, .. })
        ));
    }

    #[test]
    fn other_session_purpose_or_key_is_a_wrong_binding() {
        let k = key(1);
        let c = Challenge::issue(&k, REF, &ID, NOW);
        let other = SessionId::from_bytes([6; 16]);
        assert_eq!(
            verify(&k, REF, c.as_str(), &other, NOW),
            Err(ChallengeError::WrongBinding)
        );
        assert_eq!(
            verify(&k, REG, c.as_str(), &ID, NOW),
            Err(ChallengeError::WrongBinding)
        );
        assert_eq!(
            verify(&key(2), REF, c.as_str(), &ID, NOW),
            Err(ChallengeError::WrongBinding)
        );
    }

    #[test]
    fn tampering_and_junk_are_refused() {
        let k = key(1);
        let c = Challenge::issue(&k, REF, &ID, NOW);
        let mut raw: [u8; RAW_LEN] = text::decode_array(c.as_str().as_bytes()).unwrap();
        // A moved timestamp (to extend the window) breaks the tag.
        raw[8] ^= 1;
        assert_eq!(
            verify(&k, REF, &text::encode(&raw), &ID, NOW),
            Err(ChallengeError::WrongBinding)
        );
        raw[8] ^= 1;
        raw[0] = 2;
        assert_eq!(
            verify(&k, REF, &text::encode(&raw), &ID, NOW),
            Err(ChallengeError::Malformed)
        );
        for junk in [
            "",
            "c-reg-1",
            &c.as_str()[..33],
            &format!("{}A", c.as_str()),
            &format!("+{}", &c.as_str()[1..]),
        ] {
            assert!(verify(&k, REF, junk, &ID, NOW).is_err(), "{junk:?}");
        }
        // Every single-character change is refused.
        let text = c.as_str().as_bytes();
        for i in 0..text.len() {
            let mut changed = text.to_vec();
            changed[i] = if changed[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(changed).unwrap();
            assert!(verify(&k, REF, &changed, &ID, NOW).is_err(), "position {i}");
        }
    }
}
