//! Storing: [`Session`] → the `Set-Cookie` text, or nothing when the browser's
//! cookie is already right. No `http` types here (see `http.rs`).

use core::fmt;

use crate::codec::chunks::{chunk_count, piece_hash, piece_len};
use crate::codec::expiry::Timeouts;
use crate::codec::scratch::{encode_into, with_scratch, MAX_RAW_LEN};
use crate::codec::{
    base64url_len, fingerprint_hint, payload, wire_precision, Codec, Envelope, Header,
    EPOCH_UNIX_MS, MAX_START_SEQ,
};
use crate::config::SessionConfig;
use crate::cookie::{decimal_len, push_decimal, MAX_AGE};
use crate::key::KeyRole;
use crate::lifetime::Lifetime;
use crate::origin::{Sameness, StartOrder};
use crate::session::{LoadStatus, Session, WriteReason};
use crate::session_type::CookieSession;

/// The session could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The cookie would exceed the session's budget (or the browser limit). The
    /// derive proves this impossible, so it means a hand-written `MaxEncodedLen`
    /// or `CookieSession` impl understates the size; the cookie is not emitted,
    /// because the browser would silently drop it and keep the old session.
    OverBudget {
        /// `len(name) + len(value)` the cookie would have had.
        len: usize,
        /// The limit it broke.
        limit: usize,
    },
    /// The payload encodes longer than its compile-time bound `MAX_PAYLOAD_LEN`.
    ExceedsBound {
        /// The bound.
        max_payload_len: usize,
    },
    /// serde refused the value (e.g. a custom `Serialize` returned an error).
    Serialize(String),
    /// The operating system's random generator failed to provide a nonce
    /// (encrypted sessions only).
    Randomness,
    /// The session chose a [`Lifetime`] the configuration does not declare
    /// (`RememberMe` without [`remember_me`](crate::SessionConfigBuilder::remember_me)).
    LifetimeNotConfigured {
        /// The lifetime chosen.
        lifetime: Lifetime,
    },
    /// The clock reads a time before 2025-01-01T00:00:00Z, the wire format's
    /// epoch (the configuration refuses such a clock when it is built; this is
    /// a clock that moved back since).
    ClockBeforeEpoch {
        /// What the clock read, in milliseconds since the Unix epoch.
        now_unix_ms: u64,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::OverBudget { len, limit } => write!(
                f,
                "session cookie would be {len} bytes (name + value), over its limit of {limit}; not emitted"
            ),
            StoreError::ExceedsBound { max_payload_len } => write!(
                f,
                "session payload encodes beyond its compile-time bound of {max_payload_len} bytes; \
                 a hand-written MaxEncodedLen impl understates its size"
            ),
            StoreError::Serialize(reason) => write!(f, "session failed to serialize: {reason}"),
            StoreError::Randomness => f.write_str("no randomness available for the session cookie's nonce"),
            StoreError::LifetimeNotConfigured { lifetime } => write!(
                f,
                "the session chose the {lifetime:?} lifetime, which its configuration does not \
                 declare: add `{}` to the SessionConfig builder",
                crate::lifetime::UndeclaredLifetime::fix(*lifetime)
            ),
            StoreError::ClockBeforeEpoch { now_unix_ms } => write!(
                f,
                "the clock reads {now_unix_ms} ms since 1970, before 2025-01-01T00:00:00Z (the \
                 session cookie's time epoch): no cookie can be written; fix the host's clock"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

/// The cookie about to be written: when its session started (and its place
/// among sessions started in the same second), when it is issued (whole
/// seconds, as the wire carries them), under which lifetime, and with which
/// configured key.
#[derive(Debug, Clone, Copy)]
struct Stamp {
    start: StartOrder,
    issued_ms: u64,
    lifetime: Lifetime,
    key_index: usize,
}

impl<T: CookieSession> SessionConfig<T> {
    /// The `Set-Cookie` header value for this session, or `None` when nothing
    /// needs sending (untouched, touched but encoding to the same cookie, or a
    /// new session holding only default data). The `http`-typed equivalent is
    /// [`store`](Self::store). For a session of one cookie; a chunked session
    /// (`#[session(chunks = N)]`) writes several: use
    /// [`set_cookies`](Self::set_cookies) (calling this one is a compile error).
    pub fn set_cookie(&self, session: &Session<T>) -> Result<Option<String>, StoreError> {
        const {
            assert!(
                T::CHUNKS == 1,
                "a chunked session writes several Set-Cookie headers: use `set_cookies` (or `store`)"
            )
        };
        self.write_single(session)
    }

    /// Every `Set-Cookie` header value this session needs, in order: none
    /// when nothing needs sending; one for a session of one cookie; for a
    /// chunked session, one per chunk it now uses plus an expiring cookie
    /// for each later chunk the request carried that it no longer uses
    /// (docs/wire-format.md, "Chunked sessions").
    pub fn set_cookies(&self, session: &Session<T>) -> Result<Vec<String>, StoreError> {
        if T::CHUNKS == 1 {
            return Ok(self.write_single(session)?.into_iter().collect());
        }
        self.write_chunks(session)
    }

    /// [`set_cookie`](Self::set_cookie) without the check that the session
    /// has one cookie.
    pub(crate) fn write_single(&self, session: &Session<T>) -> Result<Option<String>, StoreError> {
        let Some(reason) = session.pending_write() else {
            return Ok(None);
        };
        if reason == WriteReason::Cleared {
            crate::metrics::cookie_written(reason);
            return Ok(Some(self.removal_cookie()));
        }
        let (lifetime, timeouts, stamp) = self.write_stamp(session)?;
        with_scratch(self.envelope_len_limit(), |raw| {
            let payload_len = self.serialize_into(&**session, raw)?;
            let offset = Codec::<T::Envelope>::payload_offset();
            let payload = &raw[offset..offset + payload_len];
            match self.pointless_write(session, reason, lifetime, payload) {
                Pointless::No => {}
                Pointless::NothingToSend => return Ok(None),
                Pointless::StillCleared => return Ok(Some(self.removal_cookie())),
            }
            let envelope_len = self.seal(raw, payload_len, stamp)?;
            crate::metrics::cookie_written(reason);
            self.render(&raw[..envelope_len], stamp, timeouts).map(Some)
        })
    }

    /// [`set_cookies`](Self::set_cookies) for a chunked session: the same
    /// decisions as for one cookie, then the envelope split canonically.
    fn write_chunks(&self, session: &Session<T>) -> Result<Vec<String>, StoreError> {
        let Some(reason) = session.pending_write() else {
            return Ok(Vec::new());
        };
        let seen = session.chunks_seen();
        if reason == WriteReason::Cleared {
            crate::metrics::cookie_written(reason);
            return Ok(self.chunk_removals(seen | 1));
        }
        let (lifetime, timeouts, stamp) = self.write_stamp(session)?;
        // Larger than one cookie's stack scratch: on the heap, at the size
        // of this type's largest envelope.
        let mut raw = vec![0u8; T::Envelope::OVERHEAD.saturating_add(T::MAX_PAYLOAD_LEN)];
        let payload_len = self.serialize_into(&**session, &mut raw)?;
        let offset = Codec::<T::Envelope>::payload_offset();
        match self.pointless_write(
            session,
            reason,
            lifetime,
            &raw[offset..offset + payload_len],
        ) {
            Pointless::No => {}
            Pointless::NothingToSend => return Ok(Vec::new()),
            Pointless::StillCleared => return Ok(self.chunk_removals(seen | 1)),
        }
        let envelope_len = self.seal(&mut raw, payload_len, stamp)?;
        crate::metrics::cookie_written(reason);
        let tail = self.tail(stamp, timeouts);
        let (mut cookies, count) = self.split_canonically(&raw[..envelope_len], &tail)?;
        let stale = (count..T::CHUNKS).fold(0u8, |bits, index| bits | 1 << index) & seen;
        cookies.extend(self.chunk_removals(stale));
        Ok(cookies)
    }

    /// The `name=value` pairs of a fresh cookie set for `data` (issued now,
    /// the default lifetime, the signing key): one pair, or one per chunk.
    #[cfg(feature = "testing")]
    pub(crate) fn encode_pairs(&self, data: &T) -> Result<Vec<String>, StoreError> {
        let stamp = self.fresh_stamp();
        let mut raw = vec![0u8; T::Envelope::OVERHEAD.saturating_add(T::MAX_PAYLOAD_LEN)];
        let payload_len = self.serialize_into(data, &mut raw)?;
        let envelope_len = self.seal(&mut raw, payload_len, stamp)?;
        let envelope = &raw[..envelope_len];
        if T::CHUNKS == 1 {
            let cookie = self.chunk_cookie(T::NAME, &[envelope], "")?;
            return Ok(vec![cookie]);
        }
        Ok(self.split_canonically(envelope, "")?.0)
    }

    /// The cookies of a chunked session's `envelope` in its one canonical
    /// split, and how many chunks that is. Over the chunks' budget (the
    /// derive proves it cannot be) is `OverBudget`, with the unsplit
    /// cookie's `name=value` length against the budget of all chunks.
    fn split_canonically(
        &self,
        envelope: &[u8],
        tail: &str,
    ) -> Result<(Vec<String>, usize), StoreError> {
        let (name_len, budget) = (T::NAME.len(), self.cookie_len_limit());
        let count = chunk_count(name_len, budget, T::CHUNKS, envelope.len()).ok_or(
            StoreError::OverBudget {
                len: name_len + base64url_len(envelope.len()),
                limit: T::CHUNKS * budget,
            },
        )?;
        Ok((self.split_into_cookies(envelope, count, tail)?, count))
    }

    /// The cookies of `envelope` split canonically over `count` chunks, each
    /// followed by `tail`.
    fn split_into_cookies(
        &self,
        envelope: &[u8],
        count: usize,
        tail: &str,
    ) -> Result<Vec<String>, StoreError> {
        let (name_len, budget) = (T::NAME.len(), self.cookie_len_limit());
        let mut at = 0;
        let mut pieces = Vec::with_capacity(count);
        for index in 0..count {
            let len = piece_len(name_len, budget, count, envelope.len(), index);
            pieces.push(&envelope[at..at + len]);
            at += len;
        }
        let mut framing = vec![count as u8];
        for (index, piece) in pieces.iter().enumerate().skip(1) {
            framing.extend_from_slice(&piece_hash(index, piece));
        }
        pieces
            .iter()
            .enumerate()
            .map(|(index, piece)| {
                let name = &self.inner.chunk_names[index];
                let parts: &[&[u8]] = if index == 0 {
                    &[&framing, piece]
                } else {
                    &[piece]
                };
                self.chunk_cookie(name, parts, tail)
            })
            .collect()
    }

    /// `name=base64url(parts…)tail`, refused over the budget.
    fn chunk_cookie(&self, name: &str, parts: &[&[u8]], tail: &str) -> Result<String, StoreError> {
        let raw: Vec<u8> = parts.concat();
        let value_len = base64url_len(raw.len());
        let len = name.len() + value_len;
        let limit = self.cookie_len_limit();
        if len > limit {
            return Err(StoreError::OverBudget { len, limit });
        }
        let mut out = String::with_capacity(name.len() + 1 + value_len + tail.len());
        out.push_str(name);
        out.push('=');
        encode_into(&raw, &mut out);
        out.push_str(tail);
        Ok(out)
    }

    /// The expiring cookie of each chunk whose bit is set in `chunks`.
    fn chunk_removals(&self, chunks: u8) -> Vec<String> {
        (0..T::CHUNKS)
            .filter(|index| chunks & 1 << index != 0)
            .map(|index| self.removal_of(&self.inner.chunk_names[index]))
            .collect()
    }

    /// What follows the value in this write's `Set-Cookie`: `; Max-Age=N`
    /// for a persistent lifetime, then the attributes.
    fn tail(&self, stamp: Stamp, timeouts: &Timeouts) -> String {
        let mut out = String::new();
        if stamp.lifetime.is_persistent() {
            out.push_str(MAX_AGE);
            push_decimal(
                &mut out,
                timeouts.max_age_secs(stamp.start.created_ms, stamp.issued_ms),
            );
        }
        out.push_str(&self.inner.attribute_suffix);
        out
    }

    /// The stamp of a fresh cookie for bare data (`encode`, the test kit):
    /// started and issued now, the default lifetime, the signing key.
    fn fresh_stamp(&self) -> Stamp {
        let now = wire_precision(self.now_ms());
        Stamp {
            start: StartOrder {
                created_ms: now,
                seq: 0,
            },
            issued_ms: now,
            lifetime: self.inner.declared.default_lifetime(),
            key_index: 0,
        }
    }

    /// What every write of `session` is stamped with: its lifetime, that
    /// lifetime's timeouts and the header's times and key, read from the
    /// clock now (refused before the wire epoch, or for a lifetime the
    /// configuration does not declare).
    #[inline]
    fn write_stamp(
        &self,
        session: &Session<T>,
    ) -> Result<(Lifetime, &Timeouts, Stamp), StoreError> {
        let now = self.now_ms();
        if now < EPOCH_UNIX_MS {
            return Err(StoreError::ClockBeforeEpoch { now_unix_ms: now });
        }
        let lifetime = session.lifetime();
        let timeouts = self
            .timeouts(lifetime)
            .ok_or(StoreError::LifetimeNotConfigured { lifetime })?;
        Ok((lifetime, timeouts, self.stamp(session, now, lifetime)))
    }

    /// The start, issue time and key of the cookie `session` writes now
    /// (docs/lifecycle.md, "Starts and keys"):
    ///
    /// - a continuing session keeps its start; a new one (renewed, cleared,
    ///   or no valid cookie) starts now, ordered after every authentic
    ///   cookie the request carried: when the latest of those started in
    ///   this second or later (a replica whose clock runs ahead), the new
    ///   session takes that start with the next start sequence, and the
    ///   second after it once the 64 sequence numbers of a second are used;
    /// - it is issued now, never before its start;
    /// - it is sealed with the key that verified the request's cookie, unless
    ///   that key's role is `Verify` (retiring: re-key to the signing key) or
    ///   there was no cookie. A verify-only key thus keeps its cookies during
    ///   a rolling rotation, and no replica re-signs a cookie with a key a
    ///   later phase would re-key again.
    fn stamp(&self, session: &Session<T>, now: u64, lifetime: Lifetime) -> Stamp {
        let now = wire_precision(now);
        let start = match session.kept_origin() {
            Some(kept) => kept.start(),
            None => match session.latest_start_seen() {
                Some(latest) if latest.created_ms >= now && latest.seq < MAX_START_SEQ => {
                    StartOrder {
                        created_ms: latest.created_ms,
                        seq: latest.seq + 1,
                    }
                }
                Some(latest) if latest.created_ms >= now => StartOrder {
                    created_ms: latest.created_ms + 1000,
                    seq: 0,
                },
                _ => StartOrder {
                    created_ms: now,
                    seq: 0,
                },
            },
        };
        let key_index = match session.origin() {
            Some(origin) if self.inner.codec.key(origin.key_index()).1 != KeyRole::Verify => {
                origin.key_index()
            }
            _ => 0,
        };
        Stamp {
            start,
            issued_ms: now.max(start.created_ms),
            lifetime,
            key_index,
        }
    }

    /// Whether the browser's cookie already says what this write would.
    fn pointless_write(
        &self,
        session: &Session<T>,
        reason: WriteReason,
        lifetime: Lifetime,
        payload: &[u8],
    ) -> Pointless {
        if reason != WriteReason::Changed {
            return Pointless::No;
        }
        let Some(kept) = session.kept_origin() else {
            // A new session holding only default data (Express's
            // `req.session = {}`) has nothing worth a cookie; after `clear()`
            // the expiring cookie still has to go out. The payload is the
            // application's own data, not a secret: a plain comparison. A
            // chosen lifetime is worth a cookie of its own.
            let default = payload == self.inner.default_payload.as_slice()
                && lifetime == self.inner.declared.default_lifetime();
            return match (default, session.is_cleared()) {
                (false, _) => Pointless::No,
                (true, false) => Pointless::NothingToSend,
                (true, true) => Pointless::StillCleared,
            };
        };
        if session.refresh_due() || *session.status() != LoadStatus::Valid {
            return Pointless::No;
        }
        if kept.lifetime() != lifetime {
            return Pointless::No;
        }
        // A short payload was kept and is compared byte for byte; a long one
        // of the same length needs a second MAC (≈ 150 ns for a small
        // session), made with the key and header of the loaded cookie: same
        // key, same header, so an equal seal means equal payloads. The
        // header is rebuilt from what the configuration knows: the status is
        // `Valid`, so the cookie's version is this type's (and its
        // fingerprint hint this schema's, which every writer puts there; a
        // header that differed would only make the seals differ, and the
        // cookie be re-sent).
        let same = match kept.compare(payload) {
            Sameness::Different => false,
            Sameness::Same => true,
            Sameness::AskSeal(seal) => {
                let codec = &self.inner.codec;
                let header = kept.header(
                    T::Envelope::FORMAT,
                    codec.key(kept.key_index()).0,
                    T::VERSION,
                    fingerprint_hint(T::SCHEMA_FINGERPRINT),
                );
                codec.seals_equal(kept.key_index(), &header, &seal, payload)
            }
        };
        if same {
            Pointless::NothingToSend
        } else {
            Pointless::No
        }
    }

    /// A fresh cookie value (what follows `name=`) for `data`, issued now
    /// with the default lifetime and the signing key. For a session of one
    /// cookie (a chunked session's values come from
    /// [`set_cookies`](Self::set_cookies); calling this one is a compile
    /// error).
    pub fn encode(&self, data: &T) -> Result<String, StoreError> {
        const {
            assert!(
                T::CHUNKS == 1,
                "a chunked session is several cookies: use `set_cookies` (or `testing::cookie`)"
            )
        };
        let stamp = self.fresh_stamp();
        with_scratch(self.envelope_len_limit(), |raw| {
            let payload_len = self.serialize_into(data, raw)?;
            let envelope_len = self.seal(raw, payload_len, stamp)?;
            let value = &raw[..envelope_len];
            let mut out = String::with_capacity(base64url_len(value.len()));
            encode_into(value, &mut out);
            self.check_budget(out.len())?;
            Ok(out)
        })
    }

    /// The `Set-Cookie` text that deletes the session cookie in the browser
    /// (empty value, `Max-Age=0`, an `Expires` in the past, same
    /// `Path`/`Domain`).
    /// (For a chunked session, the first chunk's; `set_cookies` of a cleared
    /// session deletes every chunk the request carried.)
    pub fn removal_cookie(&self) -> String {
        self.removal_of(T::NAME)
    }

    /// The expiring cookie of `name`, with this configuration's attributes.
    fn removal_of(&self, name: &str) -> String {
        const REMOVAL: &str = "=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
        let suffix = &self.inner.attribute_suffix;
        let mut out = String::with_capacity(name.len() + REMOVAL.len() + suffix.len());
        out.push_str(name);
        out.push_str(REMOVAL);
        out.push_str(suffix);
        out
    }

    /// The largest envelope (header, payload, tag) this type can produce,
    /// within the browser limit: the scratch space for writing a cookie.
    fn envelope_len_limit(&self) -> usize {
        T::Envelope::OVERHEAD
            .saturating_add(T::MAX_PAYLOAD_LEN)
            .min(MAX_RAW_LEN)
    }

    /// Serializes `data` where the envelope expects the payload, never beyond
    /// the type's bound; returns the payload length.
    fn serialize_into(&self, data: &T, raw: &mut [u8]) -> Result<usize, StoreError> {
        let offset = Codec::<T::Envelope>::payload_offset();
        let room = T::MAX_PAYLOAD_LEN.min(raw.len() - T::Envelope::OVERHEAD);
        payload::serialize(data, &mut raw[offset..offset + room]).map_err(|err| match err {
            payload::SerializeError::BufferFull => StoreError::ExceedsBound {
                max_payload_len: T::MAX_PAYLOAD_LEN,
            },
            payload::SerializeError::Serde(err) => StoreError::Serialize(err.to_string()),
        })
    }

    /// Seals the payload already in place under a fresh header; returns the
    /// envelope length.
    fn seal(&self, raw: &mut [u8], payload_len: usize, stamp: Stamp) -> Result<usize, StoreError> {
        let codec = &self.inner.codec;
        let header = Header {
            format: T::Envelope::FORMAT,
            key_id: codec.key(stamp.key_index).0,
            version: T::VERSION,
            fingerprint_hint: fingerprint_hint(T::SCHEMA_FINGERPRINT),
            created_ms: stamp.start.created_ms,
            issued_ms: stamp.issued_ms,
            lifetime: stamp.lifetime.to_byte(),
            start_seq: stamp.start.seq,
        };
        codec
            .seal(raw, payload_len, &header, stamp.key_index)
            .map_err(|_| StoreError::Randomness)
    }

    fn check_budget(&self, value_len: usize) -> Result<(), StoreError> {
        let len = T::NAME.len() + value_len;
        let limit = self.cookie_len_limit();
        if len > limit {
            return Err(StoreError::OverBudget { len, limit });
        }
        Ok(())
    }

    /// `name=value[; Max-Age=N]<attributes>` at exact capacity: `http`'s
    /// `HeaderValue::try_from(String)` keeps the buffer only when nothing is
    /// spare, else it reallocates (measured: 2 allocations per write instead
    /// of 1). A browser-session cookie has no `Max-Age`.
    fn render(&self, raw: &[u8], stamp: Stamp, timeouts: &Timeouts) -> Result<String, StoreError> {
        let value_len = base64url_len(raw.len());
        self.check_budget(value_len)?;
        let max_age = stamp
            .lifetime
            .is_persistent()
            .then(|| timeouts.max_age_secs(stamp.start.created_ms, stamp.issued_ms));
        // Usually the session's deadline is as far as a new session's (the
        // idle timeout): its tail was rendered once, with the attributes.
        let fresh = &self.inner.fresh_tails[usize::from(stamp.lifetime.to_byte())];
        let other_max_age = max_age.filter(|&secs| Some(secs) != fresh.max_age_secs);
        let tail_len = match other_max_age {
            None => fresh.text.len(),
            Some(secs) => MAX_AGE.len() + decimal_len(secs) + self.inner.attribute_suffix.len(),
        };
        let len = T::NAME.len() + 1 + value_len + tail_len;
        let mut out = String::with_capacity(len);
        out.push_str(T::NAME);
        out.push('=');
        encode_into(raw, &mut out);
        match other_max_age {
            None => out.push_str(&fresh.text),
            Some(secs) => {
                out.push_str(MAX_AGE);
                push_decimal(&mut out, secs);
                out.push_str(&self.inner.attribute_suffix);
            }
        }
        debug_assert_eq!(out.len(), len);
        Ok(out)
    }
}

/// Whether a `Changed` write can be skipped, and what goes out instead.
enum Pointless {
    /// The write is needed.
    No,
    /// The browser's cookie already says it (or there is nothing to say).
    NothingToSend,
    /// A cleared session holding only default data: the expiring cookie.
    StillCleared,
}
