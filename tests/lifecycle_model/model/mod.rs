//! The reference model of docs/lifecycle.md, written from that page (and
//! the pages it cites) alone: the session's state, the operations table,
//! the load rules ([`load`]), the handle rules of the web adapters
//! ([`handles`]) and the store rules ([`store`]).
//!
//! It never calls the library. Cookies are read with the independent
//! reference decoder (`session_tests::reference`, written from
//! docs/wire-format.md); CSRF tokens, which are random, are symbols
//! ([`Tok`]) bound to their bytes the first time a response shows them.

pub mod handles;
pub mod load;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::spec::{KeyPlan, Life, Role, SessionOp, Setup};

/// The idle and absolute timeouts and the refresh interval of one
/// lifetime, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// `now - issued > idle` expires.
    pub idle: u64,
    /// `now - created > absolute` expires.
    pub absolute: u64,
    /// `now - issued >= refresh` makes a refresh due.
    pub refresh: u64,
}

impl Timeouts {
    /// The timeouts of `idle` and `absolute` seconds, with the refresh
    /// interval a configuration without `refresh_after` gets: "1 h, or half
    /// the idle timeout if shorter" (the builder's docs).
    pub const fn new(idle: u64, absolute: u64) -> Timeouts {
        let half = idle / 2;
        Timeouts {
            idle,
            absolute,
            refresh: if half < 3600 { half } else { 3600 },
        }
    }
}

/// The timeouts the tests configure, per lifetime: small enough that the
/// clock crosses them within a sequence, all different so a cookie judged
/// with the wrong lifetime's timeouts shows.
pub const STANDARD: Timeouts = Timeouts::new(600, 2400);
/// `browser_session_timeouts(400 s, 1600 s)`.
pub const BROWSER: Timeouts = Timeouts::new(400, 1600);
/// `remember_me(3000 s, 9000 s)`.
pub const REMEMBER_ME: Timeouts = Timeouts::new(3000, 9000);
/// The default `max_clock_skew` (docs/wire-format.md, decode step 8).
pub const SKEW: u64 = 60;

/// What the model knows of a server's configuration.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Declared lifetimes, indexed by wire byte.
    pub lifetimes: [Option<Timeouts>; 3],
    /// The default lifetime.
    pub default_life: Life,
    /// The key set.
    pub keys: KeyPlan,
}

impl Config {
    /// The configuration of a sequence's servers with `keys`.
    pub fn new(setup: &Setup, keys: KeyPlan) -> Config {
        Config {
            lifetimes: [
                Some(STANDARD),
                Some(BROWSER),
                setup.remember_me.then_some(REMEMBER_ME),
            ],
            default_life: setup.default_life,
            keys,
        }
    }

    /// The timeouts of a declared lifetime.
    pub fn timeouts(&self, life: Life) -> Option<Timeouts> {
        self.lifetimes[usize::from(life.byte())]
    }

    /// Whether `set_lifetime(life)` is accepted.
    pub fn declares(&self, life: Life) -> bool {
        self.timeouts(life).is_some()
    }
}

/// A CSRF token: unset (all zero), or the n-th random token of the sequence.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Tok {
    /// The all-zero value.
    #[default]
    Unset,
    /// A random token (its bytes are in [`Tokens`]).
    Id(usize),
}

/// The random tokens of a sequence: a token the model predicts is a new
/// symbol, bound to its bytes when a response first shows it.
#[derive(Default, Debug)]
pub struct Tokens {
    bytes: Vec<Option<[u8; 32]>>,
}

impl Tokens {
    /// A new random token, not yet seen.
    pub fn fresh(&mut self) -> Tok {
        self.bytes.push(None);
        Tok::Id(self.bytes.len() - 1)
    }

    /// The symbol of bytes read from a cookie (a token the model has not
    /// predicted, e.g. sealed by a key holder, gets a symbol of its own).
    pub fn intern(&mut self, bytes: [u8; 32]) -> Tok {
        if bytes == [0; 32] {
            return Tok::Unset;
        }
        if let Some(index) = self.bytes.iter().position(|b| *b == Some(bytes)) {
            return Tok::Id(index);
        }
        self.bytes.push(Some(bytes));
        Tok::Id(self.bytes.len() - 1)
    }

    /// The bytes of a token, if known.
    pub fn bytes(&self, tok: Tok) -> Option<[u8; 32]> {
        match tok {
            Tok::Unset => Some([0; 32]),
            Tok::Id(index) => self.bytes[index],
        }
    }

