//! Loading: raw `Cookie` header values → the best authentic candidate →
//! [`Session`]. No `http` types here (see `http.rs`), so servers without the
//! `http` crate and edge runtimes use the same path.

use crate::codec::scratch::with_scratch;
use crate::codec::{Codec, Opened};
use crate::cookie::cookie_values;
use crate::key::KeyRole;
use crate::lifetime::Lifetime;
use crate::limits::BROWSER_COOKIE_LIMIT;
use crate::reject::Rejection;
use crate::session::{LoadStatus, Origin, Session};
use crate::{CookieSession, SessionConfig};

/// At most this many cookies of the session's name are examined per request.
/// Browsers send duplicates when paths or domains differ (RFC 6265 §5.4 orders
/// longer paths first, so a planted cookie with a longer `Path` comes first);
/// an attacker who can plant cookies could send thousands. Each candidate first
/// gets the cheap checks (length, canonical base64url, format, known key id),
/// which cost no MAC; see [`MAX_VERIFIED_CANDIDATES`] for the MAC bound.
pub const MAX_CANDIDATE_COOKIES: usize = 32;

/// At most this many candidates per request get the MAC check (or AEAD
/// decryption): the bound on cryptographic work an attacker can cause. It
/// exceeds the 16 planted, well-formed but forged cookies that SECURITY.md
/// promises cannot hide the genuine one (each costs one MAC; a full-size
/// cookie's MAC is about 2.5 µs, so the worst case is about 50 µs per request).
pub const MAX_VERIFIED_CANDIDATES: usize = 20;

