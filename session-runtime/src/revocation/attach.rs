//! The configuration's side: [`SessionConfigBuilder::revocations`] installs
//! the store's per-request check and registers the configuration's
//! [`max_session_age`](crate::SessionConfig::max_session_age) with the
//! store when the configuration is built, so the store keeps every cut-off
//! as long as any session it could refuse may live. Taken from the
//! configuration itself, the retention cannot be set shorter by mistake
//! (a 7-day retention with 90-day remember-me sessions let revoked
//! sessions back in from day 8).

use std::borrow::Cow;

use super::RedisRevocations;
use crate::config::SessionConfigBuilder;
use crate::session_type::CookieSession;

impl<T: CookieSession> SessionConfigBuilder<T> {
    /// "Log out everywhere" through Redis (feature `redis`,
    /// docs/operations.md): refuses, as
    /// [`Rejection::Revoked`](crate::Rejection::Revoked), every session whose
    /// `subject` (usually the user id; `None` for a session without one,
    /// which is never refused) has a cut-off later than the session's start.
    ///
    /// The check is an in-memory lookup in `store`'s copy (no network round
    /// trip). When the configuration is built, the store learns its
    /// [`max_session_age`](crate::SessionConfig::max_session_age) (the
    /// longest absolute timeout of its lifetimes, remember-me included, plus
    /// the clock-skew allowance) and keeps each cut-off at least that long.
    /// Attach one store to several configurations and it keeps the longest.
    ///
    /// This replaces a [`revocation_check`](Self::revocation_check) set
    /// before (and a later `revocation_check` replaces it, while the store
    /// keeps the retention it learnt at build).
    ///
    /// ```no_run
    /// # use serde::{Deserialize, Serialize};
    /// # use session_runtime::revocation::RedisRevocations;
    /// # use session_runtime::{CookieSession, Key, SessionConfig};
    /// #[derive(CookieSession, Serialize, Deserialize, Default)]
    /// #[session(name = "__Host-app", version = 1)]
    /// struct App {
    ///     user_id: Option<u64>,
    /// }
    ///
    /// const DAY: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);
    /// let revocations = RedisRevocations::builder("redis://127.0.0.1:6379/").start().unwrap();
    /// let config = SessionConfig::<App>::builder(Key::from_secret(&[7; 32]).unwrap())
    ///     .remember_me(30 * DAY, 90 * DAY)
    ///     .revocations(&revocations, |session: &App| {
    ///         session.user_id().map(|id| id.to_string().into())
    ///     })
    ///     .build()
    ///     .unwrap();
    /// // Cut-offs are kept 90 days and the 60 s skew allowance.
    /// assert_eq!(revocations.retention(), Some(config.max_session_age()));
    /// ```
    pub fn revocations(
        mut self,
        store: &RedisRevocations,
        subject: impl Fn(&T) -> Option<Cow<'_, str>> + Send + Sync + 'static,
    ) -> Self {
        let check = store.clone();
        self.revocation = Some(Box::new(move |session, meta| {
            check.still_valid(subject(session).as_deref(), meta)
        }));
        let retain = store.clone();
        self.max_age_listeners.push(Box::new(move |age| {
            retain.retain_for(age);
        }));
        self
    }
}
