//! docs/lifecycle.md, "The web adapters": one request through the session
//! layer, the CSRF layer, a guard middleware and the handler, with the
//! handle rules ("many readers, one writer, changes handed over on drop").

use std::collections::HashMap;

use super::load::load;
use super::store::{store, Pending};
use super::{Config, Cookie, Line, State, Status, Tok, Tokens};
use crate::spec::{Request, Step, TokenAt, H};

/// The handles of one request: the guard's, the handler's two, and the
/// CSRF layer's.
const CSRF: usize = 3;

/// Why a response became a `500` with no `Set-Cookie`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Failure {
    /// "extract while another handle holds unpublished changes".
    InUse,
    /// "a second writer".
    SecondWriter,
    /// "a writer that read a state since replaced".
    Stale,
    /// "a writer alive when the response is produced".
    WriterAlive,
}

/// One handle: the state it last looked at (`base` is that state's
/// publication number), or its own copy while it is the writer, and
/// whether it read that state ("a writer that read a state since replaced"
/// fails; one that only holds it adopts the latest).
#[derive(Clone, Debug)]
struct Handle {
    base: u64,
    view: State,
    own: Option<State>,
    has_read: bool,
}

/// The request's slot.
#[derive(Debug)]
struct Slot<'c> {
    config: &'c Config,
    /// Whether a handle loaded the session (else nothing is stored).
    loaded: bool,
    published: State,
    version: u64,
    handles: [Option<Handle>; 4],
    writer: Option<usize>,
    failure: Option<Failure>,
}

impl Slot<'_> {
    fn fail(&mut self, failure: Failure) {
        self.failure.get_or_insert(failure);
    }

    /// "extract a handle: a reader of the latest published state".
    fn extract(&mut self, index: usize) -> bool {
        if self.writer.is_some() {
            self.fail(Failure::InUse);
            return false;
        }
        self.loaded = true;
        // A handle extracted again replaces the old one (a reader: there
        // is no writer), which is dropped.
        self.handles[index] = Some(Handle {
            base: self.version,
            view: self.published.clone(),
            own: None,
            has_read: false,
        });
        true
    }

    /// Runs `change` on the handle's state, making it the writer first if
    /// `is_change` says the call changes the state; `reads_first`: the call
    /// reads the state before it changes it.
    fn call<R>(
        &mut self,
        index: usize,
        reads_first: bool,
        is_change: impl FnOnce(&State) -> bool,
        change: impl FnOnce(&mut State) -> R,
    ) -> Option<R> {
        let (version, writer) = (self.version, self.writer);
        let handle = self.handles[index].as_mut()?;
        handle.has_read |= reads_first;
        if handle.own.is_none() && is_change(&handle.view) {
            if writer.is_some() {
                self.fail(Failure::SecondWriter);
                return None;
            }
            if handle.base != version && handle.has_read {
                self.fail(Failure::Stale);
                return None;
            }
            // "it becomes the writer, adopting the latest published state
            // (a copy ... exact in every part)".
            handle.own = Some(self.published.clone());
            self.writer = Some(index);
        }
        let handle = self.handles[index].as_mut().expect("present");
        Some(change(handle.own.as_mut().unwrap_or(&mut handle.view)))
    }

    /// `RequestSession::publish`: the writer's state becomes the latest
    /// published state; the handle stays, as a reader of it.
    fn publish(&mut self, index: usize) {
        let Some(handle) = self.handles[index].as_mut() else {
            return;
        };
        if let Some(own) = handle.own.take() {
            self.version += 1;
            self.published = own.clone();
            handle.view = own;
            handle.base = self.version;
            self.writer = None;
        }
    }

    /// `RequestSession::refresh`: a reader moves to the latest published
    /// state; a writer keeps its copy, and while another handle is the
    /// writer nothing moves.
    fn refresh(&mut self, index: usize) {
        if self.writer.is_some() {
            return;
        }
        if let Some(handle) = self.handles[index].as_mut() {
            if handle.own.is_none() {
                handle.base = self.version;
                handle.view = self.published.clone();
                handle.has_read = false;
            }
        }
    }

    /// Dropping a writer publishes it.
    fn drop_handle(&mut self, index: usize) {
        self.publish(index);
        self.handles[index] = None;
    }

    /// A handle kept past the response: gone for the script, still alive
    /// (a writer stays the writer).
    fn keep(&mut self, index: usize) {
        self.handles[index] = None;
    }

    /// Runs a script whose steps may use the handles in `scope`; the
    /// others are not in reach of that code and are ignored. Returns false
    /// when an extraction failed (the code answers the extractor's `500`).
    fn run(
        &mut self,
        steps: &[Step],
        scope: &[H],
        tokens: &mut Tokens,
        out: &mut Vec<Line>,
    ) -> bool {
        let config = self.config;
        for step in steps {
            if self.failure.is_some() {
                // The response is a 500 whatever follows.
                return true;
            }
            let h = match step {
                Step::Extract(h)
                | Step::Op(h, _)
                | Step::Publish(h)
                | Step::Refresh(h)
                | Step::Drop(h)
                | Step::Keep(h) => *h,
            };
            if !scope.contains(&h) {
                continue;
            }
            let index = h.index();
            match *step {
                Step::Extract(_) => {
                    if !self.extract(index) {
                        return false;
                    }
                }
                Step::Op(_, op) => {
                    let who = format!("{h:?}");
                    let line = self.call(
                        index,
                        op.reads_first(),
                        |state| state.is_change(op),
                        |state| state.apply(op, config, tokens, &who),
                    );
                    out.extend(line.flatten());
                }
                Step::Publish(_) => self.publish(index),
                Step::Refresh(_) => self.refresh(index),
                Step::Drop(_) => self.drop_handle(index),
                Step::Keep(_) => self.keep(index),
            }
        }
        true
    }
}