    /// Checks that `bytes` are the token `tok`, binding a new token: it must
    /// be set and differ from every other token seen (32 random bytes).
    pub fn check(&mut self, tok: Tok, bytes: [u8; 32]) -> Result<(), String> {
        match tok {
            Tok::Unset if bytes == [0; 32] => Ok(()),
            Tok::Unset => Err("a token where the model expects none".into()),
            Tok::Id(index) => match self.bytes[index] {
                Some(known) if known == bytes => Ok(()),
                Some(_) => Err(format!("token #{index} has other bytes than before")),
                None if bytes == [0; 32] => Err(format!(
                    "token #{index} should be a new random token, found the unset one"
                )),
                None if self.bytes.contains(&Some(bytes)) => Err(format!(
                    "token #{index} should be a new random token, found one seen before"
                )),
                None => {
                    self.bytes[index] = Some(bytes);
                    Ok(())
                }
            },
        }
    }

    /// Every token whose bytes are known, oldest first.
    pub fn known(&self) -> Vec<[u8; 32]> {
        self.bytes.iter().flatten().copied().collect()
    }
}

/// The app's struct as the model sees it.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Data {
    /// `user: Option<u32>`.
    pub user: Option<u32>,
    /// `counter: u32`.
    pub counter: u32,
    /// `flash: Flash<BoundedString<8>>`.
    pub flash: Option<String>,
    /// `csrf: CsrfToken`.
    pub csrf: Tok,
}

/// The payload's layout, decoded with postcard from the wire-format table
/// (`Option<T>`, `u32` varint, `Flash<M>` as `Option<M>`, `BoundedString`
/// as a string, `CsrfToken` as `[u8; 32]`), independent of the library's
/// types.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Clone)]
pub struct WireData {
    /// `user`.
    pub user: Option<u32>,
    /// `counter`.
    pub counter: u32,
    /// `flash`.
    pub flash: Option<String>,
    /// `csrf`.
    pub csrf: [u8; 32],
}

/// How the request's cookie was found.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    /// No candidate (or only skipped ones).
    Missing,
    /// Accepted, signing or verify-only key.
    Valid,
    /// Accepted, a key with the `Verify` role.
    ValidVerifyKey,
    /// Refused, with `Rejection::kind()`.
    Rejected(&'static str),
}

impl Status {
    /// As the handlers print it.
    pub fn text(self) -> String {
        match self {
            Status::Missing => "missing".into(),
            Status::Valid => "valid".into(),
            Status::ValidVerifyKey => "valid_verify_key".into(),
            Status::Rejected(kind) => format!("rejected:{kind}"),
        }
    }
}

/// A session start: `(created, start_seq)`, compared in that order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Start {
    /// Wire seconds.
    pub created: u32,
    /// 0 to 63.
    pub seq: u8,
}

/// A key's role in the configuration, signing included.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KeyRole {
    /// The signing key.
    Sign,
    /// `verify_key`.
    Verify,
    /// `verify_only_key`.
    VerifyOnly,
}

impl KeyRole {
    /// The role of pool key `index` under `plan`, if configured.
    pub fn of(plan: &KeyPlan, index: usize) -> Option<KeyRole> {
        match plan.role(index) {
            None => Some(KeyRole::Sign),
            Some(Role::Verify) => Some(KeyRole::Verify),
            Some(Role::VerifyOnly) => Some(KeyRole::VerifyOnly),
            Some(Role::Absent) => None,
        }
    }
}

/// The accepted cookie.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Origin {
    /// Its start.
    pub start: Start,
    /// Its `issued`, wire seconds.
    pub issued: u32,
    /// Its lifetime.
    pub life: Life,
    /// The pool key that verified it.
    pub key: usize,
    /// That key's role.
    pub role: KeyRole,
    /// Its payload.
    pub data: Data,
}

/// The state of docs/lifecycle.md, "The state" (refresh due is computed
/// when storing, from the origin and the clock).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct State {
    /// data.
    pub data: Data,
    /// status.
    pub status: Status,
    /// origin.
    pub origin: Option<Origin>,
    /// latest start seen.
    pub latest: Option<Start>,
    /// lifetime choice.
    pub choice: Option<Life>,
    /// changed.
    pub changed: bool,
    /// renewed.
    pub renewed: bool,
    /// cleared.
    pub cleared: bool,
}

impl State {
    /// A fresh session: default data, no origin.
    pub fn fresh(status: Status, latest: Option<Start>) -> State {
        State {
            data: Data::default(),
            status,
            origin: None,
            latest,
            choice: None,
            changed: false,
            renewed: false,
            cleared: false,
        }
    }

