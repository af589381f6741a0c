//! Loading: raw `Cookie` header values → the newest authentic candidate →
//! [`Session`]. No `http` types here (see `http.rs`), so servers without the
//! `http` crate and edge runtimes use the same path.

use crate::codec::chunks::{
    chunk_count, piece_hash, piece_len, Framing, CHUNK_HASH_LEN, MAX_CHUNKS,
};
use crate::codec::scratch::with_scratch;
use crate::codec::{decode_value, Codec, Opened};
use crate::codec::{fingerprint_hint, Envelope as _};
use crate::config::SessionConfig;
use crate::cookie::cookie_values;
use crate::key::KeyRole;
use crate::lifetime::Lifetime;
use crate::limits::{BROWSER_COOKIE_LIMIT, MAX_CANDIDATE_COOKIES, MAX_VERIFIED_CANDIDATES};
use crate::origin::{Origin, StartOrder};
use crate::reject::Rejection;
use crate::session::{LoadStatus, Session};
use crate::session_type::CookieSession;

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
    /// (docs/lifecycle.md, "Load").
    ///
    /// With an asynchronous revocation check configured
    /// ([`revocation_check_async`](crate::SessionConfigBuilder::revocation_check_async)),
    /// which a synchronous load cannot run, an authentic cookie is refused as
    /// [`Rejection::NeedsAsyncLoad`]: use
    /// [`load_cookies_async`](Self::load_cookies_async).
    pub fn load_cookies<'a>(&self, headers: impl IntoIterator<Item = &'a [u8]> + 'a) -> Session<T> {
        #[cfg(feature = "dbsc")]
        let session = self.load_cookies_bound(headers);
        #[cfg(not(feature = "dbsc"))]
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
        #[cfg(feature = "dbsc")]
        let session = self.load_cookies_bound(headers);
        #[cfg(not(feature = "dbsc"))]
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
    /// [`decode_async`](Self::decode_async). A chunked session is several
    /// cookies: calling this for one is a compile error (use
    /// [`load_cookies`](Self::load_cookies)).
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
        const {
            assert!(
                T::CHUNKS == 1,
                "a chunked session is several cookies: load it with `load` or `load_cookies`"
            )
        };
        let mut macs_left = 1;
        match self.open_at(value, self.now_ms(), &mut macs_left) {
            Candidate::Forged(reason) => Err(reason),
            Candidate::Skipped => unreachable!("one candidate is always within the MAC budget"),
            #[cfg(feature = "dbsc")]
            Candidate::Authentic { outcome, .. } => {
                outcome.and_then(|session| self.check_decoded_binding(session))
            }
            #[cfg(not(feature = "dbsc"))]
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
        if T::CHUNKS > 1 {
            // A constant per type: single-cookie sessions never reach this.
            let headers: Vec<&'a [u8]> = headers.into_iter().collect();
            return self.load_chunked(&headers);
        }
        let now = self.now_ms();
        let mut candidates =
            cookie_values(headers.into_iter(), T::NAME).take(MAX_CANDIDATE_COOKIES);
        let Some(first) = candidates.next() else {
            return self.fresh(LoadStatus::Missing, None);
        };
        let Some(second) = candidates.next() else {
            // The usual request: one cookie of this name, nothing to choose.
            return self.open_single(first, now);
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
        self.decide(candidates.map(|value| self.open_at(value, now, &mut macs_left)))
    }

    /// The session the examined candidates give: the authentic one that
    /// started last decides; the first rejection when none is authentic.
    fn decide(&self, candidates: impl Iterator<Item = Candidate<T>>) -> Session<T> {
        let mut best: Option<Candidate<T>> = None;
        let mut first_rejection = None;
        for candidate in candidates {
            match candidate {
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

    /// [`load_cookies`](Self::load_cookies) for a chunked session: every
    /// cookie named `NAME` is a candidate (at most `MAX_CANDIDATE_COOKIES`,
    /// and at most `MAX_VERIFIED_CANDIDATES` MAC checks), whose later chunks
    /// are the cookies `NAME.i` whose hash its framing names
    /// (docs/wire-format.md, "Chunked sessions").
    #[inline(never)]
    fn load_chunked(&self, headers: &[&[u8]]) -> Session<T> {
        let now = self.now_ms();
        let mut later = LaterChunks::new(&self.inner.chunk_names, headers);
        let mut macs_left = MAX_VERIFIED_CANDIDATES;
        let candidates = cookie_values(headers.iter().copied(), T::NAME)
            .take(MAX_CANDIDATE_COOKIES)
            .map(|value| self.open_chunked(value, now, &mut macs_left, &mut later));
        let session = self.decide(candidates);
        session.with_chunks_seen(later.seen())
    }

    /// Opens the chunked session whose first cookie is `first`.
    fn open_chunked(
        &self,
        first: &[u8],
        now: u64,
        macs_left: &mut usize,
        later: &mut LaterChunks<'_>,
    ) -> Candidate<T> {
        match self.reassemble(first, later) {
            Ok(mut envelope) => {
                let codec: &Codec<T::Envelope> = &self.inner.codec;
                let opened = codec
                    .parse_raw(&envelope, T::__fingerprint_for)
                    .map_err(|reason| Some(self.with_expected_version(reason)))
                    .and_then(|parsed| codec.verify(parsed, &mut envelope, macs_left));
                self.candidate_of(opened, now)
            }
            Err(reason) => Candidate::Forged(reason),
        }
    }

    /// The envelope of the chunked session whose first cookie is `first`:
    /// its framing, each later piece found by hash, the canonical layout
    /// checked. Allocates at most the sum of the pieces it found.
    fn reassemble(&self, first: &[u8], later: &mut LaterChunks<'_>) -> Result<Vec<u8>, Rejection> {
        let name_len = T::NAME.len();
        let budget = self.cookie_len_limit();
        let max_first = budget.saturating_sub(name_len);
        let mut raw = vec![0u8; first.len().min(max_first).div_ceil(4) * 3];
        let raw_len = decode_value(first, max_first, &mut raw)?;
        raw.truncate(raw_len);
        let framing = Framing::read(&raw, T::CHUNKS).ok_or(Rejection::ChunkFraming)?;
        // The framing is copied out: the same buffer becomes the envelope.
        raw.drain(..framing.piece_start);
        let mut envelope = raw;
        for index in 1..framing.count {
            let max_value = budget.saturating_sub(name_len + 2);
            if !later.append_matching(index, framing.hash(index), max_value, &mut envelope) {
                return Err(Rejection::ChunkMissing { index: index as u8 });
            }
        }
        // The one canonical split of this many bytes, or a forgery.
        let count = chunk_count(name_len, budget, T::CHUNKS, envelope.len());
        let mut canonical = count == Some(framing.count);
        for index in 0..framing.count {
            let len = piece_len(name_len, budget, framing.count, envelope.len(), index);
            let actual = if index == 0 {
                raw_len - framing.piece_start
            } else {
                later.matched_len(index)
            };
            canonical &= len == actual;
        }
        if !canonical {
            return Err(Rejection::ChunkLayout);
        }
        Ok(envelope)
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
        let (key_id, key_role) = self.inner.codec.key(origin.key_index());
        let version = match session.status() {
            LoadStatus::Migrated { from } => *from,
            _ => T::VERSION,
        };
        let header = origin.header(
            T::Envelope::FORMAT,
            key_id,
            version,
            fingerprint_hint(T::SCHEMA_FINGERPRINT),
        );
        let meta = self.cookie_meta(&header, key_role);
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
        self.open_then(value, macs_left, |opened| self.candidate_of(opened, now))
    }

    /// The session of the request's only candidate, built where the caller
    /// receives it: a `Session` moved out of a `Result` or a `Candidate` is
    /// re-read with wide loads right after being written field by field,
    /// and those loads stall until the stores retire (perf: 5% of a small
    /// load per move).
    #[inline(always)]
    fn open_single(&self, value: &[u8], now: u64) -> Session<T> {
        let mut macs_left = MAX_VERIFIED_CANDIDATES;
        self.open_then(value, &mut macs_left, |opened| match opened {
            Ok(opened) => {
                let start = StartOrder::of(&opened.header);
                self.accept_then(
                    opened,
                    now,
                    |session| session,
                    |reason| self.fresh(LoadStatus::Rejected(reason), Some(start)),
                )
            }
            Err(Some(reason)) => self.fresh(LoadStatus::Rejected(reason), None),
            Err(None) => self.fresh(LoadStatus::Missing, None),
        })
    }

    /// Opens one candidate (the checks before the MAC and the MAC) and hands
    /// the outcome to `finish` while the scratch buffer is still in scope.
    #[inline(always)]
    fn open_then<R>(
        &self,
        value: &[u8],
        macs_left: &mut usize,
        finish: impl FnOnce(Result<Opened<'_>, Option<Rejection>>) -> R,
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
            finish(opened)
        })
    }

    /// A candidate after the MAC step.
    #[inline(always)]
    fn candidate_of(
        &self,
        opened: Result<Opened<'_>, Option<Rejection>>,
        now: u64,
    ) -> Candidate<T> {
        match opened {
            Ok(opened) => {
                let rank = (StartOrder::of(&opened.header), opened.header.issued_ms);
                Candidate::Authentic {
                    rank,
                    outcome: self.accept_then(opened, now, Ok, Err),
                }
            }
            Err(Some(reason)) => Candidate::Forged(reason),
            Err(None) => Candidate::Skipped,
        }
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
    /// lifetime, times, payload, revocation; the session goes to `accepted`,
    /// a refusal to `refused` (so the single-cookie path builds the session
    /// in place, see [`open_single`](Self::open_single)).
    #[inline(always)]
    fn accept_then<R>(
        &self,
        opened: Opened<'_>,
        now: u64,
        accepted: impl FnOnce(Session<T>) -> R,
        refused: impl FnOnce(Rejection) -> R,
    ) -> R {
        let header = opened.header;
        let Some((lifetime, timeouts)) = Lifetime::from_byte(header.lifetime)
            .and_then(|lifetime| Some((lifetime, self.timeouts(lifetime)?)))
        else {
            return refused(Rejection::UnknownLifetime {
                lifetime: header.lifetime,
            });
        };
        if let Err(reason) = timeouts.check(&header, now) {
            return refused(reason);
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
        let seal = opened.seal;
        let origin = Origin::new(
            &opened.header_bytes,
            opened.key_index,
            lifetime,
            opened.payload,
            || seal,
        );
        let data = match T::__decode_version(header.version, opened.payload) {
            Ok(data) => data,
            Err(reason) => return refused(reason),
        };
        if let Some(still_valid) = &self.inner.revocation {
            if !still_valid(&data, &self.cookie_meta(&header, opened.key_role)) {
                return refused(Rejection::Revoked);
            }
        }
        accepted(Session::loaded(
            data,
            status,
            origin,
            refresh,
            self.inner.declared,
        ))
    }
}

/// The later chunks (`NAME.1`, `NAME.2`, …) of a request, examined lazily:
/// each cookie's value is base64-decoded and hashed at most once per
/// request, whatever the number of first-chunk candidates, so the work is
/// bounded by `MAX_CANDIDATE_COOKIES` cookies per index.
struct LaterChunks<'a> {
    headers: &'a [&'a [u8]],
    names: &'a [String],
    /// Per index (1-based; slot 0 unused): the candidates and their hashes,
    /// once examined.
    examined: [Option<Vec<LaterCandidate>>; MAX_CHUNKS],
    /// Per index: the decoded length of the piece last appended.
    matched: [usize; MAX_CHUNKS],
}

/// A later chunk's cookie, decoded and hashed once per request.
struct LaterCandidate {
    /// Its hash and decoded piece; `None` when the value is over-long or not
    /// canonical base64url.
    decoded: Option<([u8; CHUNK_HASH_LEN], Vec<u8>)>,
}

impl<'a> LaterChunks<'a> {
    fn new(names: &'a [String], headers: &'a [&'a [u8]]) -> Self {
        LaterChunks {
            headers,
            names,
            examined: Default::default(),
            matched: [0; MAX_CHUNKS],
        }
    }

    /// Appends to `envelope` the first cookie of chunk `index` whose piece
    /// hashes to `hash`; whether there was one.
    fn append_matching(
        &mut self,
        index: usize,
        hash: &[u8; CHUNK_HASH_LEN],
        max_value_len: usize,
        envelope: &mut Vec<u8>,
    ) -> bool {
        let (headers, names) = (self.headers, self.names);
        let candidates = self.examined[index].get_or_insert_with(|| {
            cookie_values(headers.iter().copied(), names[index].as_str())
                .take(MAX_CANDIDATE_COOKIES)
                .map(|value| LaterCandidate {
                    decoded: decoded(value, max_value_len)
                        .map(|piece| (piece_hash(index, &piece), piece)),
                })
                .collect()
        });
        let Some((_, piece)) = candidates
            .iter()
            .filter_map(|candidate| candidate.decoded.as_ref())
            .find(|(found, _)| found == hash)
        else {
            return false;
        };
        self.matched[index] = piece.len();
        envelope.extend_from_slice(piece);
        true
    }

    /// The decoded length of the piece appended for `index`.
    fn matched_len(&self, index: usize) -> usize {
        self.matched[index]
    }

    /// Bit `i` set for each later index whose cookie name the request carried.
    fn seen(&self) -> u8 {
        (1..self.names.len().min(MAX_CHUNKS))
            .filter(|&index| {
                cookie_values(self.headers.iter().copied(), self.names[index].as_str())
                    .next()
                    .is_some()
            })
            .fold(0, |bits, index| bits | 1 << index)
    }
}

/// The raw bytes of a later chunk's value, if it is a canonical base64url
/// value within the length cap.
fn decoded(value: &[u8], max_value_len: usize) -> Option<Vec<u8>> {
    let mut raw = vec![0u8; value.len().min(max_value_len).div_ceil(4) * 3];
    let len = decode_value(value, max_value_len, &mut raw).ok()?;
    raw.truncate(len);
    Some(raw)
}
