//! The harness: runs a [`Case`] against the real library (the main server
//! through a web framework, a replica through `SessionConfig` directly), a
//! simulated browser cookie jar, and the model side by side, and compares
//! every response with the model's prediction.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, RwLock};
use std::time::{Duration, UNIX_EPOCH};

use http::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use session_runtime::{
    Clock as _, CookieMeta, CookieSession as _, Key, ManualClock, SessionConfig,
};
use session_tests::reference::{self, b64, Binding, Header};

use crate::app::{self, ModelSession, GUARD_HEADER};
use crate::model::handles::{self, Outcome, Submitted, FORM_LIMIT};
use crate::model::load::{open, pool, pool_secret};
use crate::model::{self, Cookie, Line, Tok, Tokens, WireData, Written};
use crate::spec::{
    query, Action, Advance, Anchor, Case, Framework, Junk, KeyPlan, Life, Place, Plant, ReplicaOps,
    Request, Role, Sealed, Setup, Span, TokenAt, TokenChoice, POOL,
};

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Every `Set-Cookie` value.
    pub set_cookies: Vec<String>,
    /// The guard's lines header, if present.
    pub guard: Option<String>,
    /// The body.
    pub body: String,
}

/// A request, framework-neutral.
pub struct Outgoing {
    method: http::Method,
    uri: String,
    headers: Vec<(http::HeaderName, String)>,
    body: Vec<u8>,
}

type Server = Rc<dyn Fn(Outgoing) -> Pin<Box<dyn Future<Output = Reply>>>>;

/// The attributes every cookie of the session type carries (the derive's
/// defaults, docs/wire-format.md "Cookie value").
const ATTRIBUTES: &str = "; Path=/; Secure; HttpOnly; SameSite=Lax";

/// The expiring cookie (docs/lifecycle.md, "Store").
fn expiring_cookie() -> String {
    format!(
        "{}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT{ATTRIBUTES}",
        ModelSession::NAME
    )
}

/// 2026-11-26T00:00:00Z, a whole second.
const T0_MS: u64 = session_tests::T0_MS;

/// The browser's cookie.
#[derive(Clone, Debug)]
struct JarCookie {
    value: String,
    /// `None`: a browser-session cookie.
    expires_ms: Option<u64>,
}

/// What a browser keeps from a response: nothing, or a cookie value and its
/// `Max-Age` (the empty value with `Max-Age` 0 for the expiring cookie).
type Kept = Option<(String, Option<i64>)>;

/// Per-user revocation cut-offs in wire seconds, shared with the
/// configurations' revocation checks.
type Cutoffs = Arc<RwLock<HashMap<u32, u32>>>;

/// Builds a configuration of the tests' session.
fn build_config(
    setup: &Setup,
    keys: &KeyPlan,
    clock: &ManualClock,
    cutoffs: &Cutoffs,
) -> SessionConfig<ModelSession> {
    let key = |index: usize| Key::from_secret(&pool_secret(index)).expect("32-byte secret");
    let secs = Duration::from_secs;
    let cutoffs = Arc::clone(cutoffs);
    let mut builder = SessionConfig::<ModelSession>::builder(key(keys.sign))
        .idle_timeout(secs(model::STANDARD.idle))
        .absolute_timeout(secs(model::STANDARD.absolute))
        .browser_session_timeouts(secs(model::BROWSER.idle), secs(model::BROWSER.absolute))
        .default_lifetime(app::lifetime(setup.default_life))
        .clock(clock.clone())
        .revocation_check(move |session: &ModelSession, cookie: &CookieMeta| {
            let Some(user) = session.user() else {
                return true;
            };
            let created_ms = cookie
                .created_at
                .duration_since(UNIX_EPOCH)
                .expect("after 1970")
                .as_millis();
            let created = reference::secs(u64::try_from(created_ms).expect("fits"));
            cutoffs
                .read()
                .expect("not poisoned")
                .get(user)
                .is_none_or(|&cutoff| created >= cutoff)
        });
    if setup.remember_me {
        builder = builder.remember_me(
            secs(model::REMEMBER_ME.idle),
            secs(model::REMEMBER_ME.absolute),
        );
    }
    for index in 0..POOL {
        match keys.role(index) {
            Some(Role::Verify) => builder = builder.verify_key(key(index)),
            Some(Role::VerifyOnly) => builder = builder.verify_only_key(key(index)),
            _ => {}
        }
    }
    builder.build().expect("a valid configuration")
}

