//! A configuration under attack, with everything the reference decoder needs
//! to know about it, and the three-way check of one case.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use session_runtime::defaults::MAX_CLOCK_SKEW;
use session_runtime::{Clock, CookieSession, LoadStatus, ManualClock, SessionConfig};
use session_tests::reference::{
    check_times, decode_payload, hint, open, survives_cookie_header, Binding, Forger, Header,
    Lifetimes, Mode, TimeLimits, Timeouts,
};
use session_tests::{key, secret, T0_MS};

/// An older version a session type migrates from (`migrate_from`): its
/// cookies are still accepted, decoded with the older type.
#[derive(Clone, Copy)]
pub struct Older {
    pub version: u16,
    pub fingerprint: u64,
    pub max_cookie_len: usize,
    /// Whether an authentic payload decodes as the older type.
    pub decodes: fn(&[u8]) -> bool,
}

/// The "remember me" timeouts every configuration here declares (so all
/// three lifetime bytes are meaningful): 30 days idle, 60 days absolute.
pub const REMEMBER_IDLE: Duration = Duration::from_secs(30 * 86_400);
/// See [`REMEMBER_IDLE`].
pub const REMEMBER_ABSOLUTE: Duration = Duration::from_secs(60 * 86_400);

pub fn decodes_as<T: CookieSession>(payload: &[u8]) -> bool {
    decode_payload::<T>(payload).is_some()
}

/// A `SessionConfig` with everything the reference decoder needs to know
/// about it. Its revocation check counts its calls and revokes sessions
/// created before `revoke_before` (0: none).
pub struct Ctx<T: CookieSession> {
    pub label: &'static str,
    pub config: SessionConfig<T>,
    pub clock: ManualClock,
    /// Verifying keys in configuration order; `keys[0]` seals.
    pub keys: Vec<Forger>,
    pub older: Vec<Older>,
    /// The declared lifetimes (standard, browser session, remember me).
    pub lifetimes: Lifetimes,
    pub skew_ms: u64,
    pub revoke_before: Arc<AtomicU64>,
    hook_calls: Arc<AtomicUsize>,
}

impl<T: CookieSession + Clone + PartialEq + Debug> Ctx<T> {
    /// Seals with `key(current)`, verifies with `previous` too, clock at
    /// `T0_MS`, remember-me declared.
    pub fn new(label: &'static str, current: u8, previous: &[u8]) -> Ctx<T> {
        Self::with_older(label, current, previous, Vec::new())
    }

    pub fn with_older(
        label: &'static str,
        current: u8,
        previous: &[u8],
        older: Vec<Older>,
    ) -> Ctx<T> {
        Self::build(label, current, previous, older, true)
    }

    /// The same configuration without `remember_me`: cookies of that
    /// lifetime are `unknown_lifetime` here.
    pub fn without_remember_me(&self) -> Ctx<T> {
        Self::build(self.label, 1, &[], self.older.clone(), false)
    }

    fn build(
        label: &'static str,
        current: u8,
        previous: &[u8],
        older: Vec<Older>,
        remember_me: bool,
    ) -> Ctx<T> {
        let clock = ManualClock::new(T0_MS);
        let revoke_before = Arc::new(AtomicU64::new(0));
        let hook_calls = Arc::new(AtomicUsize::new(0));
        let (cutoff, calls) = (Arc::clone(&revoke_before), Arc::clone(&hook_calls));
        let mut builder = SessionConfig::<T>::builder(key(current))
            .clock(clock.clone())
            .revocation_check(move |_session, cookie| {
                calls.fetch_add(1, Ordering::SeqCst);
                let cutoff = UNIX_EPOCH + Duration::from_millis(cutoff.load(Ordering::SeqCst));
                cookie.created_at >= cutoff
            });
        for &p in previous {
            builder = builder.verify_key(key(p));
        }
        if remember_me {
            builder = builder.remember_me(REMEMBER_IDLE, REMEMBER_ABSOLUTE);
        }
        let config = builder.build().expect("valid config");
        let (config_idle, config_absolute) = (config.idle_timeout(), config.absolute_timeout());
        let keys = std::iter::once(current)
            .chain(previous.iter().copied())
            .map(|k| Forger::new(&secret(k)))
            .collect();
        Ctx {
            label,
            config,
            clock,
            keys,
            older,
            lifetimes: Lifetimes([
                Some(Timeouts::new(config_idle, config_absolute)),
                Some(Timeouts::new(config_idle, config_absolute)),
                remember_me.then(|| Timeouts::new(REMEMBER_IDLE, REMEMBER_ABSOLUTE)),
            ]),
            skew_ms: MAX_CLOCK_SKEW.as_millis() as u64,
            revoke_before,
            hook_calls,
        }
    }

    /// Same type, same older versions, other keys.
    pub fn sibling(&self, current: u8, previous: &[u8]) -> Ctx<T> {
        Self::with_older(self.label, current, previous, self.older.clone())
    }

    pub fn mode(&self) -> Mode {
        Mode::of::<T>()
    }

    pub fn now(&self) -> u64 {
        self.clock.now_unix_ms()
    }

