//! The language of a generated test case: a [`Setup`] and a sequence of
//! [`Action`]s (requests, clock moves, key rotations, revocations, browser
//! restarts, requests to a replica). Everything here is plain data with a
//! compact `Debug`, so a shrunk failing case prints as a readable script.
//!
//! A request carries the handlers' scripts in its query string
//! ([`encode_steps`] / [`decode_steps`]): the real handlers of both web
//! frameworks and the model read the same steps.

use std::fmt;

/// One lifetime, as the tests name it (`session_runtime::Lifetime` is
/// `#[non_exhaustive]`; the model keeps its own closed copy).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Life {
    /// `Lifetime::Standard`, wire byte 0.
    Standard,
    /// `Lifetime::BrowserSession`, wire byte 1.
    Browser,
    /// `Lifetime::RememberMe`, wire byte 2.
    RememberMe,
}

impl Life {
    /// Every lifetime, in wire-byte order.
    pub const ALL: [Life; 3] = [Life::Standard, Life::Browser, Life::RememberMe];

    /// The header's lifetime byte (docs/wire-format.md, "Lifetimes").
    pub fn byte(self) -> u8 {
        match self {
            Life::Standard => 0,
            Life::Browser => 1,
            Life::RememberMe => 2,
        }
    }

    /// The lifetime of a wire byte, if it names one.
    pub fn from_byte(byte: u8) -> Option<Life> {
        Life::ALL.into_iter().find(|life| life.byte() == byte)
    }

    /// Whether its cookie carries `Max-Age` (persistent).
    pub fn persistent(self) -> bool {
        self != Life::Browser
    }

    /// What `Session::lifetime()` prints (`{:?}` of `Lifetime`).
    pub fn lib_name(self) -> &'static str {
        match self {
            Life::Standard => "Standard",
            Life::Browser => "BrowserSession",
            Life::RememberMe => "RememberMe",
        }
    }
}

impl fmt::Debug for Life {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Life::Standard => "std",
            Life::Browser => "browser",
            Life::RememberMe => "remember",
        })
    }
}

/// Which web framework runs the sequence.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Framework {
    /// axum `Router` driven with `tower::ServiceExt::oneshot`.
    Axum,
    /// actix-web `App` driven with `actix_web::test::call_service`.
    Actix,
}

/// What stays fixed for one sequence: the configuration's lifetimes and the
/// clocks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// The configuration's default lifetime (`Standard` or `BrowserSession`).
    pub default_life: Life,
    /// Whether `remember_me(..)` declares the `RememberMe` lifetime.
    pub remember_me: bool,
    /// The milliseconds past a whole second the main clock starts at, so
    /// the sub-second part of the clock is exercised.
    pub start_ms: u64,
    /// How far the replica's clock runs ahead of the main server's.
    pub replica_ahead_ms: u64,
}

impl fmt::Debug for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Setup {{ default {:?}, remember_me {}, clock T0+{}ms, replica +{}ms }}",
            self.default_life, self.remember_me, self.start_ms, self.replica_ahead_ms
        )
    }
}

/// The role of a pool key in the server's key set.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Not configured: its cookies are `unknown_key`.
    Absent,
    /// `verify_key`: verifies, cookies are re-keyed to the signing key.
    Verify,
    /// `verify_only_key`: verifies, cookies keep it.
    VerifyOnly,
}

impl fmt::Debug for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Absent => "-",
            Role::Verify => "verify",
            Role::VerifyOnly => "verify_only",
        })
    }
}

/// The number of keys in the pool the rotations draw from.
pub const POOL: usize = 3;

/// A server key set: one pool key signs, the others have a role.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyPlan {
    /// Index of the signing key in the pool.
    pub sign: usize,
    /// The role of every pool key (the signing key's entry is ignored).
    pub roles: [Role; POOL],
}

impl KeyPlan {
    /// The plan every sequence starts with: key 0 signs, nothing else.
    pub const INITIAL: KeyPlan = KeyPlan {
        sign: 0,
        roles: [Role::Absent; POOL],
    };

    /// The role of pool key `index` (`None`: the signing key).
    pub fn role(&self, index: usize) -> Option<Role> {
        (index != self.sign).then_some(self.roles[index])
    }
}