/// The main server of `framework` with `config`.
async fn build_server(framework: Framework, config: SessionConfig<ModelSession>) -> Server {
    match framework {
        Framework::Axum => {
            let router = app::axum_app::router(config);
            Rc::new(move |outgoing: Outgoing| {
                let router = router.clone();
                Box::pin(async move {
                    use tower::ServiceExt as _;
                    let mut builder = http::Request::builder()
                        .method(outgoing.method)
                        .uri(outgoing.uri);
                    for (name, value) in outgoing.headers {
                        builder = builder.header(name, value);
                    }
                    let request = builder
                        .body(axum::body::Body::from(outgoing.body))
                        .expect("a valid request");
                    let response = router.oneshot(request).await.expect("infallible");
                    let (parts, body) = response.into_parts();
                    let body = axum::body::to_bytes(body, usize::MAX)
                        .await
                        .expect("an in-memory body");
                    reply(parts.status.as_u16(), &parts.headers, &body)
                })
            })
        }
        Framework::Actix => {
            use actix_web::dev::Service as _;
            let service = actix_web::test::init_service(
                actix_web::App::new()
                    .configure(app::actix_app::routes)
                    .wrap(app::actix_app::session_middleware(config)),
            )
            .await;
            let service = Rc::new(service);
            Rc::new(move |outgoing: Outgoing| {
                let service = Rc::clone(&service);
                Box::pin(async move {
                    // actix-web 4 is on `http` 0.2: methods and headers go over as text.
                    let method =
                        actix_web::http::Method::from_bytes(outgoing.method.as_str().as_bytes())
                            .expect("a method");
                    let mut request = actix_web::test::TestRequest::default()
                        .method(method)
                        .uri(&outgoing.uri)
                        .set_payload(outgoing.body);
                    for (name, value) in outgoing.headers {
                        request = request.insert_header((name.as_str(), value));
                    }
                    let response = match service.call(request.to_request()).await {
                        Ok(response) => response.map_into_boxed_body(),
                        Err(err) => panic!("the actix service failed: {err}"),
                    };
                    let status = response.status().as_u16();
                    let text = |value: &actix_web::http::header::HeaderValue| {
                        value.to_str().expect("ASCII").to_owned()
                    };
                    let set_cookies = response
                        .headers()
                        .get_all(actix_web::http::header::SET_COOKIE)
                        .map(text)
                        .collect();
                    let guard = response.headers().get(GUARD_HEADER).map(text);
                    let body = actix_web::test::read_body(response).await;
                    Reply {
                        status,
                        set_cookies,
                        guard,
                        body: String::from_utf8_lossy(&body).into_owned(),
                    }
                })
            })
        }
    }
}

fn reply(status: u16, headers: &http::HeaderMap, body: &[u8]) -> Reply {
    Reply {
        status,
        set_cookies: headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|value| value.to_str().expect("ASCII").to_owned())
            .collect(),
        guard: headers
            .get(GUARD_HEADER)
            .map(|value| value.to_str().expect("ASCII").to_owned()),
        body: String::from_utf8_lossy(body).into_owned(),
    }
}

/// Reads a cookie value with every pool key (so a cookie signed with the
/// wrong key is reported as such, not as unknown).
fn read_cookie(value: &str) -> Result<(Header, WireData), String> {
    let (header, payload) =
        open(value, pool()).map_err(|kind| format!("the reference refuses it: {kind}"))?;
    let data = reference::decode_payload::<WireData>(&payload)
        .ok_or_else(|| "its payload does not decode as the session's layout".to_owned())?;
    Ok((header, data))
}

/// The bytes of a token's text form, if it is one (43 canonical base64url
/// characters for 32 bytes).
fn token_bytes(text: &str) -> Option<[u8; 32]> {
    if text.len() != 43 {
        return None;
    }
    reference::reference_base64(text.as_bytes())?
        .try_into()
        .ok()
}

