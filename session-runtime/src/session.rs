//! The per-request session handle.

use core::fmt;
use core::ops::{Deref, DerefMut};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::codec::{Header, Seal};
use crate::lifetime::Lifetime;
use crate::reject::Rejection;

/// How the request's cookie was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadStatus {
    /// The request carried no cookie of this name: a fresh session.
    Missing,
    /// The cookie verified with the current key.
    Valid,
    /// The cookie verified with a previous key; it is re-issued with the current
    /// key when the response is stored.
    ValidPreviousKey,
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
    /// The data was modified (and, for a loaded session, differs from the cookie).
    Changed,
    /// [`Session::renew`] was called: a new session start time and cookie.
    Renewed,
    /// The cookie verified with a previous key and is re-signed with the current one.
    Rekeyed,
    /// The cookie was migrated from an older session version.
    Migrated,
    /// The cookie is older than the refresh interval; re-issued to keep the idle
    /// timeout rolling.
    Refreshed,
    /// [`Session::clear`] was called: an expiring cookie deletes it in the browser.
    Cleared,
}

/// What the loaded cookie looked like, to detect writes that change nothing
/// and to keep the session's start time.
#[derive(Clone, Copy)]
pub(crate) struct Origin {
    pub header: Header,
    pub seal: Seal,
    pub payload_len: usize,
    /// Which configured key verified it (the "unchanged" check re-MACs with it).
    pub key_index: usize,
    /// The lifetime the cookie carried.
    pub lifetime: Lifetime,
}

/// The typed session of one request: your struct plus what the runtime needs to
/// decide whether and how to write it back.
///
/// Reading goes through `Deref` to your struct; any mutable access (`DerefMut`,
/// the derive's `set_*` accessors through it, [`get_mut`](Self::get_mut)) marks
/// the session as possibly changed. When stored, a possibly-changed session
/// whose encoding equals the cookie it came from sends nothing.
pub struct Session<T> {
    data: T,
    status: LoadStatus,
    pub(crate) origin: Option<Origin>,
    touched: bool,
    renew: bool,
    cleared: bool,
    pub(crate) refresh: bool,
    /// Set by [`set_lifetime`](Session::set_lifetime).
    chosen_lifetime: Option<Lifetime>,
}

impl<T: Default> Session<T> {
    /// A fresh session with default data, as for a request without a cookie.
    pub fn new() -> Self {
        Self::fresh(LoadStatus::Missing)
    }

    pub(crate) fn fresh(status: LoadStatus) -> Self {
        Session {
            data: T::default(),
            status,
            origin: None,
            touched: false,
            renew: false,
            cleared: false,
            refresh: false,
            chosen_lifetime: None,
        }
    }
}

impl<T: Default> Default for Session<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Session<T> {
    pub(crate) fn loaded(data: T, status: LoadStatus, origin: Origin, refresh: bool) -> Self {
        Session {
            data,
            status,
            origin: Some(origin),
            touched: false,
            renew: false,
            cleared: false,
            refresh,
            chosen_lifetime: None,
        }
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
        self.origin.is_none()
    }

    /// Mutable access; marks the session as possibly changed.
    pub fn get_mut(&mut self) -> &mut T {
        self.touched = true;
        &mut self.data
    }

    /// Replaces the data; marks the session as possibly changed.
    pub fn set(&mut self, data: T) {
        self.touched = true;
        self.data = data;
    }

    /// Starts a new session lifetime: a new start time for the absolute
    /// timeout and a new cookie even if the data is equal. Call it on login and
    /// privilege change (session-fixation defence, OWASP ASVS V3.2.1).
    pub fn renew(&mut self) {
        self.renew = true;
    }

    /// Chooses the session's [`Lifetime`] (usually at login, e.g. "remember
    /// me"); the cookie is re-issued with it. It must be one the configuration
    /// declares, or storing fails.
    pub fn set_lifetime(&mut self, lifetime: Lifetime) {
        self.touched = true;
        self.chosen_lifetime = Some(lifetime);
    }

    /// The session's lifetime: chosen with [`set_lifetime`](Self::set_lifetime),
    /// else the loaded cookie's; `None` for a fresh session that did not
    /// choose (the configuration's default applies).
    pub fn lifetime(&self) -> Option<Lifetime> {
        self.chosen_lifetime
            .or(self.origin.map(|origin| origin.lifetime))
    }

    /// When the session started (first issue or last [`renew`](Self::renew)),
    /// for a session loaded from a valid cookie.
    pub fn created_at(&self) -> Option<SystemTime> {
        self.origin
            .map(|origin| UNIX_EPOCH + Duration::from_millis(origin.header.created_ms))
    }

    /// When the loaded cookie was issued.
    pub fn issued_at(&self) -> Option<SystemTime> {
        self.origin
            .map(|origin| UNIX_EPOCH + Duration::from_millis(origin.header.issued_ms))
    }

    /// The data, consuming the handle.
    pub fn into_inner(self) -> T {
        self.data
    }

    /// Whether storing this session sends a `Set-Cookie`, and why. (A
    /// [`Changed`](WriteReason::Changed) session whose encoding turns out equal
    /// to its cookie sends nothing.)
    pub fn pending_write(&self) -> Option<WriteReason> {
        if self.touched {
            if self.renew {
                return Some(WriteReason::Renewed);
            }
            return Some(WriteReason::Changed);
        }
        if self.cleared {
            return Some(WriteReason::Cleared);
        }
        if self.renew {
            return Some(WriteReason::Renewed);
        }
        if matches!(self.status, LoadStatus::Migrated { .. }) {
            return Some(WriteReason::Migrated);
        }
        if matches!(self.status, LoadStatus::ValidPreviousKey) {
            return Some(WriteReason::Rekeyed);
        }
        if self.refresh {
            return Some(WriteReason::Refreshed);
        }
        None
    }

    /// How recent the loaded session is, for choosing among several authentic
    /// cookies: the later start wins, then the later issue.
    pub(crate) fn recency(&self) -> (u64, u64) {
        self.origin.map_or((0, 0), |origin| {
            (origin.header.created_ms, origin.header.issued_ms)
        })
    }

    /// Whether the data was cleared and then written again (a fresh session).
    pub(crate) fn starts_over(&self) -> bool {
        self.cleared || self.renew || self.origin.is_none()
    }
}

impl<T: Default> Session<T> {
    /// Resets the data to its default and deletes the cookie on store
    /// (logout). Modifying the session afterwards starts a fresh one instead.
    pub fn clear(&mut self) {
        self.data = T::default();
        self.cleared = true;
        self.touched = false;
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
            .field("pending_write", &self.pending_write())
            .finish()
    }
}