impl<T: CookieSession> SessionConfig<T> {
    /// Loads from raw `Cookie` header values, for servers that do not use the
    /// `http` crate.
    ///
    /// Every cookie of the session's name is a candidate (at most
    /// [`MAX_CANDIDATE_COOKIES`], and at most [`MAX_VERIFIED_CANDIDATES`] of
    /// them get a MAC check). Among the candidates that pass every check, the
    /// most recently started session wins, then the most recently issued one;
    /// ties go to the earlier cookie. So a genuine cookie that someone else
    /// planted (cookie tossing from a sibling subdomain, which browsers send
    /// first when its `Path` is longer) loses to the session a login started
    /// after it, and planted junk cannot hide the genuine cookie. When no
    /// candidate passes, the first candidate's rejection is reported.
    pub fn load_from_cookie_headers<'a>(
        &self,
        headers: impl IntoIterator<Item = &'a [u8]> + 'a,
    ) -> Session<T> {
        let now = self.now_ms();
        let mut candidates =
            cookie_values(headers.into_iter(), T::NAME).take(MAX_CANDIDATE_COOKIES);
        let Some(first) = candidates.next() else {
            return Session::fresh(LoadStatus::Missing);
        };
        let Some(second) = candidates.next() else {
            // The usual request: one cookie of this name, nothing to choose.
            let mut macs_left = MAX_VERIFIED_CANDIDATES;
            return self.open_then(first, now, &mut macs_left, |opened| {
                opened.unwrap_or_else(|reason| Session::fresh(Self::status_of_failure(reason)))
            });
        };
        self.best_candidate([first, second].into_iter().chain(candidates), now)
    }

    /// The most recently started, then most recently issued, authentic
    /// candidate; the first candidate's rejection when none is authentic.
    #[inline(never)]
    fn best_candidate<'a>(
        &self,
        candidates: impl Iterator<Item = &'a [u8]>,
        now: u64,
    ) -> Session<T> {
        let mut macs_left = MAX_VERIFIED_CANDIDATES;
        let mut best: Option<Session<T>> = None;
        let mut first_rejection = None;
        for value in candidates {
            match self.open_at(value, now, &mut macs_left) {
                Ok(session) => {
                    if best
                        .as_ref()
                        .is_none_or(|best| session.recency() > best.recency())
                    {
                        best = Some(session);
                    }
                }
                Err(Some(reason)) => {
                    first_rejection.get_or_insert(reason);
                }
                // Over the MAC budget: not examined, and reports nothing.
                Err(None) => {}
            }
        }
        best.unwrap_or_else(|| Session::fresh(Self::status_of_failure(first_rejection)))
    }

    /// The status of a fresh session whose candidates all failed.
    fn status_of_failure(first_rejection: Option<Rejection>) -> LoadStatus {
        first_rejection.map_or(LoadStatus::Missing, LoadStatus::Rejected)
    }

    /// [`load_from_cookie_headers`](Self::load_from_cookie_headers), then the
    /// asynchronous revocation check, if one is configured
    /// ([`SessionConfigBuilder::revocation_check_async`](crate::SessionConfigBuilder::revocation_check_async)),
    /// on the session that won: a revoked one becomes a fresh session with
    /// [`Rejection::Revoked`].
    pub async fn load_from_cookie_headers_async<'a>(
        &self,
        headers: impl IntoIterator<Item = &'a [u8]> + 'a,
    ) -> Session<T> {
        let session = self.load_from_cookie_headers(headers);
        self.check_revocation_async(session).await
    }

    /// Runs the asynchronous revocation check on a loaded session.
    pub(crate) async fn check_revocation_async(&self, session: Session<T>) -> Session<T> {
        let (Some(still_valid), Some(origin)) = (&self.inner.async_revocation, session.origin)
        else {
            return session;
        };
        let meta = self.cookie_meta(&origin.header, origin.key_role);
        if still_valid(&session, &meta).await {
            session
        } else {
            Session::fresh(LoadStatus::Rejected(Rejection::Revoked))
        }
    }

    /// Verifies and decodes one cookie value (what follows `name=`).
    ///
    /// The checks run in this order and stop at the first failure: length cap,
    /// canonical base64url, header, key lookup, constant-time MAC, version and
    /// schema fingerprint, timestamps, payload decoding with no trailing bytes,
    /// revocation.
    pub fn decode(&self, value: &[u8]) -> Result<Session<T>, Rejection> {
        let mut macs_left = 1;
        self.open_at(value, self.now_ms(), &mut macs_left)
            .map_err(|reason| reason.expect("one candidate is always within the MAC budget"))
    }

    /// The longest value accepted on load: older versions reachable by
    /// migration may have had larger bounds, never beyond the browser limit.
    fn max_incoming_value_len(&self) -> usize {
        T::__max_cookie_len_any_version()
            .max(self.cookie_len_limit())
            .min(BROWSER_COOKIE_LIMIT)
            .saturating_sub(T::NAME.len())
    }

    /// Opens one candidate; `Err(None)` when it passed the cheap checks but
    /// the request's MAC budget is spent.
    #[inline]
    fn open_at(
        &self,
        value: &[u8],
        now: u64,
        macs_left: &mut usize,
    ) -> Result<Session<T>, Option<Rejection>> {
        self.open_then(value, now, macs_left, |opened| opened)
    }

    /// Opens one candidate and hands the outcome to `finish` while the
    /// scratch buffer is still in scope. The single-cookie path finishes
    /// into a `Session` right there, so the session is built where the
    /// caller receives it instead of being moved out of a `Result` (perf:
    /// the extra 176-byte moves of a small session were 5% of a load).
    #[inline(always)]
    fn open_then<R>(
        &self,
        value: &[u8],
        now: u64,
        macs_left: &mut usize,
        finish: impl FnOnce(Result<Session<T>, Option<Rejection>>) -> R,
    ) -> R {
        let max_value_len = self.max_incoming_value_len();
        // base64 decoding needs room for whole 3-byte groups of the value. A
        // longer value than the type allows is refused before decoding, so
        // its scratch is never larger than the longest valid cookie needs;
        // a short one gets a small buffer (less stack to clear).
        let scratch_len = value.len().min(max_value_len).div_ceil(4) * 3;
        let codec: &Codec<T::Envelope> = &self.inner.codec;
        with_scratch(scratch_len, |buf| {
            let opened = codec
                .parse(value, max_value_len, buf, T::__fingerprint_for)
                .map_err(|reason| Some(self.with_expected_version(reason)))
                .and_then(|parsed| codec.verify(parsed, value, buf, macs_left))
                .and_then(|opened| Ok(self.accept(opened, now)?));
            finish(opened)
        })
    }

    /// The codec does not know `T`: fill in the version it expects.
    fn with_expected_version(&self, reason: Rejection) -> Rejection {
        match reason {
            Rejection::WrongVersion { found, .. } => Rejection::WrongVersion {
                found,
                expected: T::VERSION,
            },
            other => other,
        }
    }

    /// The checks after the MAC (which bound the version's fingerprint):
    /// lifetime, times, payload, revocation.
    #[inline]
    fn accept(&self, opened: Opened<'_>, now: u64) -> Result<Session<T>, Rejection> {
        let header = opened.header;
        let unknown = Rejection::UnknownLifetime {
            lifetime: header.lifetime,
        };
        let lifetime = Lifetime::from_byte(header.lifetime).ok_or(unknown.clone())?;
        let timeouts = self.timeouts(lifetime).ok_or(unknown)?;
        timeouts.check(&header, now)?;
        let data = T::__decode_version(header.version, opened.payload)?;
        if let Some(still_valid) = &self.inner.revocation {
            if !still_valid(&data, &self.cookie_meta(&header, opened.key_role)) {
                return Err(Rejection::Revoked);
            }
        }
        let status = if header.version != T::VERSION {
            LoadStatus::Migrated {
                from: header.version,
            }
        } else if opened.key_role == KeyRole::Verify {
            LoadStatus::ValidPreviousKey
        } else {
            // The signing key, or a verify-only key: never re-keyed, so two
            // replicas that sign with different keys do not re-key each
            // other's cookies back and forth.
            LoadStatus::Valid
        };
        let refresh = timeouts.needs_refresh(header.issued_ms, now);
        let origin = Origin {
            header,
            seal: opened.seal,
            payload_len: opened.payload.len(),
            key_index: opened.key_index,
            key_role: opened.key_role,
            lifetime,
        };
        Ok(Session::loaded(data, status, origin, refresh))
    }
}