/// One running sequence.
pub struct World {
    setup: Setup,
    framework: Framework,
    clock: ManualClock,
    replica_clock: ManualClock,
    keys: KeyPlan,
    cutoffs: Cutoffs,
    replica: SessionConfig<ModelSession>,
    server: Server,
    jar: Option<JarCookie>,
    /// Every cookie value a server wrote, oldest first.
    history: Vec<String>,
    tokens: Tokens,
    /// What happened so far, for the failure message.
    pub trace: Vec<String>,
}

impl World {
    /// A fresh browser and servers for `case`.
    pub async fn new(case: &Case) -> World {
        let setup = case.setup;
        let clock = ManualClock::new(T0_MS + setup.start_ms);
        let replica_clock = ManualClock::new(T0_MS + setup.start_ms + setup.replica_ahead_ms);
        let keys = KeyPlan::INITIAL;
        let cutoffs = Cutoffs::default();
        let config = build_config(&setup, &keys, &clock, &cutoffs);
        let replica = build_config(&setup, &keys, &replica_clock, &cutoffs);
        World {
            server: build_server(case.framework, config).await,
            setup,
            framework: case.framework,
            clock,
            replica_clock,
            keys,
            cutoffs,
            replica,
            jar: None,
            history: Vec::new(),
            tokens: Tokens::default(),
            trace: Vec::new(),
        }
    }

    fn now(&self) -> u64 {
        self.clock.now_unix_ms()
    }

    fn model_config(&self) -> model::Config {
        model::Config::new(&self.setup, self.keys)
    }

    fn cutoffs(&self) -> HashMap<u32, u32> {
        self.cutoffs.read().expect("not poisoned").clone()
    }

    /// The browser's cookie as it would send it now (an expired one is gone).
    fn jar_value(&mut self) -> Option<String> {
        let now = self.now();
        if self
            .jar
            .as_ref()
            .and_then(|jar| jar.expires_ms)
            .is_some_and(|expires| expires <= now)
        {
            self.jar = None;
        }
        self.jar.as_ref().map(|jar| jar.value.clone())
    }

    /// The browser's cookie, read by the reference.
    fn jar_read(&mut self) -> Option<(Header, WireData)> {
        self.jar_value().and_then(|value| read_cookie(&value).ok())
    }

    /// Runs one action; `Err` describes a difference from the model.
    pub async fn act(&mut self, index: usize, action: &Action) -> Result<(), String> {
        self.trace.push(format!("{index:>2}. {action:?}"));
        match action {
            Action::Request(request) => self.request(request).await,
            Action::Advance(advance) => {
                self.advance(*advance);
                Ok(())
            }
            Action::Rotate(plan) => {
                self.keys = *plan;
                let config = build_config(&self.setup, plan, &self.clock, &self.cutoffs);
                self.replica = build_config(&self.setup, plan, &self.replica_clock, &self.cutoffs);
                self.server = build_server(self.framework, config).await;
                Ok(())
            }
            Action::Revoke(user, offset) => {
                let now = i64::from(model::wire_secs(self.now()));
                let cutoff = u32::try_from(now + i64::from(*offset)).expect("after 2025");
                self.cutoffs
                    .write()
                    .expect("not poisoned")
                    .insert(u32::from(*user), cutoff);
                Ok(())
            }
            Action::Unrevoke(user) => {
                self.cutoffs
                    .write()
                    .expect("not poisoned")
                    .remove(&u32::from(*user));
                Ok(())
            }
            Action::CloseBrowser => {
                if self
                    .jar
                    .as_ref()
                    .is_some_and(|jar| jar.expires_ms.is_none())
                {
                    self.jar = None;
                }
                Ok(())
            }
            Action::ViaReplica(ops) => {
                let candidates: Vec<String> = self.jar_value().into_iter().collect();
                let (cookie, now) = self.replica_request(ops, &candidates)?;
                self.keep(&cookie, now);
                Ok(())
            }
        }
    }