    /// The length cap: the longest cookie of this type or of any version it
    /// migrates from, within the browser limit, minus the name.
    pub fn max_value_len(&self) -> usize {
        let own = T::MAX_COOKIE_LEN.min(T::BUDGET);
        let older = self.older.iter().map(|o| o.max_cookie_len);
        older.fold(own, usize::max).min(4096) - T::NAME.len()
    }

    /// A header for `T` sealed by the current key, issued now.
    pub fn header(&self) -> Header {
        Header::new::<T>(self.keys[0].key_id, self.now())
    }

    /// A validly sealed cookie value with this header and payload.
    pub fn forge(&self, header: Header, payload: &[u8]) -> String {
        self.keys[0].forge(&Binding::of::<T>(), &header, payload)
    }

    /// A cookie sealed by the current key for the schema `fingerprint` (the
    /// MAC binds it; the header's hint is whatever `header` says).
    pub fn forge_for(&self, fingerprint: u64, header: Header, payload: &[u8]) -> String {
        let binding = Binding::of::<T>().with_fingerprint(fingerprint);
        self.keys[0].forge(&binding, &header, payload)
    }

    /// The full fingerprint of a version this configuration reads.
    pub fn fingerprint_for(&self, version: u16) -> Option<u64> {
        if version == T::VERSION {
            return Some(T::SCHEMA_FINGERPRINT);
        }
        self.older
            .iter()
            .find(|o| o.version == version)
            .map(|o| o.fingerprint)
    }

    /// The reason for a cookie sealed for `sealed_fingerprint` whose header
    /// says `version` and `hint`, if it gets as far as the MAC: it verifies
    /// only if the version's fingerprint is the sealed one; otherwise
    /// `schema_mismatch` when the hint is not the version's, else
    /// `bad_signature` (docs/wire-format.md, decode step 6).
    pub fn mac_reason(
        &self,
        version: u16,
        hint_on_wire: u16,
        sealed_fingerprint: u64,
    ) -> Option<&'static str> {
        let fingerprint = self.fingerprint_for(version)?;
        if fingerprint == sealed_fingerprint {
            None
        } else if hint_on_wire != hint(fingerprint) {
            Some("schema_mismatch")
        } else {
            Some("bad_signature")
        }
    }

    /// The documented decode order, step by step (docs/wire-format.md), and
    /// the kind of the first check that fails.
    pub fn reference(&self, value: &[u8]) -> Result<(), &'static str> {
        let (header, payload) = open(
            value,
            self.max_value_len(),
            self.mode(),
            T::NAME,
            &self.keys,
            |version| self.fingerprint_for(version),
        )?;
        let older = self.older.iter().find(|o| o.version == header.version);
        let timeouts = self.lifetimes.check(&header)?;
        check_times(
            &header,
            &TimeLimits {
                now_ms: self.now(),
                max_skew_ms: self.skew_ms,
                absolute_ms: timeouts.absolute_ms,
                idle_ms: timeouts.idle_ms,
            },
        )?;
        let decodes = match older {
            _ if header.version == T::VERSION => decodes_as::<T>(&payload),
            Some(older) => (older.decodes)(&payload),
            None => unreachable!("unknown versions were refused above"),
        };
        if !decodes {
            return Err("payload");
        }
        if header.created_ms() < self.revoke_before.load(Ordering::SeqCst) {
            return Err("revoked");
        }
        Ok(())
    }
}

/// Runs one case; on success returns the rejection kind and whether it was
/// also replayed through a `Cookie` header.
pub fn check<T: CookieSession + Clone + PartialEq + Debug>(
    ctx: &Ctx<T>,
    value: &[u8],
    expected: Option<&str>,
    replay: bool,
) -> Result<(&'static str, bool), String> {
    let hook_calls = ctx.hook_calls.load(Ordering::SeqCst);
    let got = match ctx.config.decode(value) {
        Ok(_) => return Err("ACCEPTED".to_owned()),
        Err(reason) => reason,
    };
    // The application's revocation check only ever sees authentic, unexpired,
    // decoded sessions: nothing rejected earlier reaches it.
    let hook_ran = ctx.hook_calls.load(Ordering::SeqCst) != hook_calls;
    if hook_ran != (got.kind() == "revoked") {
        return Err(format!("revocation check ran: {hook_ran}, for {got:?}"));
    }
    let reference = match ctx.reference(value) {
        Ok(()) => "accept",
        Err(kind) => kind,
    };
    if got.kind() != reference || expected.is_some_and(|e| e != got.kind()) {
        return Err(format!(
            "got {got:?}, reference decoder says {reference}, category expects {expected:?}"
        ));
    }
    // The same value through the Cookie header: a pair is split on `;` and
    // trimmed of SP/HTAB, so only values that survive that syntax verbatim are
    // replayed.
    let survives = replay && survives_cookie_header(value);
    if survives {
        let mut header = format!("{}=", T::NAME).into_bytes();
        header.extend_from_slice(value);
        let session = ctx.config.load_cookies([&header[..]]);
        if session.status() != &LoadStatus::Rejected(got.clone())
            || !session.is_new()
            || *session != T::default()
        {
            return Err(format!(
                "through the Cookie header: {:?} instead of {got:?}",
                session.status()
            ));
        }
    }
    Ok((got.kind(), survives))
}
