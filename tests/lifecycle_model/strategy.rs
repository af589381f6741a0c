//! proptest strategies for [`Case`]s. Every choice comes from a small set
//! of values that sit on the edges the page names (refresh, idle and
//! absolute deadlines, the clock skew, start sequence 63, the MAC and
//! candidate bounds); alternatives are listed simplest first, because
//! proptest shrinks towards the first alternative.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use crate::spec::{
    Action, Advance, Anchor, Case, Framework, Guard, Junk, KeyPlan, Life, Method, Place, Plant,
    ReplicaOps, Request, Role, Sealed, SessionOp, Setup, Span, Step, TokenAt, TokenChoice, H, POOL,
};

fn life() -> impl Strategy<Value = Life> {
    select(Life::ALL.to_vec())
}

fn user() -> impl Strategy<Value = u8> {
    1u8..=3
}

fn session_op() -> impl Strategy<Value = SessionOp> {
    prop_oneof![
        3 => Just(SessionOp::Print),
        2 => proptest::option::of(user()).prop_map(SessionOp::SetUser),
        2 => Just(SessionOp::IncCounter),
        1 => Just(SessionOp::SetCounterSame),
        1 => Just(SessionOp::GetMut),
        2 => life().prop_map(SessionOp::SetLifetime),
        2 => Just(SessionOp::Renew),
        2 => Just(SessionOp::Clear),
        2 => (1u8..=3).prop_map(SessionOp::FlashSet),
        2 => Just(SessionOp::FlashTake),
        1 => Just(SessionOp::FlashTakeBlind),
    ]
}

/// The page's flows as op lists: log in (with or without remember me),
/// log out, a page that shows the flash, a counter.
fn flow() -> impl Strategy<Value = Vec<SessionOp>> {
    prop_oneof![
        (user(), any::<bool>()).prop_map(|(user, remember)| {
            let mut ops = vec![SessionOp::Renew, SessionOp::SetUser(Some(user))];
            if remember {
                ops.push(SessionOp::SetLifetime(Life::RememberMe));
            }
            ops.extend([SessionOp::FlashSet(1), SessionOp::Print]);
            ops
        }),
        Just(vec![
            SessionOp::Clear,
            SessionOp::FlashSet(2),
            SessionOp::Print
        ]),
        Just(vec![SessionOp::FlashTake, SessionOp::Print]),
        Just(vec![SessionOp::IncCounter, SessionOp::Print]),
    ]
}

fn ops() -> impl Strategy<Value = Vec<SessionOp>> {
    prop_oneof![vec(session_op(), 0..5), flow()]
}

fn handle_step(h: H) -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => session_op().prop_map(move |op| Step::Op(h, op)),
        2 => Just(Step::Publish(h)),
        2 => Just(Step::Refresh(h)),
        1 => Just(Step::Drop(h)),
        1 => Just(Step::Keep(h)),
    ]
}

/// The handler's script: usually `A` extracted first, then steps on `A`
/// and sometimes a second handle `B`.
fn handler() -> impl Strategy<Value = Vec<Step>> {
    let flow_script = flow().prop_map(|ops| {
        std::iter::once(Step::Extract(H::A))
            .chain(ops.into_iter().map(|op| Step::Op(H::A, op)))
            .collect::<Vec<_>>()
    });
    let step = prop_oneof![
        6 => handle_step(H::A),
        2 => Just(Step::Extract(H::B)),
        3 => handle_step(H::B),
    ];
    let random = (prop::bool::weighted(0.9), vec(step, 0..7)).prop_map(|(extract, steps)| {
        let mut script = Vec::new();
        if extract {
            script.push(Step::Extract(H::A));
        }
        script.extend(steps);
        script.push(Step::Op(H::A, SessionOp::Print));
        script
    });
    prop_oneof![random, flow_script]
}

fn guard() -> impl Strategy<Value = Guard> {
    (
        vec(handle_step(H::G), 0..3),
        prop::bool::weighted(0.9),
        vec(handle_step(H::G), 0..3),
    )
        .prop_map(|(before, call_next, after)| Guard {
            before,
            call_next,
            after,
        })
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        5 => Just(Method::Get),
        4 => Just(Method::Post),
        1 => Just(Method::Options),
        1 => Just(Method::Put),
    ]
}