    fn advance(&mut self, advance: Advance) {
        let now = self.now();
        let target = match advance {
            Advance::By(ms) => now + ms,
            Advance::Edge(span, delta) => {
                let config = self.model_config();
                match self.jar_read() {
                    None => now + 1000,
                    Some((header, _)) => {
                        let timeouts =
                            Life::from_byte(header.lifetime).and_then(|life| config.timeouts(life));
                        match timeouts {
                            None => now + 1000,
                            Some(timeouts) => {
                                let (base, span) = match span {
                                    Span::Refresh => (header.issued, timeouts.refresh),
                                    Span::Idle => (header.issued, timeouts.idle),
                                    Span::Absolute => (header.created, timeouts.absolute),
                                };
                                let at = i64::try_from(reference::unix_ms(base) + span * 1000)
                                    .expect("fits")
                                    + i64::from(delta);
                                u64::try_from(at).expect("positive").max(now)
                            }
                        }
                    }
                }
            }
        };
        self.trace
            .push(format!("    clock now T0+{}ms", target - T0_MS));
        self.clock.set(target);
        self.replica_clock.set(target + self.setup.replica_ahead_ms);
    }

    /// Keeps a `Set-Cookie` in the jar, as a browser does.
    fn keep(&mut self, cookie: &Kept, now: u64) {
        match cookie {
            None => {}
            Some((value, _)) if value.is_empty() => self.jar = None,
            Some((_, Some(max_age))) if *max_age <= 0 => self.jar = None,
            Some((value, max_age)) => {
                self.jar = Some(JarCookie {
                    value: value.clone(),
                    expires_ms: max_age
                        .map(|age| now + u64::try_from(age).expect("positive") * 1000),
                });
            }
        }
    }

    /// The browser's request through the replica (a `SessionConfig` used
    /// directly), checked against the model; returns the cookie it set
    /// (value and `Max-Age`) and the time.
    fn replica_request(
        &mut self,
        ops: &ReplicaOps,
        candidates: &[String],
    ) -> Result<(Kept, u64), String> {
        let now = self.replica_clock.now_unix_ms();
        let config = self.model_config();
        let cutoffs = self.cutoffs();
        let predicted =
            handles::direct(&config, now, &ops.0, candidates, &cutoffs, &mut self.tokens);
        let mut headers = http::HeaderMap::new();
        if !candidates.is_empty() {
            headers.insert(
                COOKIE,
                cookie_header(candidates).parse().expect("a valid header"),
            );
        }
        let mut session = self.replica.load(&headers);
        for &op in &ops.0 {
            app::apply(&mut &mut session, op, "replica");
        }
        let set_cookie = self
            .replica
            .set_cookie(&session)
            .map_err(|err| format!("the replica cannot store: {err}"))?;
        let set_cookies: Vec<String> = set_cookie.into_iter().collect();
        self.trace.push(format!(
            "    replica at T0+{}ms: model {}",
            now - T0_MS,
            describe(&predicted)
        ));
        let kept = self
            .check_cookie(&predicted, &set_cookies)
            .map_err(|err| format!("replica: {err}"))?;
        Ok((kept, now))
    }

    /// The values a plant adds to the request.
    fn plant(&mut self, plant: &Plant) -> Result<Vec<String>, String> {
        let now = self.now();
        let now_secs = model::wire_secs(now);
        let binding = Binding::of::<ModelSession>();
        let sign = &pool()[self.keys.sign];
        Ok(match plant {
            Plant::Earlier(n) => {
                if self.history.is_empty() {
                    Vec::new()
                } else {
                    let back = usize::from(*n) % self.history.len();
                    vec![self.history[self.history.len() - 1 - back].clone()]
                }
            }
            Plant::Replica(ops) => {
                let candidates: Vec<String> = self.jar_value().into_iter().collect();
                let (cookie, _) = self.replica_request(ops, &candidates)?;
                match cookie {
                    Some((value, _)) if !value.is_empty() => vec![value],
                    _ => Vec::new(),
                }
            }
            Plant::Sealed(sealed) => vec![self.sealed(sealed, now_secs)],
            Plant::Junk(junk) => vec![self.junk(*junk, now)],
            Plant::Flood(count) => (0..*count)
                .map(|index| {
                    let header = Header::new::<ModelSession>(sign.key_id, now);
                    let mut raw = sign.seal(&binding, &header, &[0, 0, 0, 0]);
                    let last = raw.len() - 1 - usize::from(index % 16);
                    raw[last] ^= 0x01 << (index / 16);
                    b64(&raw)
                })
                .collect(),
        })
    }

