//! The DBSC endpoints and the "require a bound session" policy, on `http`
//! types, for any framework: the axum/tower layers and the actix-web
//! middleware are thin wrappers around these (docs/dbsc.md, "The message flow
//! as implemented").
//!
//! Status codes follow the draft's "Send request" algorithm as Chromium 156
//! implements it: on a refresh, `403` with a `Secure-Session-Challenge` makes
//! the browser sign that challenge and retry at once, and any other `4xx`
//! (but `407`/`429`) ends the browser's DBSC session; on a registration, any
//! error status means "not registered". Every answer carries
//! `Cache-Control: no-store`, and none carries CORS headers.

use core::fmt;

use http::header::{HeaderName, CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};

use super::binding::{DbscSession, DeviceBinding};
use super::bound::BoundCookie;
use super::challenge::{Challenge, ChallengePurpose};
use super::error::{ChallengeError, ProofError};
use super::headers::HeaderError;
use super::headers::{challenge_header, parse_response_header, parse_session_id_header};
use super::instructions::SessionInstructions;
use super::jwk::DeviceKey;
use super::keys::DbscKey;
use super::proof::{RefreshProof, RegistrationProof};
use super::settings::DbscConfig;
use super::state::{DbscState, SessionId};
use crate::config::SessionConfig;
use crate::session::Session;

/// `Secure-Session-Response`: the browser's proof (a JWT).
const RESPONSE: HeaderName = HeaderName::from_static("secure-session-response");
/// `Sec-Secure-Session-Id`: the DBSC session a refresh is for.
const SESSION_ID: HeaderName = HeaderName::from_static("sec-secure-session-id");
/// `Secure-Session-Challenge`: a challenge for the browser to sign.
const CHALLENGE: HeaderName = HeaderName::from_static("secure-session-challenge");
/// `Cross-Origin-Resource-Policy`: the draft ("Server considerations")
/// recommends keeping the refresh endpoint's answers from other origins,
/// whose timing would tell whether the user is logged in.
const CORP: HeaderName = HeaderName::from_static("cross-origin-resource-policy");

/// Which DBSC endpoint a request is for ([`endpoint`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DbscEndpoint {
    /// `POST` to the registration path: [`handle_registration`].
    Registration,
    /// `POST` to the refresh path: [`handle_refresh`].
    Refresh,
}

/// The DBSC endpoint a request with this method and path is for, if any:
/// only `POST` to the configured paths (query strings are not part of
/// `path`). `None` for every request when the configuration does not turn
/// DBSC on.
pub fn endpoint<T: DbscSession>(
    config: &SessionConfig<T>,
    method: &Method,
    path: &str,
) -> Option<DbscEndpoint> {
    let dbsc = config.inner.dbsc.as_ref()?;
    if method != Method::POST {
        return None;
    }
    if path == dbsc.registration_path {
        Some(DbscEndpoint::Registration)
    } else if path == dbsc.refresh_path {
        Some(DbscEndpoint::Refresh)
    } else {
        None
    }
}

/// Why a DBSC endpoint or [`check_required`] refused a request. The
/// endpoints put it into their response's extensions (and the body says it
/// in words); the adapters log it, as a warning when
/// [`is_suspicious`](Self::is_suspicious).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DbscRefusal {
    /// The configuration does not turn DBSC on ([`SessionConfigBuilder::dbsc`](crate::SessionConfigBuilder::dbsc)).
    NotConfigured,
    /// A registration for a session whose registration is not pending: no
    /// login offered one, it is already bound, or the long-lived cookie is
    /// missing or was refused.
    NotPending,
    /// A refresh for a session that is not bound to a device: logged out,
    /// logged in again, never registered, or the long-lived cookie is
    /// missing or was refused. The `401` ends the browser's DBSC session.
    NotBound,
    /// A request header DBSC needs is absent.
    MissingHeader {
        /// Which.
        header: &'static str,
    },
    /// A DBSC request header is malformed.
    Header(HeaderError),
    /// The refresh names another DBSC session than the long-lived cookie's.
    WrongSession,
    /// The browser's proof was refused (forged, replayed past its window,
    /// for another session, signed by another key, not ES256, ...).
    Proof(ProofError),
    /// A route that requires a bound session, and the session has no
    /// binding: DBSC was not offered, or this browser does not support it.
    Unbound,
    /// A route that requires a bound session, and the session's registration
    /// has been pending longer than the grace period: the browser did not
    /// register (no DBSC support, or the registration failed).
    PendingTooLong {
        /// Seconds since the registration was offered.
        age: u64,
        /// The configured grace period, in seconds.
        grace: u64,
    },
}