impl fmt::Debug for KeyPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "keys {{ sign k{}", self.sign)?;
        for (index, role) in self.roles.iter().enumerate() {
            if index != self.sign && *role != Role::Absent {
                write!(f, ", k{index} {role:?}")?;
            }
        }
        f.write_str(" }")
    }
}

/// One call on a session handle.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SessionOp {
    /// Reads every field and prints them (a read: no change).
    Print,
    /// `set_user(..)`.
    SetUser(Option<u8>),
    /// `*counter_mut() += 1`.
    IncCounter,
    /// `set_counter(*counter())`: a change that encodes to the same bytes.
    SetCounterSame,
    /// `get_mut()` without touching anything.
    GetMut,
    /// `set_lifetime(..)`, declared or not.
    SetLifetime(Life),
    /// `renew()` (login).
    Renew,
    /// `clear()` (logout).
    Clear,
    /// `flash_mut().set(..)`, message `m<n>`.
    FlashSet(u8),
    /// `if flash().is_set() { flash_mut().take() }`, as the docs advise.
    FlashTake,
    /// `flash_mut().take()` without looking first (a change even when empty).
    FlashTakeBlind,
}

impl SessionOp {
    /// Whether the docs count the call as a change through the handle
    /// ("first change through a handle: it becomes the writer").
    /// `FlashTake` on an empty flash and `SetLifetime` of an undeclared
    /// lifetime are decided by the model, which knows the state.
    pub fn always_mutates(self) -> bool {
        !matches!(
            self,
            SessionOp::Print | SessionOp::FlashTake | SessionOp::SetLifetime(_)
        )
    }
}

impl SessionOp {
    /// Whether the call reads the state (through `Deref`) before any
    /// change: the handlers print, read the counter to set it again, or
    /// look at `flash().is_set()`. The other calls go straight through
    /// `DerefMut`.
    pub fn reads_first(self) -> bool {
        matches!(
            self,
            SessionOp::Print | SessionOp::SetCounterSame | SessionOp::FlashTake
        )
    }
}

impl fmt::Debug for SessionOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionOp::Print => f.write_str("print"),
            SessionOp::SetUser(Some(user)) => write!(f, "set_user({user})"),
            SessionOp::SetUser(None) => f.write_str("set_user(None)"),
            SessionOp::IncCounter => f.write_str("counter_mut+=1"),
            SessionOp::SetCounterSame => f.write_str("set_counter(same)"),
            SessionOp::GetMut => f.write_str("get_mut"),
            SessionOp::SetLifetime(life) => write!(f, "set_lifetime({life:?})"),
            SessionOp::Renew => f.write_str("renew"),
            SessionOp::Clear => f.write_str("clear"),
            SessionOp::FlashSet(n) => write!(f, "flash.set(m{n})"),
            SessionOp::FlashTake => f.write_str("flash.take"),
            SessionOp::FlashTakeBlind => f.write_str("flash.take(blind)"),
        }
    }
}

/// A request session handle: the guard's, or one of the handler's two.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum H {
    /// The guard middleware's handle (extracted when the guard starts).
    G,
    /// The handler's first handle.
    A,
    /// The handler's second handle.
    B,
}

impl H {
    /// Index into a handle table.
    pub fn index(self) -> usize {
        match self {
            H::G => 0,
            H::A => 1,
            H::B => 2,
        }
    }

    fn code(self) -> char {
        match self {
            H::G => 'g',
            H::A => 'a',
            H::B => 'b',
        }
    }
}

/// One step of a script. A step on a handle that does not exist (never
/// extracted, or dropped) does nothing, in the handlers and in the model.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Extract a handle (`RequestSession<T>` through the framework's extractor).
    Extract(H),
    /// A call on the handle.
    Op(H, SessionOp),
    /// `RequestSession::publish(&mut h)`.
    Publish(H),
    /// `RequestSession::refresh(&mut h)`.
    Refresh(H),
    /// `drop(h)`.
    Drop(H),
    /// Keep the handle alive past the response (stashed, dropped after the
    /// response was checked).
    Keep(H),
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Extract(h) => write!(f, "{h:?}=extract"),
            Step::Op(h, op) => write!(f, "{h:?}.{op:?}"),
            Step::Publish(h) => write!(f, "publish({h:?})"),
            Step::Refresh(h) => write!(f, "refresh({h:?})"),
            Step::Drop(h) => write!(f, "drop({h:?})"),
            Step::Keep(h) => write!(f, "keep({h:?})"),
        }
    }
}