    fn sealed(&mut self, sealed: &Sealed, now_secs: u32) -> String {
        let anchor = match sealed.anchor {
            Anchor::Now => now_secs,
            Anchor::JarCreated => self
                .jar_read()
                .map_or(now_secs, |(header, _)| header.created),
        };
        let created = i64::from(anchor) + i64::from(sealed.created_offset);
        let issued = created + i64::from(sealed.issued_offset);
        let clamp = |secs: i64| u32::try_from(secs.max(0)).expect("fits");
        let header = Header {
            created: clamp(created),
            issued: clamp(issued),
            lifetime: sealed.lifetime & 0x03,
            start_seq: sealed.start_seq & 0x3f,
            ..Header::new::<ModelSession>(pool()[sealed.key].key_id, T0_MS)
        };
        let data = WireData {
            user: sealed.user.map(u32::from),
            counter: 0,
            flash: None,
            csrf: [0; 32],
        };
        let mut payload = postcard::to_allocvec(&data).expect("serializable");
        if sealed.bad_payload {
            payload.push(0);
        }
        pool()[sealed.key].forge(&Binding::of::<ModelSession>(), &header, &payload)
    }

    fn junk(&mut self, junk: Junk, now: u64) -> String {
        let binding = Binding::of::<ModelSession>();
        let sign = &pool()[self.keys.sign];
        let genuine = || {
            let header = Header::new::<ModelSession>(sign.key_id, now);
            sign.seal(&binding, &header, &[0, 0, 0, 0])
        };
        let mut raw = match self.jar_value() {
            Some(value) => reference::reference_base64(value.as_bytes()).unwrap_or_else(genuine),
            None => genuine(),
        };
        match junk {
            Junk::NotBase64 => "not*base64!".into(),
            Junk::Empty => String::new(),
            Junk::Truncated => b64(&raw[..10]),
            Junk::TooLong => "A".repeat(crate::model::load::max_value_len() + 4),
            Junk::UnknownFormat => {
                raw[0] = 0x07;
                b64(&raw)
            }
            Junk::WrongVersion => {
                let header = Header {
                    version: ModelSession::VERSION + 1,
                    ..Header::new::<ModelSession>(sign.key_id, now)
                };
                sign.forge(&binding, &header, &[0, 0, 0, 0])
            }
            Junk::FlippedTag => {
                let last = raw.len() - 1;
                raw[last] ^= 0x80;
                b64(&raw)
            }
            Junk::FlippedHint => {
                raw[reference::HINT_AT] ^= 0x01;
                b64(&raw)
            }
        }
    }

    /// The submitted token's text.
    fn token_text(&mut self, choice: TokenChoice) -> Option<String> {
        match choice {
            TokenChoice::Missing => None,
            TokenChoice::Current => {
                let bytes = self.jar_read().map_or([0; 32], |(_, data)| data.csrf);
                Some(b64(&bytes))
            }
            TokenChoice::Old(n) => {
                let known = self.tokens.known();
                if known.is_empty() {
                    Some("not-a-token".into())
                } else {
                    Some(b64(&known[usize::from(n) % known.len()]))
                }
            }
            TokenChoice::Zero => Some(b64(&[0; 32])),
            TokenChoice::Junk => Some("not-a-token".into()),
        }
    }

