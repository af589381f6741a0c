//! Loading: raw `Cookie` header values → the newest authentic candidate →
//! [`Session`]. No `http` types here (see `http.rs`), so servers without the
//! `http` crate and edge runtimes use the same path.

use crate::codec::scratch::with_scratch;
use crate::codec::{Codec, Opened};
use crate::cookie::cookie_values;
use crate::key::KeyRole;
use crate::lifetime::Lifetime;
use crate::limits::{BROWSER_COOKIE_LIMIT, MAX_CANDIDATE_COOKIES, MAX_VERIFIED_CANDIDATES};
use crate::reject::Rejection;
use crate::session::{LoadStatus, Origin, Session, StartOrder};
use crate::{CookieSession, SessionConfig};

/// One candidate cookie after its checks.
enum Candidate<T> {
    /// Refused at or before the MAC check: nothing of it is trusted.
    Forged(Rejection),
    /// Not examined: the request's MAC budget was spent.
    Skipped,
    /// Authentic: where it stands among the browser's sessions, and whether
    /// it passed the checks after the MAC.
    Authentic {
        rank: (StartOrder, u64),
        outcome: Result<Session<T>, Rejection>,
    },
}

impl<T: CookieSession> SessionConfig<T> {
    /// Loads from raw `Cookie` header values, for servers that do not use the
    /// `http` crate (with it, [`load`](Self::load) takes a `HeaderMap`).
    ///
    /// Every cookie of the session's name is a candidate (at most
    /// [`MAX_CANDIDATE_COOKIES`](crate::limits::MAX_CANDIDATE_COOKIES), and at
    /// most [`MAX_VERIFIED_CANDIDATES`](crate::limits::MAX_VERIFIED_CANDIDATES)
    /// of them get a MAC check). Among the authentic candidates (MAC
    /// verified), the one that started last decides (then the one issued
    /// last, then the earlier in the header): if it passes the later checks it
    /// is the session, otherwise the request gets a fresh session with its
    /// rejection. So a genuine cookie that someone else planted (cookie
    /// tossing from a sibling subdomain, which browsers send first when its
    /// `Path` is longer) loses to the session a login started after it, and
    /// planted junk cannot hide the genuine cookie. When no candidate is
    /// authentic, the first candidate's rejection is reported
    /// (docs/lifecycle.md, "Which cookie wins").
    ///
    /// With an asynchronous revocation check configured
    /// ([`revocation_check_async`](crate::SessionConfigBuilder::revocation_check_async)),
    /// which a synchronous load cannot run, an authentic cookie is refused as
    /// [`Rejection::NeedsAsyncLoad`]: use
    /// [`load_cookies_async`](Self::load_cookies_async).
    pub fn load_cookies<'a>(&self, headers: impl IntoIterator<Item = &'a [u8]> + 'a) -> Session<T> {
        let session = self.load_cookies_unchecked(headers);
        crate::metrics::loaded(self.fail_closed_without_async_check(session))
    }

    /// [`load_cookies`](Self::load_cookies), then the asynchronous revocation
    /// check, if one is configured
    /// ([`SessionConfigBuilder::revocation_check_async`](crate::SessionConfigBuilder::revocation_check_async)),
    /// on the session that won: a revoked one becomes a fresh session with
    /// [`Rejection::Revoked`]. Without such a check it is `load_cookies`.
    pub async fn load_cookies_async<'a>(
        &self,
        headers: impl IntoIterator<Item = &'a [u8]> + 'a,
    ) -> Session<T> {
        let session = self.load_cookies_unchecked(headers);
        crate::metrics::loaded(self.check_revocation_async(session).await)
    }

    /// Verifies and decodes one cookie value (what follows `name=`).
    ///
    /// The checks run in this order and stop at the first failure: length cap,
    /// canonical base64url, header, key lookup, version, constant-time MAC
    /// (the fingerprint is bound by it), lifetime, timestamps, payload
    /// decoding with no trailing bytes, revocation (docs/wire-format.md,
    /// "Decode order"). With an asynchronous revocation check configured it
    /// refuses with [`Rejection::NeedsAsyncLoad`]; see
    /// [`decode_async`](Self::decode_async).
    pub fn decode(&self, value: &[u8]) -> Result<Session<T>, Rejection> {
        crate::metrics::decoded(self.decode_unchecked(value).and_then(|session| {
            if self.has_async_revocation() {
                return Err(Rejection::NeedsAsyncLoad);
            }
            Ok(session)
        }))
    }

    /// [`decode`](Self::decode), then the asynchronous revocation check, if
    /// one is configured.
    pub async fn decode_async(&self, value: &[u8]) -> Result<Session<T>, Rejection> {
        let session = match self.decode_unchecked(value) {
            Ok(session) => self.check_revocation_async(session).await,
            Err(reason) => return crate::metrics::decoded(Err(reason)),
        };
        crate::metrics::decoded(match session.rejection() {
            Some(reason) => Err(reason.clone()),
            None => Ok(session),
        })
    }

    fn decode_unchecked(&self, value: &[u8]) -> Result<Session<T>, Rejection> {
        let mut macs_left = 1;
        match self.open_at(value, self.now_ms(), &mut macs_left) {
            Candidate::Forged(reason) => Err(reason),
            Candidate::Skipped => unreachable!("one candidate is always within the MAC budget"),
            Candidate::Authentic { outcome, .. } => outcome,
        }
    }

    /// A synchronous load cannot run an asynchronous revocation check: an
    /// authentic session is refused rather than let through unchecked (the
    /// same rule as `SessionSlot::take`).
    fn fail_closed_without_async_check(&self, session: Session<T>) -> Session<T> {
        if self.has_async_revocation() && !session.is_new() {
            session.refused(Rejection::NeedsAsyncLoad)
        } else {
            session
        }
    }

    /// The load without the asynchronous revocation check.
    pub(crate) fn load_cookies_unchecked<'a>(
        &self,
        headers: impl IntoIterator<Item = &'a [u8]> + 'a,
    ) -> Session<T> {
        let now = self.now_ms();
        let mut candidates =
            cookie_values(headers.into_iter(), T::NAME).take(MAX_CANDIDATE_COOKIES);
        let Some(first) = candidates.next() else {
            return self.fresh(LoadStatus::Missing, None);
        };
        let Some(second) = candidates.next() else {
            // The usual request: one cookie of this name, nothing to choose.
            let mut macs_left = MAX_VERIFIED_CANDIDATES;
            return self.open_then(first, now, &mut macs_left, |candidate| {
                self.session_of(candidate)
            });
        };
        self.best_candidate([first, second].into_iter().chain(candidates), now)
    }

    /// The candidate that started last, then was issued last, among the
    /// authentic ones decides; the first candidate's rejection when none is
    /// authentic.
    #[inline(never)]
    fn best_candidate<'a>(
        &self,
        candidates: impl Iterator<Item = &'a [u8]>,
        now: u64,
    ) -> Session<T> {
        let mut macs_left = MAX_VERIFIED_CANDIDATES;
        let mut best: Option<Candidate<T>> = None;
        let mut first_rejection = None;
        for value in candidates {
            match self.open_at(value, now, &mut macs_left) {
                Candidate::Authentic { rank, outcome } => {
                    let newer = match &best {
                        Some(Candidate::Authentic { rank: best, .. }) => rank > *best,
                        _ => true,
                    };
                    if newer {
                        best = Some(Candidate::Authentic { rank, outcome });
                    }
                }
                Candidate::Forged(reason) => {
                    first_rejection.get_or_insert(reason);
                }
                // Over the MAC budget: not examined, and reports nothing.
                Candidate::Skipped => {}
            }
        }
        let rejection = first_rejection.map(Candidate::Forged);
        self.session_of(best.or(rejection).unwrap_or(Candidate::Skipped))
    }

    /// The session a deciding candidate gives.
    #[inline(always)]
    fn session_of(&self, candidate: Candidate<T>) -> Session<T> {
        match candidate {
            Candidate::Authentic {
                outcome: Ok(session),
                ..
            } => session,
            // A refused authentic cookie still counts for the order of
            // sessions: a session started in this request must come after it
            // (a newer cookie refused now, e.g. issued in the future, could be
            // accepted later).
            Candidate::Authentic {
                rank: (start, _),
                outcome: Err(reason),
            } => self.fresh(LoadStatus::Rejected(reason), Some(start)),
            Candidate::Forged(reason) => self.fresh(LoadStatus::Rejected(reason), None),
            Candidate::Skipped => self.fresh(LoadStatus::Missing, None),
        }
    }

    /// A fresh session of this configuration.
    pub(crate) fn fresh(&self, status: LoadStatus, supersedes: Option<StartOrder>) -> Session<T> {
        Session::fresh(status, self.inner.declared, supersedes)
    }

    /// Runs the asynchronous revocation check on a loaded session.
    pub(crate) async fn check_revocation_async(&self, session: Session<T>) -> Session<T> {
        let (Some(still_valid), Some(origin)) = (&self.inner.async_revocation, session.origin())
        else {
            return session;
        };
        let meta = self.cookie_meta(&origin.header, origin.key_role);
        if still_valid(&session, &meta).await {
            session
        } else {
            session.refused(Rejection::Revoked)
        }
    }

    /// The longest value accepted on load: older versions reachable by
    /// migration may have had larger bounds, never beyond the browser limit.
    fn max_incoming_value_len(&self) -> usize {
        T::__max_cookie_len_any_version()
            .max(self.cookie_len_limit())
            .min(BROWSER_COOKIE_LIMIT)
            .saturating_sub(T::NAME.len())
    }

    /// Opens one candidate.
    #[inline]
    fn open_at(&self, value: &[u8], now: u64, macs_left: &mut usize) -> Candidate<T> {
        self.open_then(value, now, macs_left, |candidate| candidate)
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
        finish: impl FnOnce(Candidate<T>) -> R,
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
                .and_then(|parsed| codec.verify(parsed, buf, macs_left));
            finish(match opened {
                Ok(opened) => {
                    let rank = (StartOrder::of(&opened.header), opened.header.issued_ms);
                    Candidate::Authentic {
                        rank,
                        outcome: self.accept(opened, now),
                    }
                }
                Err(Some(reason)) => Candidate::Forged(reason),
                Err(None) => Candidate::Skipped,
            })
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
            LoadStatus::ValidVerifyKey
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
        Ok(Session::loaded(
            data,
            status,
            origin,
            refresh,
            self.inner.declared,
        ))
    }
}
