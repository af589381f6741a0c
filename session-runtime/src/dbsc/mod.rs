//! Device Bound Session Credentials (W3C WebAppSec DBSC): device-bound sessions.
//!
//! DBSC binds a cookie session to a private key the browser keeps on the device.
//! The browser holds a short-lived *bound cookie*; when it is missing, the
//! browser calls the site's refresh endpoint and proves possession of the key
//! with an ES256-signed JWT. A session type gets it with a [`DeviceBinding`]
//! field and [`SessionConfigBuilder::dbsc`](crate::SessionConfigBuilder::dbsc);
//! the login's response offers the registration, the load path refuses a
//! bound session without its bound cookie, and the endpoints
//! ([`handle_registration`], [`handle_refresh`], [`check_required`]) are
//! served by the adapters' `DbscLayer` (tower, axum) and `DbscMiddleware`
//! (actix-web), or called directly on `http` types. Underneath is a core that
//! needs no framework and no session type: it verifies the browser's proofs,
//! issues and checks stateless challenges and bound cookies, and writes the
//! DBSC header values and JSON. `docs/dbsc.md` has the message flow as
//! Chromium 156 implements it, the message flow as implemented here, and the
//! design.
//!
//! Spec followed: the DBSC editor's draft `spec.bs` at w3c/webappsec-dbsc
//! commit `d34681127abcef5fad67a1fd99cd0849f7b9b4b0` (2026-02-17), checked
//! against what Chromium 156 sends (docs/dbsc.md, "The message flow as Chromium 156
//! implements it").
//! Section names below refer to that draft.
//!
//! | job | type |
//! | --- | --- |
//! | the session field, and the trait the derive implements for it | [`DeviceBinding`], [`DbscSession`] |
//! | the settings of [`SessionConfigBuilder::dbsc`](crate::SessionConfigBuilder::dbsc) | [`DbscSettings`], [`DbscSettingsError`] |
//! | the endpoints and the require policy on `http` types | [`endpoint`], [`handle_registration`], [`handle_refresh`], [`check_required`], [`required_refusal`], [`DbscRefusal`] |
//! | keys for the challenge and bound-cookie MACs, derived from the session [`Key`](crate::Key) | [`DbscKey`] |
//! | what the long-lived signed session must carry | [`SessionId`], [`DeviceKey`], [`DbscState`] |
//! | the stateless challenge (`jti` of every proof) | [`Challenge`] |
//! | the registration endpoint's check | [`RegistrationProof::verify`] |
//! | the refresh endpoint's check | [`RefreshProof::verify`] |
//! | the short-lived bound cookie's value | [`BoundCookie`] |
//! | `Secure-Session-Registration`, `Secure-Session-Challenge`, request headers | [`registration_header`], [`challenge_header`], [`parse_session_id_header`], [`parse_response_header`] |
//! | the session-instructions JSON | [`SessionInstructions`], [`END_SESSION_JSON`] |
//!
//! ```
//! use session_runtime::dbsc::{Challenge, ChallengePurpose, DbscKey, SessionId};
//! use session_runtime::Key;
//!
//! let key = DbscKey::new(&Key::from_secret(&[7; 32]).unwrap());
//! let id = SessionId::from_bytes([1; 16]);
//! let now = 1_800_000_000;
//! let challenge = Challenge::issue(&key, ChallengePurpose::Refresh, &id, now);
//! // The browser signs it as `jti`; the refresh endpoint checks it came from us,
//! // for this session and purpose, within the window:
//! assert!(Challenge::verify(&key, ChallengePurpose::Refresh, challenge.as_str(), &id, now + 5,
//!                           &Default::default()).is_ok());
//! ```

pub(crate) mod binding;
mod bound;
mod challenge;
pub(crate) mod endpoints;
mod error;
mod headers;
mod hooks;
mod instructions;
mod jwk;
mod jws;
mod keys;
mod proof;
pub(crate) mod settings;
mod state;
mod text;

pub use binding::{DbscSession, DeviceBinding};
pub use bound::{BoundCookie, BoundCookieContents, BoundCookieError, BOUND_COOKIE_VALUE_LEN};
pub use challenge::{Challenge, ChallengePurpose, ChallengeWindow, CHALLENGE_LEN};
pub use endpoints::{
    check_required, endpoint, handle_refresh, handle_registration, required_refusal, DbscEndpoint,
    DbscRefusal,
};
pub use error::{ChallengeError, JwsPart, ProofError, SeenAlgorithm};
pub use headers::{
    challenge_header, parse_response_header, parse_session_id_header, registration_header,
    HeaderError,
};
pub use instructions::{SessionInstructions, END_SESSION_JSON};
pub use jwk::DeviceKey;
pub use jws::MAX_PROOF_LEN;
pub use keys::DbscKey;
pub use proof::{RefreshProof, RegistrationProof};
pub use settings::{DbscSettings, DbscSettingsError, MIN_BOUND_LIFETIME};
pub use state::{DbscState, SessionId, SESSION_ID_LEN};

/// The only proof algorithm this library registers and accepts: ECDSA P-256
/// with SHA-256 (RFC 7518 §3.4). The spec also lists `RS256` and `none`
/// ("DBSC Formats"); we never offer them, so a proof claiming either is
/// refused (the algorithm is pinned to what was registered).
pub const ALGORITHM: &str = "ES256";

/// The JOSE `typ` every DBSC proof carries ("DBSC Proof JWT Syntax").
pub const PROOF_TYPE: &str = "dbsc+jwt";