    async fn request(&mut self, request: &Request) -> Result<(), String> {
        let now = self.now();
        // The candidates: planted ones around the browser's own, in order.
        let mut before = Vec::new();
        let mut after = Vec::new();
        for (plant, place) in &request.plants {
            let values = self.plant(plant)?;
            match place {
                Place::Before => before.extend(values),
                Place::After => after.extend(values),
            }
        }
        let mut candidates = before;
        candidates.extend(self.jar_value());
        candidates.extend(after);

        let (choice, at) = request.token;
        let text = self.token_text(choice);
        let mut headers = Vec::new();
        let mut body = Vec::new();
        if !candidates.is_empty() {
            headers.push((COOKIE, cookie_header(&candidates)));
        }
        match at {
            TokenAt::Header => {
                if let Some(text) = &text {
                    headers.push((http::HeaderName::from_static("x-csrf-token"), text.clone()));
                }
            }
            TokenAt::Form | TokenAt::FormAtLimit | TokenAt::FormOverLimit => {
                headers.push((CONTENT_TYPE, "application/x-www-form-urlencoded".to_owned()));
                body = match &text {
                    Some(text) => format!("csrf_token={text}").into_bytes(),
                    None => b"x=1".to_vec(),
                };
                let target = match at {
                    TokenAt::FormAtLimit => Some(FORM_LIMIT),
                    TokenAt::FormOverLimit => Some(FORM_LIMIT + 1),
                    _ => None,
                };
                if let Some(target) = target {
                    body.extend_from_slice(b"&pad=");
                    // One copy of a prepared buffer (`resize` fills byte by
                    // byte in the debug profile).
                    static PAD: [u8; FORM_LIMIT + 1] = [b'a'; FORM_LIMIT + 1];
                    let missing = target.saturating_sub(body.len());
                    body.extend_from_slice(&PAD[..missing]);
                }
            }
        }
        let submitted = Submitted {
            bytes: text.as_deref().and_then(token_bytes),
            at,
            body_len: body.len(),
        };

        let config = self.model_config();
        let cutoffs = self.cutoffs();
        let outcome = handles::request(
            &config,
            now,
            request,
            &candidates,
            &cutoffs,
            &mut self.tokens,
            submitted,
        );
        let uri = format!(
            "/{}/{}/run?{}",
            if request.csrf_layer { "csrf" } else { "plain" },
            if request.guard.is_some() { "g" } else { "p" },
            query(request)
        );
        let reply = (self.server)(Outgoing {
            method: request.method.http(),
            uri,
            headers,
            body,
        })
        .await;
        app::drop_kept();
        self.trace.push(format!(
            "    model: {} {}{}",
            outcome.status,
            describe(&outcome.cookie),
            outcome
                .failure
                .map(|failure| format!(" ({failure:?})"))
                .unwrap_or_default()
        ));
        let kept = self.check(&outcome, &reply)?;
        count_outcome(request, &outcome, now);
        self.keep(&kept, now);
        Ok(())
    }

    /// Compares a response with the prediction; returns the cookie kept.
    fn check(&mut self, outcome: &Outcome, reply: &Reply) -> Result<Kept, String> {
        let context = || {
            format!(
                "real response: {} {:?} body {:?} guard {:?}",
                reply.status, reply.set_cookies, reply.body, reply.guard
            )
        };
        if reply.status != outcome.status {
            return Err(format!(
                "status {} where the model predicts {}\n{}",
                reply.status,
                outcome.status,
                context()
            ));
        }
        if let Some(lines) = &outcome.handler_lines {
            if outcome.status == 200 {
                let real: Vec<&str> = reply.body.lines().collect();
                self.check_lines(lines, &real)
                    .map_err(|err| format!("handler body: {err}\n{}", context()))?;
            }
        }
        if outcome.status != 500 {
            // The guard's lines travel in a header the guard adds to every
            // response it returns.
            let guard = reply.guard.as_deref().unwrap_or("");
            let real: Vec<&str> = guard.split(" | ").filter(|l| !l.is_empty()).collect();
            self.check_lines(&outcome.guard_lines, &real)
                .map_err(|err| format!("guard lines: {err}\n{}", context()))?;
        }
        self.check_cookie(&outcome.cookie, &reply.set_cookies)
            .map_err(|err| format!("{err}\n{}", context()))
    }

    fn check_lines(&mut self, expected: &[Line], real: &[&str]) -> Result<(), String> {
        if expected.len() != real.len() {
            return Err(format!("lines {real:?}, the model predicts {expected:?}"));
        }
        for (line, real) in expected.iter().zip(real) {
            let (text, token) = match real.split_once(" csrf=") {
                Some((text, token)) => (text, Some(token)),
                None => (*real, None),
            };
            if text != line.text {
                return Err(format!("line {real:?}, the model predicts {:?}", line.text));
            }
            match (line.token, token) {
                (None, None) => {}
                (Some(tok), Some(text)) => {
                    let bytes = if text == "unset" {
                        Some([0; 32])
                    } else {
                        token_bytes(text).filter(|bytes| *bytes != [0; 32])
                    };
                    let bytes = bytes.ok_or_else(|| format!("{real:?} prints no token's text"))?;
                    self.tokens
                        .check(tok, bytes)
                        .map_err(|err| format!("line {real:?}: {err}"))?;
                }
                _ => {
                    return Err(format!(
                        "line {real:?}: token shown or not unlike the model"
                    ))
                }
            }
        }
        Ok(())
    }