/// A guard middleware around the handler (docs/frameworks.md, "Guard
/// middleware"): it extracts `G`, runs `before`, calls the handler (or
/// answers `303` itself), then runs `after`.
#[derive(Clone, PartialEq, Eq)]
pub struct Guard {
    /// Steps before the handler.
    pub before: Vec<Step>,
    /// Whether it calls the handler (else it answers `303 See Other`).
    pub call_next: bool,
    /// Steps after the handler.
    pub after: Vec<Step>,
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guard[{:?}", self.before)?;
        if self.call_next {
            f.write_str(" next ")?;
        } else {
            f.write_str(" 303 ")?;
        }
        write!(f, "{:?}]", self.after)
    }
}

/// An HTTP method the requests use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Method {
    /// Safe.
    Get,
    /// Safe.
    Options,
    /// Unsafe.
    Post,
    /// Unsafe.
    Put,
}

impl Method {
    /// `GET`, `HEAD`, `OPTIONS`, `TRACE` (docs/lifecycle.md, CSRF layer).
    pub fn is_safe(self) -> bool {
        matches!(self, Method::Get | Method::Options)
    }

    /// The `http` method.
    pub fn http(self) -> http::Method {
        match self {
            Method::Get => http::Method::GET,
            Method::Options => http::Method::OPTIONS,
            Method::Post => http::Method::POST,
            Method::Put => http::Method::PUT,
        }
    }
}

/// Which CSRF token the request submits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TokenChoice {
    /// None at all.
    Missing,
    /// The token of the browser's current cookie (the all-zero text when it
    /// has none).
    Current,
    /// A token seen earlier in the sequence: the n-th (from 0, modulo the
    /// number seen) in the order the model first predicted or read them.
    Old(u8),
    /// 43 characters of base64url for the all-zero (unset) token.
    Zero,
    /// Text that is not a token.
    Junk,
}

/// Where the token travels.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TokenAt {
    /// `X-CSRF-Token` header.
    Header,
    /// `csrf_token` field of a urlencoded form body.
    Form,
    /// The form body padded to exactly the 64 KiB limit.
    FormAtLimit,
    /// The form body padded to one byte over the limit (`413`).
    FormOverLimit,
}

/// A cookie of the session's name added to the request next to the
/// browser's own.
#[derive(Clone, PartialEq, Eq)]
pub enum Plant {
    /// A cookie the browser received earlier (n-th from the end of the
    /// history, modulo), re-sent as it was.
    Earlier(u8),
    /// The browser's current cookie sent through a replica whose clock runs
    /// ahead, which runs `ops` on it; the replica's `Set-Cookie` (if any) is
    /// planted.
    Replica(ReplicaOps),
    /// A cookie sealed by a key holder (the reference forger) with chosen
    /// header fields.
    Sealed(Sealed),
    /// Forged junk.
    Junk(Junk),
    /// `count` forged cookies (the signing key's id, a bad MAC): around the
    /// bounds of 20 MAC checks and 32 candidates per request.
    Flood(u8),
}

impl fmt::Debug for Plant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Plant::Earlier(n) => write!(f, "earlier#{n}"),
            Plant::Replica(ops) => write!(f, "replica{ops:?}"),
            Plant::Sealed(sealed) => write!(f, "{sealed:?}"),
            Plant::Junk(junk) => write!(f, "junk:{junk:?}"),
            Plant::Flood(count) => write!(f, "flood×{count}"),
        }
    }
}

/// The ops a replica runs on one session (a `SessionConfig` used directly).
#[derive(Clone, PartialEq, Eq)]
pub struct ReplicaOps(pub Vec<SessionOp>);

impl fmt::Debug for ReplicaOps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// The time a sealed cookie's `created` is relative to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Anchor {
    /// The server's clock.
    Now,
    /// The `created` of the browser's current cookie (the clock without one).
    JarCreated,
}

