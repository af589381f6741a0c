//! Fixed sequences, run through the same harness and model as the random
//! ones: the page's own example ("A login, a logout and the next user"),
//! and the shrunk sequences of the differences the model found between
//! docs/lifecycle.md and the library (README.md, "Differences found").

use crate::spec::{
    Action, Advance, Case, Framework, Guard, Life, Method, Request, SessionOp, Setup, Span, Step,
    TokenAt, TokenChoice, H,
};

/// A request whose handler extracts `A` and runs `ops` on it.
pub fn request(method: Method, csrf_layer: bool, token: TokenChoice, ops: &[SessionOp]) -> Request {
    Request {
        method,
        csrf_layer,
        guard: None,
        handler: std::iter::once(Step::Extract(H::A))
            .chain(ops.iter().map(|&op| Step::Op(H::A, op)))
            .collect(),
        token: (token, TokenAt::Form),
        plants: Vec::new(),
    }
}

fn setup(default_life: Life) -> Setup {
    Setup {
        default_life,
        remember_me: true,
        start_ms: 0,
        replica_ahead_ms: 1_500,
    }
}

/// docs/lifecycle.md, "A login, a logout and the next user", with the
/// CSRF layer: `t1` and `t2` are the first two tokens of the sequence
/// (`TokenChoice::Old(0)`, `Old(1)`).
pub fn login_logout_next_user(framework: Framework) -> Case {
    use SessionOp::*;
    let csrf = true;
    let actions = vec![
        // GET / (no cookie): a new session holding t1.
        Action::Request(request(Method::Get, csrf, TokenChoice::Missing, &[Print])),
        // POST /login with t1, remember me: a new start, t2, remember me.
        Action::Request(request(
            Method::Post,
            csrf,
            TokenChoice::Current,
            &[
                Renew,
                SetUser(Some(1)),
                SetLifetime(Life::RememberMe),
                FlashSet(1),
                Print,
            ],
        )),
        // t1 no longer passes after the login: 403.
        Action::Request(request(Method::Post, csrf, TokenChoice::Old(0), &[Print])),
        Action::Advance(Advance::By(1_000)),
        // POST /logout with t2: only the flash, no token, default lifetime.
        Action::Request(request(
            Method::Post,
            csrf,
            TokenChoice::Current,
            &[Clear, FlashSet(2), Print],
        )),
        // t2 no longer passes after the logout: 403.
        Action::Request(request(Method::Post, csrf, TokenChoice::Old(1), &[Print])),
        // GET /: takes the flash; the layer makes t3.
        Action::Request(request(
            Method::Get,
            csrf,
            TokenChoice::Missing,
            &[FlashTake, Print],
        )),
        Action::Advance(Advance::By(1_000)),
        // POST /login with t3, no remember me: the default lifetime.
        Action::Request(request(
            Method::Post,
            csrf,
            TokenChoice::Current,
            &[Renew, SetUser(Some(2)), Print],
        )),
    ];
    Case {
        framework,
        setup: setup(Life::Standard),
        actions,
    }
}

/// Difference `ms-time-checks`: a session read 1 ms after its idle
/// deadline. docs/lifecycle.md rounds the clock down to a whole second
/// (600 s idle, 600.001 s since the issue: not expired, and due a refresh);
/// the library compares milliseconds (docs/wire-format.md, step 8) and
/// refuses it as `idle_expired`. (The clock starts 250 ms past a second,
/// so the browser, counting `Max-Age` from when it received the cookie,
/// still sends it.)
pub fn idle_deadline_plus_one_ms(framework: Framework) -> Case {
    use SessionOp::*;
    Case {
        framework,
        setup: Setup {
            start_ms: 250,
            ..setup(Life::Standard)
        },
        actions: vec![
            Action::Request(request(
                Method::Get,
                false,
                TokenChoice::Missing,
                &[SetUser(Some(1)), Print],
            )),
            Action::Advance(Advance::Edge(Span::Idle, 1)),
            Action::Request(request(Method::Get, false, TokenChoice::Missing, &[Print])),
        ],
    }
}