fn token() -> impl Strategy<Value = (TokenChoice, TokenAt)> {
    let choice = prop_oneof![
        6 => Just(TokenChoice::Current),
        1 => Just(TokenChoice::Missing),
        1 => (0u8..4).prop_map(TokenChoice::Old),
        1 => Just(TokenChoice::Zero),
        1 => Just(TokenChoice::Junk),
    ];
    let at = prop_oneof![
        10 => Just(TokenAt::Header),
        8 => Just(TokenAt::Form),
        1 => Just(TokenAt::FormAtLimit),
        1 => Just(TokenAt::FormOverLimit),
    ];
    (choice, at)
}

fn sealed() -> impl Strategy<Value = Sealed> {
    (
        0..POOL,
        select(vec![Anchor::Now, Anchor::JarCreated]),
        select(vec![0i16, 1, -1, 2, 61, 100, -100, -2500]),
        select(vec![0u8, 1, 62, 63]),
        select(vec![0i16, 1, -1, 30, 700, 3100]),
        0u8..4,
        proptest::option::of(user()),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(
                key,
                anchor,
                created_offset,
                start_seq,
                issued_offset,
                lifetime,
                user,
                bad_payload,
            )| {
                Sealed {
                    key,
                    anchor,
                    created_offset,
                    start_seq,
                    issued_offset,
                    lifetime,
                    user,
                    bad_payload,
                }
            },
        )
}

fn junk() -> impl Strategy<Value = Junk> {
    select(vec![
        Junk::NotBase64,
        Junk::Empty,
        Junk::Truncated,
        Junk::TooLong,
        Junk::UnknownFormat,
        Junk::WrongVersion,
        Junk::FlippedTag,
        Junk::FlippedHint,
    ])
}

fn plant() -> impl Strategy<Value = Plant> {
    prop_oneof![
        3 => (0u8..4).prop_map(Plant::Earlier),
        2 => ops().prop_map(|ops| Plant::Replica(ReplicaOps(ops))),
        3 => sealed().prop_map(Plant::Sealed),
        2 => junk().prop_map(Plant::Junk),
        // Around MAX_VERIFIED_CANDIDATES (20) and MAX_CANDIDATE_COOKIES (32).
        1 => select(vec![19u8, 20, 21, 32]).prop_map(Plant::Flood),
    ]
}

fn plants() -> impl Strategy<Value = Vec<(Plant, Place)>> {
    let place = select(vec![Place::Before, Place::After]);
    prop_oneof![
        3 => Just(Vec::new()),
        1 => vec((plant(), place), 1..3),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    (
        method(),
        prop::bool::weighted(0.7),
        proptest::option::weighted(0.3, guard()),
        handler(),
        token(),
        plants(),
    )
        .prop_map(
            |(method, csrf_layer, guard, handler, token, plants)| Request {
                method,
                csrf_layer,
                guard,
                handler,
                token,
                plants,
            },
        )
}

fn key_plan() -> impl Strategy<Value = KeyPlan> {
    let role = select(vec![Role::Absent, Role::Verify, Role::VerifyOnly]);
    (0..POOL, [role.clone(), role.clone(), role]).prop_map(|(sign, roles)| KeyPlan { sign, roles })
}

fn advance() -> impl Strategy<Value = Advance> {
    prop_oneof![
        select(vec![1u64, 400, 999, 1_000, 30_000, 61_000, 200_000]).prop_map(Advance::By),
        (
            select(vec![Span::Refresh, Span::Idle, Span::Absolute]),
            select(vec![-1_000i32, -1, 0, 1, 999, 1_000]),
        )
            .prop_map(|(span, delta)| Advance::Edge(span, delta)),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        12 => request().prop_map(Action::Request),
        3 => advance().prop_map(Action::Advance),
        1 => key_plan().prop_map(Action::Rotate),
        1 => (user(), -1i8..=1).prop_map(|(user, offset)| Action::Revoke(user, offset)),
        1 => user().prop_map(Action::Unrevoke),
        1 => Just(Action::CloseBrowser),
        1 => ops().prop_map(|ops| Action::ViaReplica(ReplicaOps(ops))),
    ]
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        select(vec![Life::Standard, Life::Browser]),
        prop::bool::weighted(0.8),
        select(vec![0u64, 250, 999]),
        select(vec![1_500u64, 30_000, 59_999, 60_500, 90_000]),
    )
        .prop_map(
            |(default_life, remember_me, start_ms, replica_ahead_ms)| Setup {
                default_life,
                remember_me,
                start_ms,
                replica_ahead_ms,
            },
        )
}

/// A whole case for `framework`: up to 24 actions.
pub fn case(framework: Framework) -> impl Strategy<Value = Case> {
    (setup(), vec(action(), 1..24)).prop_map(move |(setup, actions)| Case {
        framework,
        setup,
        actions,
    })
}