/// Header fields of a cookie sealed by a key holder.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sealed {
    /// Pool key that seals it (a pool key the server lacks: `unknown_key`).
    pub key: usize,
    /// What `created` is relative to.
    pub anchor: Anchor,
    /// Seconds added to the anchor.
    pub created_offset: i16,
    /// The start sequence (6 bits).
    pub start_seq: u8,
    /// `issued - created`, seconds (negative: inconsistent).
    pub issued_offset: i16,
    /// The lifetime byte's low 2 bits (3 names no lifetime).
    pub lifetime: u8,
    /// The user in its payload; `None` with `bad_payload` for trailing junk.
    pub user: Option<u8>,
    /// Append a byte after the payload (`payload` rejection).
    pub bad_payload: bool,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sealed(k{}, created {:?}{:+}s seq {} issued {:+}s, life {}, user {:?}{})",
            self.key,
            self.anchor,
            self.created_offset,
            self.start_seq,
            self.issued_offset,
            self.lifetime,
            self.user,
            if self.bad_payload { ", +junk byte" } else { "" }
        )
    }
}

/// Kinds of forged junk.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Junk {
    /// Characters outside base64url.
    NotBase64,
    /// The empty value.
    Empty,
    /// Too short for a header and tag.
    Truncated,
    /// Longer than any cookie of the type.
    TooLong,
    /// An unknown format byte.
    UnknownFormat,
    /// Another version number.
    WrongVersion,
    /// The browser's cookie (or a sealed one) with a flipped tag bit.
    FlippedTag,
    /// The browser's cookie with a flipped fingerprint-hint bit.
    FlippedHint,
}

/// Where the planted cookies go relative to the browser's own cookie.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Place {
    /// Before it in the `Cookie` header.
    Before,
    /// After it.
    After,
}

/// One request from the browser to the main server.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// Whether the route is wrapped by the CSRF layer.
    pub csrf_layer: bool,
    /// The guard middleware, if the route has one.
    pub guard: Option<Guard>,
    /// The handler's steps.
    pub handler: Vec<Step>,
    /// The token submitted, and where.
    pub token: (TokenChoice, TokenAt),
    /// Planted cookies, and where they go.
    pub plants: Vec<(Plant, Place)>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} {}",
            self.method,
            if self.csrf_layer { "/csrf" } else { "/plain" }
        )?;
        if !self.method.is_safe() || self.token.0 != TokenChoice::Missing {
            write!(f, " token {:?}@{:?}", self.token.0, self.token.1)?;
        }
        if !self.plants.is_empty() {
            write!(f, " plants {:?}", self.plants)?;
        }
        if let Some(guard) = &self.guard {
            write!(f, " {guard:?}")?;
        }
        write!(f, " handler{:?}", self.handler)
    }
}

/// How the clock moves.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Advance {
    /// By a fixed number of milliseconds.
    By(u64),
    /// To `delta_ms` around a deadline of the browser's current cookie (its
    /// issue time plus its lifetime's refresh interval or idle timeout, or
    /// its start plus the absolute timeout); never backwards.
    Edge(Span, i32),
}

impl fmt::Debug for Advance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Advance::By(ms) => write!(f, "advance {ms}ms"),
            Advance::Edge(span, delta) => write!(f, "advance to {span:?}{delta:+}ms"),
        }
    }
}

/// A deadline of a cookie.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Span {
    /// `issued + refresh interval`.
    Refresh,
    /// `issued + idle timeout`.
    Idle,
    /// `created + absolute timeout`.
    Absolute,
}

/// One step of a sequence.
#[derive(Clone, PartialEq, Eq)]
pub enum Action {
    /// A request to the main server through the web framework.
    Request(Request),
    /// The clock moves (the replica's too).
    Advance(Advance),
    /// The server's keys change (a rotation phase, a dropped key).
    Rotate(KeyPlan),
    /// Sessions of `user` started before `now + offset` seconds are revoked.
    Revoke(u8, i8),
    /// The user's cut-off is lifted.
    Unrevoke(u8),
    /// The browser closes: browser-session cookies are gone.
    CloseBrowser,
    /// The browser's request goes to the replica, which runs the ops.
    ViaReplica(ReplicaOps),
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Request(request) => write!(f, "{request:?}"),
            Action::Advance(advance) => write!(f, "{advance:?}"),
            Action::Rotate(plan) => write!(f, "rotate to {plan:?}"),
            Action::Revoke(user, offset) => write!(f, "revoke user {user} before now{offset:+}s"),
            Action::Unrevoke(user) => write!(f, "unrevoke user {user}"),
            Action::CloseBrowser => f.write_str("close browser"),
            Action::ViaReplica(ops) => write!(f, "via replica {ops:?}"),
        }
    }
}