/// Difference `mut-access-writes`: `set_lifetime` of an undeclared
/// lifetime leaves the session unchanged (docs/lifecycle.md), yet it makes
/// the handle the writer, so a second handle extracted afterwards is
/// refused (`500`).
pub fn undeclared_lifetime_then_second_handle(framework: Framework) -> Case {
    let handler = vec![
        Step::Extract(H::A),
        Step::Op(H::A, SessionOp::SetLifetime(Life::RememberMe)),
        Step::Extract(H::B),
        Step::Op(H::A, SessionOp::Print),
    ];
    Case {
        framework,
        setup: Setup {
            remember_me: false,
            ..setup(Life::Standard)
        },
        actions: vec![Action::Request(Request {
            handler,
            ..request(Method::Get, false, TokenChoice::Missing, &[])
        })],
    }
}

/// Difference `max-age-at-least-zero`: a remember-me session 2999 s old
/// switched to the standard lifetime (absolute timeout 2400 s). The page's
/// formula gives `Max-Age = min(600, 2400 - 2999) = -599`; the library
/// writes `Max-Age=0`.
pub fn negative_max_age(framework: Framework) -> Case {
    use SessionOp::*;
    Case {
        framework,
        setup: setup(Life::Standard),
        actions: vec![
            Action::Request(request(
                Method::Get,
                false,
                TokenChoice::Missing,
                &[
                    Renew,
                    SetUser(Some(1)),
                    SetLifetime(Life::RememberMe),
                    Print,
                ],
            )),
            Action::Advance(Advance::Edge(Span::Idle, -1_000)),
            Action::Request(request(
                Method::Get,
                false,
                TokenChoice::Missing,
                &[SetLifetime(Life::Standard), Print],
            )),
        ],
    }
}

/// Handles hold a shared state while a lifetime is chosen: a change made
/// while another handle still shares the published state goes into a copy,
/// which must keep the lifetime choice (`Session::duplicate`, "exact in
/// every part"). First a guard chooses and publishes, holding its handle,
/// and the handler changes the session; then, under a reading guard, the
/// handler chooses and publishes through one handle, holding it, and
/// changes the session through a second one.
pub fn guard_holds_while_lifetime_is_chosen(framework: Framework) -> Case {
    use SessionOp::*;
    let guard_chooses = Request {
        guard: Some(Guard {
            before: vec![
                Step::Op(H::G, SetLifetime(Life::Browser)),
                Step::Publish(H::G),
            ],
            call_next: true,
            after: Vec::new(),
        }),
        ..request(
            Method::Get,
            false,
            TokenChoice::Missing,
            &[IncCounter, Print],
        )
    };
    let handler_chooses = Request {
        guard: Some(Guard {
            before: vec![Step::Op(H::G, Print)],
            call_next: true,
            after: Vec::new(),
        }),
        handler: vec![
            Step::Extract(H::A),
            Step::Op(H::A, SetLifetime(Life::RememberMe)),
            Step::Publish(H::A),
            Step::Extract(H::B),
            Step::Op(H::B, IncCounter),
            Step::Op(H::B, Print),
        ],
        ..request(Method::Get, false, TokenChoice::Missing, &[])
    };
    Case {
        framework,
        setup: setup(Life::Standard),
        actions: vec![
            Action::Request(guard_chooses),
            Action::Request(handler_chooses),
        ],
    }
}

/// Difference `refresh-waits-for-writer`: `B` renews and publishes, then
/// changes the session again; `A` refreshes and should show the state `B`
/// published (the renewed token), but still shows the token it saw first.
pub fn refresh_while_another_handle_writes(framework: Framework) -> Case {
    use SessionOp::*;
    let handler = vec![
        Step::Extract(H::A),
        Step::Extract(H::B),
        Step::Op(H::B, Renew),
        Step::Publish(H::B),
        Step::Op(H::B, SetUser(None)),
        Step::Refresh(H::A),
        Step::Op(H::A, Print),
    ];
    Case {
        framework,
        setup: setup(Life::Standard),
        actions: vec![
            Action::Request(request(Method::Options, true, TokenChoice::Missing, &[])),
            Action::Request(Request {
                handler,
                ..request(Method::Get, false, TokenChoice::Missing, &[])
            }),
        ],
    }
}