impl DbscRefusal {
    /// Whether only a forger or a thief sends such a request (a proof that
    /// does not verify, a refresh for another session, malformed DBSC
    /// headers), as opposed to an ordinary logged-out or unsupported browser.
    pub fn is_suspicious(&self) -> bool {
        matches!(
            self,
            DbscRefusal::Proof(_) | DbscRefusal::WrongSession | DbscRefusal::Header(_)
        )
    }
}

impl fmt::Display for DbscRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbscRefusal::NotConfigured => {
                f.write_str("device-bound sessions (DBSC) are not configured for this session type")
            }
            DbscRefusal::NotPending => {
                f.write_str("DBSC registration refused: the session has no pending registration")
            }
            DbscRefusal::NotBound => {
                f.write_str("DBSC refresh refused: the session is not bound to a device")
            }
            DbscRefusal::MissingHeader { header } => {
                write!(f, "DBSC request refused: no `{header}` header")
            }
            DbscRefusal::Header(err) => write!(f, "DBSC request refused: {err}"),
            DbscRefusal::WrongSession => {
                f.write_str("DBSC refresh refused: `Sec-Secure-Session-Id` names another session")
            }
            DbscRefusal::Proof(err) => write!(f, "DBSC proof refused: {err}"),
            DbscRefusal::Unbound => {
                f.write_str("this route needs a device-bound session (DBSC), and this one is not")
            }
            DbscRefusal::PendingTooLong { age, grace } => write!(
                f,
                "this route needs a device-bound session (DBSC); the registration offered {age} s \
                 ago never completed (grace period {grace} s)"
            ),
        }
    }
}

impl std::error::Error for DbscRefusal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DbscRefusal::Header(err) => Some(err),
            DbscRefusal::Proof(err) => Some(err),
            _ => None,
        }
    }
}

/// Answers the browser's registration (`POST` to the registration path,
/// docs/dbsc.md, "The message flow as implemented") for `session`, the request's session
/// as the session layer loaded it; `request` is the request's headers.
///
/// The session must be pending (its login offered the registration); the
/// `Secure-Session-Response` proof must be an ES256 JWT whose `jti` is the
/// registration challenge issued for its DBSC id within the challenge
/// window, signed by the key in its own `jwk`. Then the session becomes
/// bound to that key (`session` is changed: the layer stores it), and the
/// answer is `200` with the session-instructions JSON and the first bound
/// cookie. Otherwise `400` (the browser gives up; the session keeps working
/// unbound, and routes that require a bound session refuse it once the
/// grace period is over), with the [`DbscRefusal`] in the body and in the
/// response's extensions. `404` when the configuration has no DBSC.
pub fn handle_registration<T: DbscSession>(
    config: &SessionConfig<T>,
    request: &HeaderMap,
    session: &mut Session<T>,
) -> Response<String> {
    let Some(dbsc) = config.inner.dbsc.as_ref() else {
        return refusal(StatusCode::NOT_FOUND, DbscRefusal::NotConfigured);
    };
    match register(config, dbsc, request, session) {
        Ok(response) => response,
        Err(refused) => refusal(StatusCode::BAD_REQUEST, refused),
    }
}

fn register<T: DbscSession>(
    config: &SessionConfig<T>,
    dbsc: &DbscConfig<T>,
    request: &HeaderMap,
    session: &mut Session<T>,
) -> Result<Response<String>, DbscRefusal> {
    let Some(DbscState::Pending { id, .. }) = dbsc.binding(session).state().copied() else {
        return Err(DbscRefusal::NotPending);
    };
    let token = proof_header(request)?;
    let now = config.now_ms() / 1000;
    let proof = verify_with_any(&dbsc.keys, |key| {
        RegistrationProof::verify(key, token, &id, None, now, &dbsc.window)
    })
    .map_err(DbscRefusal::Proof)?;
    binding_mut(dbsc, session).set(Some(DbscState::Bound {
        id,
        key: proof.device_key(),
    }));
    let instructions = dbsc.excluded_paths.iter().fold(
        SessionInstructions::new(
            &id,
            &dbsc.refresh_path,
            &dbsc.bound_name,
            &dbsc.bound_attributes,
        ),
        |instructions, path| instructions.exclude_path(path),
    );
    let mut response = answer(StatusCode::OK, instructions.to_json());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.append(
        SET_COOKIE,
        bound_cookie(dbsc, &id, &proof.device_key(), now),
    );
    Ok(response)
}