    /// Compares the `Set-Cookie` headers with the predicted cookie; returns
    /// the cookie a browser keeps: `(value, Max-Age)`, the empty value for
    /// the expiring cookie.
    fn check_cookie(&mut self, predicted: &Cookie, set_cookies: &[String]) -> Result<Kept, String> {
        if set_cookies.len() > 1 {
            return Err(format!("{} Set-Cookie headers", set_cookies.len()));
        }
        let real = set_cookies.first();
        match (predicted, real) {
            (Cookie::None, None) => Ok(None),
            (Cookie::None, Some(real)) => Err(format!(
                "Set-Cookie {} where the model predicts none",
                describe_real(real)
            )),
            (_, None) => Err(format!(
                "no Set-Cookie where the model predicts {}",
                describe(predicted)
            )),
            (Cookie::Expire, Some(real)) => {
                if *real == expiring_cookie() {
                    Ok(Some((String::new(), Some(0))))
                } else {
                    Err(format!(
                        "Set-Cookie {} where the model predicts the expiring cookie",
                        describe_real(real)
                    ))
                }
            }
            (Cookie::Write(written), Some(real)) => {
                let kept = self.check_written(written, real).map_err(|err| {
                    format!(
                        "Set-Cookie {}: {err}; the model predicts {}",
                        describe_real(real),
                        describe(predicted)
                    )
                })?;
                self.history.push(kept.0.clone());
                Ok(Some(kept))
            }
        }
    }

    fn check_written(
        &mut self,
        written: &Written,
        real: &str,
    ) -> Result<(String, Option<i64>), String> {
        let prefix = format!("{}=", ModelSession::NAME);
        let rest = real.strip_prefix(&prefix).ok_or("another cookie name")?;
        let (value, attributes) = rest.split_once(';').ok_or("no attributes")?;
        let max_age = written
            .max_age
            .map(|age| format!("; Max-Age={age}"))
            .unwrap_or_default();
        let expected = format!("{prefix}{value}{max_age}{ATTRIBUTES}");
        if real != expected {
            return Err(format!("attributes ;{attributes} (expected {expected:?})"));
        }
        let (header, data) = read_cookie(value)?;
        let fields = [
            (
                "format",
                u32::from(header.format),
                u32::from(reference::FORMAT_SIGNED),
            ),
            (
                "version",
                u32::from(header.version),
                u32::from(ModelSession::VERSION),
            ),
            (
                "hint",
                u32::from(header.hint),
                u32::from(reference::hint(ModelSession::SCHEMA_FINGERPRINT)),
            ),
            ("created", header.created, written.start.created),
            (
                "start_seq",
                u32::from(header.start_seq),
                u32::from(written.start.seq),
            ),
            ("issued", header.issued, written.issued),
            (
                "lifetime",
                u32::from(header.lifetime),
                u32::from(written.life.byte()),
            ),
        ];
        for (name, real, expected) in fields {
            if real != expected {
                return Err(format!("header {name} {real}, expected {expected}"));
            }
        }
        let key = (0..POOL).find(|&index| pool()[index].key_id == header.key_id);
        if key != Some(written.key) {
            return Err(format!(
                "signed with key {key:?}, expected k{}",
                written.key
            ));
        }
        let expected = &written.data;
        if (data.user, data.counter, &data.flash)
            != (expected.user, expected.counter, &expected.flash)
        {
            return Err(format!("payload {data:?}"));
        }
        self.tokens
            .check(expected.csrf, data.csrf)
            .map_err(|err| format!("payload token: {err}"))?;
        Ok((value.to_owned(), written.max_age))
    }
}

