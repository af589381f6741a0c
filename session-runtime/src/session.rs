//! The per-request session handle and the one owner of its lifecycle
//! (docs/lifecycle.md): every transition of a session between its load and
//! its `Set-Cookie` is a method here, and the store reads the outcome through
//! [`Session::pending_write`] and the crate-private accessors below.

use core::fmt;
use core::ops::{Deref, DerefMut};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::lifetime::{DeclaredLifetimes, Lifetime, UndeclaredLifetime};
use crate::origin::{Origin, PackedStart, StartOrder};
use crate::reject::Rejection;
use crate::session_type::CookieSession;

/// How the request's cookie was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadStatus {
    /// The request carried no cookie of this name: a fresh session.
    Missing,
    /// The cookie verified with the signing key or a
    /// [`VerifyOnly`](crate::KeyRole::VerifyOnly) key.
    Valid,
    /// The cookie verified with a key in the [`Verify`](crate::KeyRole::Verify)
    /// role; it is re-issued with the signing key when the response is stored
    /// ([`WriteReason::Rekeyed`]).
    ValidVerifyKey,
    /// The cookie was written by an older version of the session and converted
    /// through `#[session(migrate_from = ...)]`; it is re-issued as the current
    /// version when the response is stored.
    Migrated {
        /// The version found in the cookie.
        from: u16,
    },
    /// The cookie was refused: a fresh session, and here is why.
    Rejected(Rejection),
}

/// Why storing the session will send a `Set-Cookie`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteReason {
    /// The data or the lifetime was modified (and, for a loaded session,
    /// the cookie would differ).
    Changed,
    /// [`Session::renew`] was called: a new session start and cookie.
    Renewed,
    /// The cookie verified with a [`Verify`](crate::KeyRole::Verify)-role key
    /// and is re-signed with the signing key.
    Rekeyed,
    /// The cookie was migrated from an older session version.
    Migrated,
    /// The cookie is older than the refresh interval; re-issued to keep the idle
    /// timeout rolling.
    Refreshed,
    /// [`Session::clear`] was called: an expiring cookie deletes it in the browser.
    Cleared,
}

/// The typed session of one request: your struct plus what the runtime needs to
/// decide whether and how to write it back.
///
/// Reading goes through `Deref` to your struct; any mutable access (`DerefMut`,
/// the derive's `set_*` and `*_mut` accessors through it,
/// [`get_mut`](Self::get_mut)) marks the session as possibly changed. When
/// stored, a possibly-changed session whose encoding equals the cookie it came
/// from sends nothing. docs/lifecycle.md has every transition as a table.
pub struct Session<T> {
    data: T,
    status: LoadStatus,
    source: Source,
    /// The lifetimes the configuration declares (all, for [`Session::new`]).
    declared: DeclaredLifetimes,
    /// Bit `i` set: the request carried a cookie named `NAME.i` (chunk `i`
    /// of a chunked session), which a write that needs fewer chunks (or a
    /// logout) must delete.
    chunks_seen: u8,
    marks: Marks,
    /// Set by [`set_lifetime`](Session::set_lifetime) in this request.
    chosen_lifetime: Option<Lifetime>,
    /// When a configuration that binds sessions to devices (DBSC) loaded
    /// this session (Unix seconds): a renew starts a pending binding then.
    /// `None` under other configurations (a renew unbinds).
    #[cfg(feature = "dbsc")]
    binding_start: Option<u64>,
}

/// Where the data came from (one or the other, so they share their room:
/// docs of `origin.rs`).
#[derive(Clone, Copy)]
enum Source {
    /// No cookie was accepted. The latest start among the request's
    /// authentic cookies, if any (a refused newer cookie): a new start must
    /// beat it.
    Fresh(Option<PackedStart>),
    /// The accepted cookie.
    Loaded(Origin),
}

/// What happened to the session in this request, one bit each (four
/// `bool`s would take three more bytes of every `Session<T>`, see
/// `origin.rs`).
#[derive(Clone, Copy, Default)]
struct Marks(u8);