/// Answers a refresh (`POST` to the refresh path, docs/dbsc.md,
/// "The message flow as implemented") from the request's headers alone: the long-lived
/// session is loaded here, without the bound-cookie check (the bound cookie
/// is what is being renewed), but with every other check, an asynchronous
/// revocation check included.
///
/// - the session must be bound, and `Sec-Secure-Session-Id` must name its
///   DBSC id: else `401`, which ends the browser's DBSC session;
/// - no `Secure-Session-Response` yet, or a proof of a challenge that is too
///   old (or from the future): `403` with a new `Secure-Session-Challenge`,
///   which the browser signs and sends at once;
/// - a proof that verifies (ES256, no `jwk`, a refresh challenge issued for
///   this DBSC id within the window, signed by the registered device key):
///   `200`, an empty body (the browser keeps the session's configuration)
///   and a new bound cookie;
/// - any other proof: `401`.
///
/// Refusals carry a [`DbscRefusal`] in the body and the response's
/// extensions. `404` when the configuration has no DBSC.
pub async fn handle_refresh<T: DbscSession>(
    config: &SessionConfig<T>,
    request: &HeaderMap,
) -> Response<String> {
    let Some(dbsc) = config.inner.dbsc.as_ref() else {
        return refusal(StatusCode::NOT_FOUND, DbscRefusal::NotConfigured);
    };
    let cookies: Vec<&[u8]> = request
        .get_all(http::header::COOKIE)
        .iter()
        .map(HeaderValue::as_bytes)
        .collect();
    let bound = config.bound_cookie_values(&cookies);
    let loaded = config.load_cookies_unchecked(cookies);
    let was_bound = dbsc.binding(&loaded).is_bound();
    // A proactive refresh (the bound cookie still lives) may come right
    // after a concurrent response stored the session as still pending.
    let session = config.heal_pending(loaded, &bound);
    let healed = !was_bound && dbsc.binding(&session).is_bound();
    let session = config.check_revocation_async(session).await;
    let mut response = match refresh(config, dbsc, request, &session) {
        Ok(response) => response,
        Err(refused) => refusal(StatusCode::UNAUTHORIZED, refused),
    };
    if healed {
        // The long-lived cookie is written bound again. Nothing else is
        // written here (no idle refresh, no re-keying): refreshes run
        // concurrently with the app's requests, and a stale copy of the
        // session must not overwrite their changes. On failure the next
        // request heals it.
        let _ = config.store(&session, response.headers_mut());
    }
    response
        .headers_mut()
        .insert(CORP, HeaderValue::from_static("same-origin"));
    response
}

fn refresh<T: DbscSession>(
    config: &SessionConfig<T>,
    dbsc: &DbscConfig<T>,
    request: &HeaderMap,
    session: &Session<T>,
) -> Result<Response<String>, DbscRefusal> {
    let Some(DbscState::Bound {
        id,
        key: device_key,
    }) = dbsc.binding(session).state().copied()
    else {
        return Err(DbscRefusal::NotBound);
    };
    let named = request
        .get(SESSION_ID)
        .ok_or(DbscRefusal::MissingHeader {
            header: "Sec-Secure-Session-Id",
        })?
        .to_str()
        .map_err(|_| {
            DbscRefusal::Header(HeaderError::Malformed {
                header: "Sec-Secure-Session-Id",
            })
        })?;
    if parse_session_id_header(named).map_err(DbscRefusal::Header)? != id {
        return Err(DbscRefusal::WrongSession);
    }
    let now = config.now_ms() / 1000;
    if request.get(RESPONSE).is_none() {
        // The first request of a refresh: ask for a proof.
        return Ok(challenge(dbsc, &id, now));
    }
    let token = proof_header(request)?;
    let verified = verify_with_any(&dbsc.keys, |key| {
        RefreshProof::verify(key, token, &device_key, &id, now, &dbsc.window)
    });
    match verified {
        Ok(_) => {
            let mut response = answer(StatusCode::OK, String::new());
            response
                .headers_mut()
                .append(SET_COOKIE, bound_cookie(dbsc, &id, &device_key, now));
            Ok(response)
        }
        // Ours and authentic, only stale (a proof the browser cached for an
        // old challenge): one more round trip with a fresh challenge.
        Err(ProofError::Challenge(
            ChallengeError::Expired { .. } | ChallengeError::FromTheFuture { .. },
        )) => Ok(challenge(dbsc, &id, now)),
        Err(err) => Err(DbscRefusal::Proof(err)),
    }
}