/// A whole generated case.
#[derive(Clone, PartialEq, Eq)]
pub struct Case {
    /// Framework under test.
    pub framework: Framework,
    /// Fixed configuration.
    pub setup: Setup,
    /// The sequence.
    pub actions: Vec<Action>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:?} {:?}", self.framework, self.setup)?;
        for (index, action) in self.actions.iter().enumerate() {
            writeln!(f, "  {index:>2}. {action:?}")?;
        }
        Ok(())
    }
}

// --- the scripts in a query string ------------------------------------------

fn op_code(op: SessionOp) -> String {
    match op {
        SessionOp::Print => "P".into(),
        SessionOp::SetUser(user) => format!("u{}", user.unwrap_or(0)),
        SessionOp::IncCounter => "i".into(),
        SessionOp::SetCounterSame => "s".into(),
        SessionOp::GetMut => "m".into(),
        SessionOp::SetLifetime(life) => format!("l{}", life.byte()),
        SessionOp::Renew => "n".into(),
        SessionOp::Clear => "c".into(),
        SessionOp::FlashSet(n) => format!("f{n}"),
        SessionOp::FlashTake => "t".into(),
        SessionOp::FlashTakeBlind => "T".into(),
    }
}

fn decode_op(code: &str) -> Option<SessionOp> {
    let mut chars = code.chars();
    let kind = chars.next()?;
    let digit = chars.next().and_then(|c| c.to_digit(10));
    let digit = digit.map(|d| u8::try_from(d).expect("a digit"));
    Some(match kind {
        'P' => SessionOp::Print,
        'u' => SessionOp::SetUser(digit.filter(|&user| user != 0)),
        'i' => SessionOp::IncCounter,
        's' => SessionOp::SetCounterSame,
        'm' => SessionOp::GetMut,
        'l' => SessionOp::SetLifetime(Life::from_byte(digit?)?),
        'n' => SessionOp::Renew,
        'c' => SessionOp::Clear,
        'f' => SessionOp::FlashSet(digit?),
        't' => SessionOp::FlashTake,
        'T' => SessionOp::FlashTakeBlind,
        _ => return None,
    })
}

/// Steps as URL-safe text: `<handle><code>` joined by `-`.
pub fn encode_steps(steps: &[Step]) -> String {
    let parts: Vec<String> = steps
        .iter()
        .map(|step| match *step {
            Step::Extract(h) => format!("{}x", h.code()),
            Step::Op(h, op) => format!("{}{}", h.code(), op_code(op)),
            Step::Publish(h) => format!("{}p", h.code()),
            Step::Refresh(h) => format!("{}r", h.code()),
            Step::Drop(h) => format!("{}d", h.code()),
            Step::Keep(h) => format!("{}k", h.code()),
        })
        .collect();
    parts.join("-")
}

/// The inverse of [`encode_steps`].
///
/// # Panics
/// On text [`encode_steps`] does not write (the tests only send its output).
pub fn decode_steps(text: &str) -> Vec<Step> {
    text.split('-')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let h = match &part[..1] {
                "g" => H::G,
                "a" => H::A,
                "b" => H::B,
                other => panic!("unknown handle {other:?} in {text:?}"),
            };
            let rest = &part[1..];
            match rest {
                "x" => Step::Extract(h),
                "p" => Step::Publish(h),
                "r" => Step::Refresh(h),
                "d" => Step::Drop(h),
                "k" => Step::Keep(h),
                _ => Step::Op(
                    h,
                    decode_op(rest).unwrap_or_else(|| panic!("unknown op {rest:?}")),
                ),
            }
        })
        .collect()
}

/// The query string of a request: the handler's steps, and the guard's.
pub fn query(request: &Request) -> String {
    let mut query = format!("h={}", encode_steps(&request.handler));
    if let Some(guard) = &request.guard {
        query.push_str(&format!(
            "&gb={}&gn={}&ga={}",
            encode_steps(&guard.before),
            u8::from(guard.call_next),
            encode_steps(&guard.after)
        ));
    }
    query
}

/// One parameter of a query string written by [`query`].
pub fn param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then_some(value)
    })
}