/// `name=v1; name=v2; ...`.
fn cookie_header(values: &[String]) -> String {
    values
        .iter()
        .map(|value| format!("{}={value}", ModelSession::NAME))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A predicted cookie, for messages.
fn describe(cookie: &Cookie) -> String {
    match cookie {
        Cookie::None => "no cookie".into(),
        Cookie::Expire => "the expiring cookie".into(),
        Cookie::Write(written) => format!(
            "cookie {{ start ({}, seq {}), issued {}, {:?}, k{}, Max-Age {:?}, user {:?} counter {} flash {:?} token {} }}",
            written.start.created,
            written.start.seq,
            written.issued,
            written.life,
            written.key,
            written.max_age,
            written.data.user,
            written.data.counter,
            written.data.flash,
            match written.data.csrf {
                Tok::Unset => "unset".to_owned(),
                Tok::Id(index) => format!("#{index}"),
            }
        ),
    }
}

/// A real `Set-Cookie`, decoded where possible, for messages.
fn describe_real(real: &str) -> String {
    let value = real
        .split_once('=')
        .map(|(_, rest)| rest.split(';').next().unwrap_or(""))
        .unwrap_or("");
    let attributes = real.split_once(';').map_or("", |(_, rest)| rest);
    match read_cookie(value) {
        Ok((header, data)) => format!(
            "{{ start ({}, seq {}), issued {}, lifetime {}, key {:?}, user {:?} counter {} flash {:?}, attributes{attributes} }}",
            header.created,
            header.start_seq,
            header.issued,
            header.lifetime,
            (0..POOL).find(|&index| pool()[index].key_id == header.key_id),
            data.user,
            data.counter,
            data.flash,
        ),
        Err(_) => format!("{real:?}"),
    }
}

thread_local! {
    /// How often each kind of outcome was checked on this thread (the
    /// coverage counts the tests print).
    static COUNTS: std::cell::RefCell<std::collections::BTreeMap<String, u64>> =
        std::cell::RefCell::default();
}

fn count(what: String) {
    COUNTS.with(|counts| *counts.borrow_mut().entry(what).or_default() += 1);
}

/// Counts what a checked request covered.
fn count_outcome(request: &Request, outcome: &Outcome, now_ms: u64) {
    count(format!("response {}", outcome.status));
    if let Some(failure) = outcome.failure {
        count(format!("500 because {failure:?}"));
    }
    if let Some(status) = outcome.loaded {
        count(format!("loaded {}", status.text()));
    }
    if let Some(pending) = outcome.pending {
        count(format!("pending write {pending:?}"));
    }
    match &outcome.cookie {
        Cookie::None => count("cookie none".into()),
        Cookie::Expire => count("cookie expiring".into()),
        Cookie::Write(written) => {
            count(format!("cookie written, {:?}", written.life));
            if written.start.seq > 0 {
                count("cookie written, start_seq > 0".into());
            }
            if written.start.created > model::wire_secs(now_ms) {
                count("cookie written, start ahead of the clock".into());
            }
            if written.start.seq == 63 {
                count("cookie written, start_seq 63".into());
            }
            if written.max_age.is_some_and(|age| age <= 0) {
                count("cookie written, Max-Age <= 0".into());
            }
        }
    }
    if request.guard.is_some() {
        count("request with a guard".into());
    }
    if !request.plants.is_empty() {
        count("request with planted cookies".into());
    }
    if request.csrf_layer && !request.method.is_safe() {
        count(format!(
            "unsafe request through the CSRF layer: {}",
            outcome.status
        ));
    }
}

/// The coverage counts of this thread, one per line.
pub fn take_counts() -> String {
    COUNTS.with(|counts| {
        std::mem::take(&mut *counts.borrow_mut())
            .into_iter()
            .map(|(what, n)| format!("  {n:>8}  {what}"))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Runs a whole case; `Err` carries the trace and the difference.
pub async fn run_case(case: &Case) -> Result<(), String> {
    let mut world = World::new(case).await;
    for (index, action) in case.actions.iter().enumerate() {
        if let Err(difference) = world.act(index, action).await {
            return Err(format!(
                "{}\nDIFFERENCE at action {index}: {difference}",
                world.trace.join("\n")
            ));
        }
    }
    Ok(())
}