/// The "require" policy (docs/dbsc.md, "Policy for browsers without DBSC")
/// for `session`, as the session layer loaded it: `Ok` when it is bound
/// (the load already checked its bound cookie: a bound session without a
/// valid one is loaded as refused and fresh), or when its registration is
/// pending since at most the grace period (the first pages after login, while
/// the browser registers). Else the refusal, which the adapters answer with
/// `403` ([`DbscRefusal::NotConfigured`]: `500`, a server mistake).
pub fn check_required<T: DbscSession>(
    config: &SessionConfig<T>,
    session: &Session<T>,
) -> Result<(), DbscRefusal> {
    let dbsc = config
        .inner
        .dbsc
        .as_ref()
        .ok_or(DbscRefusal::NotConfigured)?;
    match dbsc.binding(session).state() {
        Some(DbscState::Bound { .. }) => Ok(()),
        Some(DbscState::Pending { since, .. }) => {
            let age = (config.now_ms() / 1000).saturating_sub(*since);
            if age <= dbsc.pending_grace_secs {
                Ok(())
            } else {
                Err(DbscRefusal::PendingTooLong {
                    age,
                    grace: dbsc.pending_grace_secs,
                })
            }
        }
        _ => Err(DbscRefusal::Unbound),
    }
}

/// The response the adapters give a route that [`check_required`] refused:
/// `403` (or `500` for [`DbscRefusal::NotConfigured`]) with the reason as
/// text and the refusal in the extensions. `403`, not `401`: the session is
/// known and refused for this route, and no HTTP authentication scheme
/// applies (RFC 9110, 15.5.2, requires a `WWW-Authenticate` challenge with
/// every `401`).
pub fn required_refusal(refused: DbscRefusal) -> Response<String> {
    let status = if refused == DbscRefusal::NotConfigured {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::FORBIDDEN
    };
    refusal(status, refused)
}

/// Tries `verify` with each configured key, the signing key first, and
/// returns the first success. Only a challenge another key may have issued
/// (`WrongBinding`) moves on to the next key; every other error is final:
/// parsing and header errors do not depend on the key, and the later ones
/// (expiry, signature, `authorization`) come after this key's challenge tag
/// verified. So the ECDSA check runs at most once per request.
fn verify_with_any<R>(
    keys: &[DbscKey],
    mut verify: impl FnMut(&DbscKey) -> Result<R, ProofError>,
) -> Result<R, ProofError> {
    let mut last = ProofError::Challenge(ChallengeError::WrongBinding);
    for key in keys {
        match verify(key) {
            Ok(verified) => return Ok(verified),
            Err(ProofError::Challenge(ChallengeError::WrongBinding)) => {
                last = ProofError::Challenge(ChallengeError::WrongBinding);
            }
            Err(err) => return Err(err),
        }
    }
    Err(last)
}

/// The proof from `Secure-Session-Response`.
fn proof_header(request: &HeaderMap) -> Result<&str, DbscRefusal> {
    const HEADER: &str = "Secure-Session-Response";
    let value = request
        .get(RESPONSE)
        .ok_or(DbscRefusal::MissingHeader { header: HEADER })?;
    let text = value
        .to_str()
        .map_err(|_| DbscRefusal::Header(HeaderError::Malformed { header: HEADER }))?;
    parse_response_header(text).map_err(DbscRefusal::Header)
}

/// `403` with a new refresh challenge for `id`.
fn challenge<T>(dbsc: &DbscConfig<T>, id: &SessionId, now: u64) -> Response<String> {
    let challenge = Challenge::issue(dbsc.signing_key(), ChallengePurpose::Refresh, id, now);
    let mut response = answer(StatusCode::FORBIDDEN, String::new());
    let value = HeaderValue::try_from(challenge_header(&challenge, id))
        .expect("base64url and quotes are a valid header value");
    response.headers_mut().insert(CHALLENGE, value);
    response
}

/// The `Set-Cookie` of a new bound cookie for `id`, valid for the
/// configured lifetime from `now`.
fn bound_cookie<T>(
    dbsc: &DbscConfig<T>,
    id: &SessionId,
    device_key: &DeviceKey,
    now: u64,
) -> HeaderValue {
    let expires_at = now.saturating_add(dbsc.bound_lifetime_secs);
    let value = BoundCookie::issue(dbsc.signing_key(), id, device_key, expires_at);
    let text = format!("{}={value}{}", dbsc.bound_name, dbsc.bound_tail);
    HeaderValue::try_from(text).expect("a validated cookie name, base64url and attributes")
}

fn binding_mut<'a, T>(dbsc: &DbscConfig<T>, session: &'a mut Session<T>) -> &'a mut DeviceBinding {
    (dbsc.access.get_mut)(session.get_mut())
}

/// A response with `body` and `Cache-Control: no-store`.
fn answer(status: StatusCode, body: String) -> Response<String> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A refusal: its text as the body, itself in the extensions.
fn refusal(status: StatusCode, refused: DbscRefusal) -> Response<String> {
    let mut response = answer(status, refused.to_string());
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response.extensions_mut().insert(refused);
    response
}