impl Marks {
    /// The data (or lifetime) may have changed.
    const TOUCHED: u8 = 1;
    /// `renew()` was called (and not undone by a later `clear()`).
    const RENEW: u8 = 2;
    /// `clear()` was called.
    const CLEARED: u8 = 4;
    /// The origin is older than the refresh interval of its lifetime.
    const REFRESH: u8 = 8;

    fn has(self, mark: u8) -> bool {
        self.0 & mark != 0
    }

    fn set(&mut self, mark: u8, on: bool) {
        if on {
            self.0 |= mark;
        } else {
            self.0 &= !mark;
        }
    }
}

impl<T: Default> Session<T> {
    /// A fresh session with default data, as for a request without a cookie,
    /// outside any configuration (any [`Lifetime`] may be chosen; storing
    /// checks it). Sessions of a configuration come from its loads.
    pub fn new() -> Self {
        Self::fresh(LoadStatus::Missing, DeclaredLifetimes::ALL, None)
    }

    pub(crate) fn fresh(
        status: LoadStatus,
        declared: DeclaredLifetimes,
        supersedes: Option<StartOrder>,
    ) -> Self {
        Session {
            data: T::default(),
            status,
            source: Source::Fresh(supersedes.map(PackedStart::pack)),
            declared,
            chunks_seen: 0,
            marks: Marks::default(),
            chosen_lifetime: None,
            #[cfg(feature = "dbsc")]
            binding_start: None,
        }
    }
}

impl<T: Default> Default for Session<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Session<T> {
    pub(crate) fn loaded(
        data: T,
        status: LoadStatus,
        origin: Origin,
        refresh: bool,
        declared: DeclaredLifetimes,
    ) -> Self {
        let mut marks = Marks::default();
        marks.set(Marks::REFRESH, refresh);
        Session {
            data,
            status,
            source: Source::Loaded(origin),
            declared,
            chunks_seen: 0,
            marks,
            chosen_lifetime: None,
            #[cfg(feature = "dbsc")]
            binding_start: None,
        }
    }

    /// Records which later chunks (`NAME.i`) the request carried.
    pub(crate) fn with_chunks_seen(mut self, chunks_seen: u8) -> Self {
        self.chunks_seen = chunks_seen;
        self
    }

    /// Bit `i`: the request carried chunk `i` of a chunked session.
    pub(crate) fn chunks_seen(&self) -> u8 {
        self.chunks_seen
    }

    /// How the request's cookie was found, including why it was refused.
    pub fn status(&self) -> &LoadStatus {
        &self.status
    }

    /// The reason the request's cookie was refused, if it was.
    pub fn rejection(&self) -> Option<&Rejection> {
        match &self.status {
            LoadStatus::Rejected(reason) => Some(reason),
            _ => None,
        }
    }

    /// True when the data did not come from a valid cookie (none, or refused).
    pub fn is_new(&self) -> bool {
        self.origin().is_none()
    }

    /// Mutable access; marks the session as possibly changed.
    pub fn get_mut(&mut self) -> &mut T {
        self.marks.set(Marks::TOUCHED, true);
        &mut self.data
    }

    /// Replaces the data; marks the session as possibly changed.
    pub fn set(&mut self, data: T) {
        self.marks.set(Marks::TOUCHED, true);
        self.data = data;
    }