    /// Whether the session continues its origin (an origin, not renewed,
    /// not cleared).
    pub fn continues(&self) -> bool {
        self.origin.is_some() && !self.renewed && !self.cleared
    }

    /// The effective lifetime: the choice, else the origin's if the session
    /// continues, else the configuration's default.
    pub fn effective_life(&self, config: &Config) -> Life {
        self.choice
            .or_else(|| {
                self.continues()
                    .then(|| self.origin.as_ref().map(|origin| origin.life))
                    .flatten()
            })
            .unwrap_or(config.default_life)
    }

    /// Whether `op` makes its handle the writer (docs/lifecycle.md, "The
    /// web adapters": the first mutable access, also an undeclared
    /// `set_lifetime` that leaves the state unchanged); reads and
    /// `flash.take()` behind `is_set()` on an empty flash do not.
    pub fn is_change(&self, op: SessionOp) -> bool {
        match op {
            SessionOp::FlashTake => self.data.flash.is_some(),
            SessionOp::SetLifetime(_) => true,
            other => other.always_mutates(),
        }
    }

    /// Applies one operation; returns the line the handler prints, if any.
    pub fn apply(
        &mut self,
        op: SessionOp,
        config: &Config,
        tokens: &mut Tokens,
        who: &str,
    ) -> Option<Line> {
        match op {
            SessionOp::Print => return Some(self.print(config, who)),
            SessionOp::SetUser(user) => {
                self.data.user = user.map(u32::from);
                self.changed = true;
            }
            SessionOp::IncCounter => {
                self.data.counter += 1;
                self.changed = true;
            }
            SessionOp::SetCounterSame | SessionOp::GetMut => self.changed = true,
            SessionOp::SetLifetime(life) => {
                if !config.declares(life) {
                    return Some(Line::plain(format!(
                        "{who}: set_lifetime({})=err names .remember_me(idle, absolute)",
                        life.lib_name()
                    )));
                }
                self.choice = Some(life);
                self.changed = true;
                return Some(Line::plain(format!(
                    "{who}: set_lifetime({})=ok",
                    life.lib_name()
                )));
            }
            SessionOp::Renew => {
                // "the CSRF token is replaced by a new random one"; the data
                // and a choice made in this request are kept.
                self.renewed = true;
                self.data.csrf = tokens.fresh();
            }
            SessionOp::Clear => {
                self.data = Data::default();
                self.choice = None;
                self.cleared = true;
                self.changed = false;
                self.renewed = false;
            }
            SessionOp::FlashSet(n) => {
                self.data.flash = Some(format!("m{n}"));
                self.changed = true;
            }
            SessionOp::FlashTake => {
                let taken = self.data.flash.take();
                if taken.is_some() {
                    self.changed = true;
                }
                return Some(Line::plain(format!("{who}: took={taken:?}")));
            }
            SessionOp::FlashTakeBlind => {
                let taken = self.data.flash.take();
                self.changed = true;
                return Some(Line::plain(format!("{who}: took={taken:?}")));
            }
        }
        None
    }

    /// What a handle prints for [`SessionOp::Print`].
    pub fn print(&self, config: &Config, who: &str) -> Line {
        Line {
            text: format!(
                "{who}: user={:?} counter={} flash={:?} lifetime={} status={}",
                self.data.user,
                self.data.counter,
                self.data.flash,
                self.effective_life(config).lib_name(),
                self.status.text()
            ),
            token: Some(self.data.csrf),
        }
    }
}

/// One line a handler prints; a printed state ends in ` csrf=<token>`,
/// compared through [`Tokens`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Line {
    /// The line without its token.
    pub text: String,
    /// The token it shows, if any.
    pub token: Option<Tok>,
}

impl Line {
    /// A line without a token.
    pub fn plain(text: String) -> Line {
        Line { text, token: None }
    }
}

/// What a response carries for the session cookie.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Cookie {
    /// No `Set-Cookie`.
    None,
    /// The expiring cookie.
    Expire,
    /// A cookie with these header fields and this payload.
    Write(Written),
}

/// The fields of a written cookie.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Written {
    /// Its start.
    pub start: Start,
    /// `issued`.
    pub issued: u32,
    /// Its lifetime.
    pub life: Life,
    /// The pool key that signs it.
    pub key: usize,
    /// `Max-Age`, `None` for a browser-session cookie.
    pub max_age: Option<i64>,
    /// The payload.
    pub data: Data,
}

/// The wire seconds of a clock reading: "a cookie written at `now` carries
/// `now` rounded down to a whole second" (docs/lifecycle.md).
pub fn wire_secs(unix_ms: u64) -> u32 {
    session_tests::reference::secs(unix_ms)
}