/// What the model predicts for one request.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The status code.
    pub status: u16,
    /// The handler's lines, when the handler ran to its end.
    pub handler_lines: Option<Vec<Line>>,
    /// The guard's lines (sent in a response header).
    pub guard_lines: Vec<Line>,
    /// The session cookie.
    pub cookie: Cookie,
    /// Why the response is a `500`, if it is.
    pub failure: Option<Failure>,
    /// How the session loaded, if a handle loaded it (for the coverage
    /// counts).
    pub loaded: Option<Status>,
    /// The pending write of the stored state.
    pub pending: Option<Pending>,
}

/// The submitted CSRF token, as bytes when it is canonical base64url of 32
/// bytes (the text form of a token), and the form body's length.
#[derive(Clone, Copy, Debug)]
pub struct Submitted {
    /// The token's bytes, `None` when missing or not a token's text.
    pub bytes: Option<[u8; 32]>,
    /// Where it travels.
    pub at: TokenAt,
    /// The form body's length in bytes.
    pub body_len: usize,
}

/// The CSRF layer's form limit, 64 KiB (docs/lifecycle.md).
pub const FORM_LIMIT: usize = 64 * 1024;

/// One request to a server with `config` at `now_ms`.
#[allow(clippy::too_many_arguments)]
pub fn request(
    config: &Config,
    now_ms: u64,
    request: &Request,
    candidates: &[String],
    cutoffs: &HashMap<u32, u32>,
    tokens: &mut Tokens,
    submitted: Submitted,
) -> Outcome {
    let published = load(config, now_ms, candidates, cutoffs, tokens);
    let load_status = published.status;
    let mut slot = Slot {
        config,
        loaded: false,
        published,
        version: 0,
        handles: Default::default(),
        writer: None,
        failure: None,
    };
    let mut status = 200;
    let mut handler_lines = None;
    let mut guard_lines = Vec::new();
    let mut proceed = true;
    if request.csrf_layer {
        slot.extract(CSRF);
        if request.method.is_safe() {
            // "when the token is unset, a new random one is set (changed)".
            slot.call(
                CSRF,
                true,
                |state| state.data.csrf == Tok::Unset,
                |state| {
                    if state.data.csrf == Tok::Unset {
                        state.data.csrf = tokens.fresh();
                        state.changed = true;
                    }
                },
            );
        } else {
            let token = slot.handles[CSRF]
                .as_ref()
                .expect("extracted")
                .view
                .data
                .csrf;
            let over_limit = submitted.at != TokenAt::Header && submitted.body_len > FORM_LIMIT;
            // "An unset token never matches."
            let matches = token != Tok::Unset
                && submitted.bytes.is_some()
                && tokens.bytes(token) == submitted.bytes;
            if over_limit {
                status = 413;
                proceed = false;
            } else if !matches {
                status = 403;
                proceed = false;
            }
        }
        slot.drop_handle(CSRF);
    }
    if proceed {
        let run_handler = |slot: &mut Slot, tokens: &mut Tokens| {
            let mut lines = Vec::new();
            let finished = slot.run(&request.handler, &[H::A, H::B], tokens, &mut lines);
            slot.drop_handle(H::A.index());
            slot.drop_handle(H::B.index());
            finished.then_some(lines)
        };
        match &request.guard {
            None => handler_lines = run_handler(&mut slot, tokens),
            Some(guard) => {
                slot.extract(H::G.index());
                let mut ran = slot.run(&guard.before, &[H::G], tokens, &mut guard_lines);
                if ran {
                    if guard.call_next {
                        handler_lines = run_handler(&mut slot, tokens);
                    } else {
                        status = 303;
                    }
                    ran = slot.run(&guard.after, &[H::G], tokens, &mut guard_lines);
                }
                debug_assert!(ran, "the guard's scripts never extract");
                slot.drop_handle(H::G.index());
            }
        }
    }
    if slot.writer.is_some() {
        slot.fail(Failure::WriterAlive);
    }
    let loaded = slot.loaded.then_some(load_status);
    if slot.failure.is_some() {
        return Outcome {
            status: 500,
            handler_lines: None,
            guard_lines,
            cookie: Cookie::None,
            failure: slot.failure,
            loaded,
            pending: None,
        };
    }
    let (cookie, pending) = if slot.loaded {
        (
            store(&slot.published, config, now_ms),
            super::store::pending(&slot.published, config, now_ms),
        )
    } else {
        (Cookie::None, None)
    };
    Outcome {
        status,
        handler_lines,
        guard_lines,
        cookie,
        failure: None,
        loaded,
        pending,
    }
}

/// One use of a `SessionConfig` outside the adapters (the replica): load
/// the candidates, run the operations on the session, store it.
pub fn direct(
    config: &Config,
    now_ms: u64,
    ops: &[crate::spec::SessionOp],
    candidates: &[String],
    cutoffs: &HashMap<u32, u32>,
    tokens: &mut Tokens,
) -> Cookie {
    let mut state = load(config, now_ms, candidates, cutoffs, tokens);
    for &op in ops {
        state.apply(op, config, tokens, "replica");
    }
    store(&state, config, now_ms)
}