    /// Chooses the session's [`Lifetime`] (usually at login, e.g. "remember
    /// me"); the cookie is re-issued with it. A lifetime the configuration
    /// does not declare is refused here, with an error naming the builder
    /// call that declares it, and the session is left as it was.
    ///
    /// ```
    /// use session_runtime::{CookieSession, Key, Lifetime, SessionConfig};
    /// # #[derive(CookieSession, serde::Serialize, serde::Deserialize, Default)]
    /// # #[session(name = "__Host-app", version = 1)]
    /// # struct App { user_id: Option<u64> }
    /// let config = SessionConfig::<App>::new(Key::from_secret(&[3; 32]).unwrap()).unwrap();
    /// let mut session = config.load(&http::HeaderMap::new());
    /// let err = session.set_lifetime(Lifetime::RememberMe).unwrap_err();
    /// assert!(err.to_string().contains(".remember_me(idle, absolute)"));
    /// assert_eq!(session.lifetime(), Lifetime::Standard); // unchanged
    /// ```
    pub fn set_lifetime(&mut self, lifetime: Lifetime) -> Result<(), UndeclaredLifetime> {
        if !self.declared.contains(lifetime) {
            return Err(UndeclaredLifetime::new(lifetime));
        }
        self.marks.set(Marks::TOUCHED, true);
        self.chosen_lifetime = Some(lifetime);
        Ok(())
    }

    /// The lifetime the next cookie is written with: the one chosen in this
    /// request with [`set_lifetime`](Self::set_lifetime), else the loaded
    /// cookie's (unless [`renew`](Self::renew) or [`clear`](Self::clear)
    /// started over), else the configuration's default.
    pub fn lifetime(&self) -> Lifetime {
        self.chosen_lifetime
            .or_else(|| Some(self.kept_origin()?.lifetime()))
            .unwrap_or(self.declared.default_lifetime())
    }

    /// When the session started (first issue or last [`renew`](Self::renew)),
    /// for a session loaded from a valid cookie.
    pub fn created_at(&self) -> Option<SystemTime> {
        self.origin()
            .map(|origin| UNIX_EPOCH + Duration::from_millis(origin.created_ms()))
    }

    /// When the loaded cookie was issued.
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.origin()
            .map(|origin| UNIX_EPOCH + Duration::from_millis(origin.issued_ms()))
    }

    /// The data, consuming the handle.
    pub fn into_inner(self) -> T {
        self.data
    }

    /// Whether storing this session sends a `Set-Cookie`, and why. (A
    /// [`Changed`](WriteReason::Changed) session whose encoding turns out equal
    /// to its cookie, or a new session holding only default data, sends
    /// nothing; a cleared session changed back to its default data sends the
    /// expiring cookie.)
    pub fn pending_write(&self) -> Option<WriteReason> {
        if self.marks.has(Marks::RENEW) {
            return Some(WriteReason::Renewed);
        }
        if self.marks.has(Marks::TOUCHED) {
            return Some(WriteReason::Changed);
        }
        if self.marks.has(Marks::CLEARED) {
            return Some(WriteReason::Cleared);
        }
        if matches!(self.status, LoadStatus::Migrated { .. }) {
            return Some(WriteReason::Migrated);
        }
        if matches!(self.status, LoadStatus::ValidVerifyKey) {
            return Some(WriteReason::Rekeyed);
        }
        if self.marks.has(Marks::REFRESH) {
            return Some(WriteReason::Refreshed);
        }
        None
    }

    /// The loaded cookie, if one was accepted.
    pub(crate) fn origin(&self) -> Option<&Origin> {
        match &self.source {
            Source::Loaded(origin) => Some(origin),
            Source::Fresh(_) => None,
        }
    }

    /// The loaded cookie unless the session starts over: the cookie whose
    /// start (and key, unless retiring) the next write keeps.
    pub(crate) fn kept_origin(&self) -> Option<&Origin> {
        self.origin().filter(|_| !self.starts_over())
    }

    /// The latest start among the request's authentic cookies: a session
    /// that starts now must be ordered after it. (A loaded session's own
    /// start is the latest: a newer authentic cookie would have decided.)
    pub(crate) fn latest_start_seen(&self) -> Option<StartOrder> {
        match &self.source {
            Source::Loaded(origin) => Some(origin.start()),
            Source::Fresh(supersedes) => supersedes.map(PackedStart::unpack),
        }
    }

    /// Whether the loaded cookie is due its idle refresh.
    pub(crate) fn refresh_due(&self) -> bool {
        self.marks.has(Marks::REFRESH)
    }

    /// Whether [`clear`](Self::clear) was called (and nothing renewed since).
    pub(crate) fn is_cleared(&self) -> bool {
        self.marks.has(Marks::CLEARED) && !self.marks.has(Marks::RENEW)
    }

    /// Whether the next write starts a new session (renewed, cleared, or no
    /// valid cookie) rather than continuing the loaded one.
    pub(crate) fn starts_over(&self) -> bool {
        self.marks.has(Marks::CLEARED) || self.marks.has(Marks::RENEW) || self.origin().is_none()
    }

    /// The same session with another load status (fail-closed loads).
    pub(crate) fn refused(self, reason: Rejection) -> Session<T>
    where
        T: Default,
    {
        let supersedes = self.latest_start_seen();
        let fresh = Session::<T>::fresh(LoadStatus::Rejected(reason), self.declared, supersedes);
        #[cfg(feature = "dbsc")]
        let fresh = fresh.with_binding_start(self.binding_start);
        fresh.with_chunks_seen(self.chunks_seen)
    }

    /// Records when a configuration that binds sessions to devices loaded
    /// this session (see `binding_start`).
    #[cfg(feature = "dbsc")]
    pub(crate) fn with_binding_start(mut self, now_secs: Option<u64>) -> Self {
        self.binding_start = now_secs;
        self
    }
}

impl<T: CookieSession> Session<T> {
    /// Starts a new session: the next cookie gets a new start (for the
    /// absolute timeout, and ordered after every cookie this request carried,
    /// so a session planted before the login never wins over it), the
    /// lifetime goes back to the configuration's default unless one is chosen
    /// in this request, and the CSRF token (a `CsrfToken` field, or one
    /// marked `#[session(csrf)]`) is replaced by a new one. The data is kept.
    /// Call it on login and privilege change (session-fixation defence, OWASP
    /// ASVS V3.2.1). With DBSC on (feature `dbsc`), the session's
    /// `DeviceBinding` field starts over too: a new
    /// pending binding whose registration the response offers, never the
    /// previous login's device key.
    pub fn renew(&mut self) {
        self.marks.set(Marks::RENEW, true);
        self.data.__rotate_csrf_token();
        #[cfg(feature = "dbsc")]
        self.data.__restart_device_binding(self.binding_start);
    }

    /// Logs out: resets the data to its default (so the CSRF token is unset
    /// and a new one is made on the next page) and the lifetime to the
    /// configuration's default, and deletes the cookie on store. Changing the
    /// session afterwards (a flash message) starts a new session instead.
    pub fn clear(&mut self) {
        self.data = T::default();
        self.marks.set(Marks::CLEARED, true);
        self.marks.set(Marks::TOUCHED, false);
        self.marks.set(Marks::RENEW, false);
        self.chosen_lifetime = None;
    }

    /// An exact copy of this session (data, load status, lifetime choice,
    /// pending write), made through the session's own codec, so it needs no
    /// `T: Clone` and equals what the next request would load. Fails only
    /// when the data does not survive its own serde encoding. (The web
    /// adapters' handles use it when a writer shares its snapshot.)
    #[cfg(any(feature = "web", all(test, feature = "derive")))]
    pub(crate) fn duplicate(&self) -> Result<Session<T>, String> {
        let bytes = postcard::to_allocvec(&self.data).map_err(|err| err.to_string())?;
        let data = match postcard::take_from_bytes::<T>(&bytes) {
            Ok((data, [])) => data,
            Ok(_) => return Err("trailing bytes".to_owned()),
            Err(err) => return Err(err.to_string()),
        };
        Ok(Session {
            data,
            status: self.status.clone(),
            source: self.source,
            declared: self.declared,
            chunks_seen: self.chunks_seen,
            marks: self.marks,
            chosen_lifetime: self.chosen_lifetime,
            #[cfg(feature = "dbsc")]
            binding_start: self.binding_start,
        })
    }
}

impl<T> Deref for Session<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T> DerefMut for Session<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.get_mut()
    }
}

impl<T: fmt::Debug> fmt::Debug for Session<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("data", &self.data)
            .field("status", &self.status)
            .field("lifetime", &self.lifetime())
            .field("pending_write", &self.pending_write())
            .finish()
    }
}

// The tests derive their session type.
#[cfg(all(test, feature = "derive"))]
mod tests {
    use super::*;
    use crate::config::SessionConfig;
    use crate::key::Key;

    #[derive(
        crate::CookieSession, serde::Serialize, serde::Deserialize, Default, Debug, PartialEq,
    )]
    #[session(name = "__Host-unit", version = 1, crate = "crate")]
    struct Unit {
        n: u32,
    }

    /// A session loaded from a valid cookie holding `n`.
    fn loaded(config: &SessionConfig<Unit>, n: u32, lifetime: Lifetime) -> Session<Unit> {
        let mut fresh = config.load_cookies([]);
        fresh.set_n(n);
        fresh.set_lifetime(lifetime).unwrap();
        let cookie = config.set_cookie(&fresh).unwrap().unwrap();
        let pair = cookie.split(';').next().unwrap().to_owned();
        let session = config.load_cookies([pair.as_bytes()]);
        assert_eq!(*session.status(), LoadStatus::Valid);
        session
    }

    /// What the runtime adds to the app's struct (`origin.rs` says why it
    /// matters): a 56-byte struct such as the HTTP benchmark's stays within
    /// the 128 bytes the compiler moves inline.
    #[test]
    fn the_bookkeeping_is_72_bytes() {
        // DBSC (feature `dbsc`) adds the load time a renew binds from.
        let dbsc = if cfg!(feature = "dbsc") { 16 } else { 0 };
        assert_eq!(core::mem::size_of::<Session<()>>(), 72 + dbsc);
        assert_eq!(core::mem::size_of::<Session<[u64; 7]>>(), 128 + dbsc);
    }

    /// Every operation's effect survives `duplicate`: data, status, lifetime,
    /// the pending write, whether it starts over, and the cookie it stores.
    #[test]
    fn duplicates_are_exact() {
        let day = Duration::from_secs(86_400);
        let config = SessionConfig::<Unit>::builder(Key::from_secret(&[5; 32]).unwrap())
            .remember_me(30 * day, 60 * day)
            .clock(crate::ManualClock::new(1_795_651_200_000))
            .build()
            .unwrap();
        type Edit = fn(&mut Session<Unit>);
        let edits: [(&str, Edit); 9] = [
            ("untouched", |_| {}),
            ("changed", |s| s.set_n(9)),
            ("renewed", |s| s.renew()),
            ("changed and renewed", |s| {
                s.set_n(9);
                s.renew();
            }),
            ("cleared", |s| s.clear()),
            ("cleared then changed", |s| {
                s.clear();
                s.set_n(9);
            }),
            ("remember me", |s| {
                s.set_lifetime(Lifetime::RememberMe).unwrap()
            }),
            ("browser session", |s| {
                s.set_lifetime(Lifetime::BrowserSession).unwrap()
            }),
            ("cleared then renewed", |s| {
                s.clear();
                s.renew();
            }),
        ];
        for (what, edit) in edits {
            for mut original in [
                loaded(&config, 3, Lifetime::Standard),
                loaded(&config, 3, Lifetime::RememberMe),
                config.load_cookies([]),
            ] {
                edit(&mut original);
                let copy = original.duplicate().unwrap();
                assert_eq!(copy.n, original.n, "{what}");
                assert_eq!(copy.status(), original.status(), "{what}");
                assert_eq!(copy.lifetime(), original.lifetime(), "{what}");
                assert_eq!(copy.pending_write(), original.pending_write(), "{what}");
                assert_eq!(copy.starts_over(), original.starts_over(), "{what}");
                assert_eq!(copy.created_at(), original.created_at(), "{what}");
                // Same clock, same inputs: the same cookie (signed mode has
                // no nonce).
                assert_eq!(
                    config.set_cookie(&copy),
                    config.set_cookie(&original),
                    "{what}"
                );
            }
        }
    }
}
