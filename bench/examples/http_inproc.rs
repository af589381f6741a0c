//! The HTTP benchmark's apps (`session_bench::web`) driven in-process, without sockets:
//! what each session layer adds to a request, free of the kernel's network path and of
//! wrk sharing the machine, so it is deterministic under callgrind and far less noisy
//! than the server under wrk (bench/http/run.sh) when timed.
//!
//! Every request is built like a browser's (`GET /read` or `/write` with the cookie the
//! app's `/login` set; the no-session apps get a same-length cookie they ignore) and
//! handed to the app's service: axum through `tower::ServiceExt::oneshot` on a clone of
//! the `Router` (what `axum::serve` does per request), actix-web through its test
//! service (`actix_web::test::init_service` + `call_service`). Every future involved is
//! ready on its first poll, so no executor is timed. Responses are dropped unread.
//!
//! ```sh
//! # ns per request, each app's batches alternating with its framework's no-session app
//! cargo run -p session-bench --profile bench --example http_inproc -- --paired
//! # one framework only: `--paired axum` or `--paired actix-web`
//! # the pieces of our layer's work outside any framework (see `pieces`)
//! cargo run -p session-bench --profile bench --example http_inproc -- --pieces
//! # instructions per request (callgrind): (Ir of 1001 requests − Ir of 1) / 1000
//! cargo build -p session-bench --profile bench --example http_inproc
//! for n in 1 1001; do valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$n \
//!   target/release/examples/http_inproc ours write $n; done
//! ```
//!
//! Apps: `none`, `floor`, `hybrid`, `ours`, `tower-sessions` (axum) and `actix-none`,
//! `actix-floor`, `actix-hybrid`, `actix-ours`, `actix-session` (actix-web); cases `read`
//! and `write`. `hybrid` is the floor layer's plumbing with our codec, so floor → hybrid
//! is what our codec adds in a request and hybrid → ours what our plumbing adds.

use std::hint::black_box;
use std::time::Instant;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{self, TestRequest};
use axum::body::Body;
use futures::FutureExt as _;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderValue, Request};
use session_bench::web::{actix_apps, axum_apps, render, APPS};
use tower::ServiceExt as _;

/// Requests per timed batch, and alternating rounds per framework and case.
const BATCH: usize = 100;
const ROUNDS: usize = 2000;

/// What the no-session apps are sent: a cookie as long as the floor's and ours.
fn none_cookie() -> String {
    format!("__Host-app={}", "A".repeat(55))
}

fn path(case: &str) -> &'static str {
    match case {
        "read" => "/read",
        "write" => "/write",
        _ => panic!("unknown case {case} (read or write)"),
    }
}

fn is_none(app: &str) -> bool {
    app == "none" || app == "actix-none"
}

/// The `name=value` pair of a `Set-Cookie` text.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

/// Checks one response as a browser would see it: the session's body, and a
/// `Set-Cookie` exactly when the case writes one.
fn check(app: &str, case: &str, body: &[u8], sets_cookie: bool) {
    let body = std::str::from_utf8(body).expect("utf-8 body");
    let mut expected = session_bench::web::logged_in();
    if case == "write" {
        expected.counter += 1;
    }
    assert_eq!(body, render(&expected), "{app} {case}: wrong body");
    let wants_cookie = case == "write" && !is_none(app);
    assert_eq!(sets_cookie, wants_cookie, "{app} {case}: Set-Cookie");
}

/// A ready future's output; everything these apps do completes on its first poll.
/// `unconstrained`: the drivers run inside actix-web's system (a tokio runtime) and never
/// yield to it, so tokio's cooperative budget would run out after 128 operations on its
/// resources (tower-sessions' store locks) and make a ready future return `Pending`.
fn ready<F: std::future::Future>(future: F) -> F::Output {
    tokio::task::unconstrained(future)
        .now_or_never()
        .expect("the app's future completed on its first poll")
}

/// The axum app of `app`, and the request of `case` for it (checked once).
fn axum_driver(app: &str, case: &str) -> impl FnMut() {
    let router = axum_apps::router(app).expect("an axum app");
    let cookie = if is_none(app) {
        none_cookie()
    } else {
        let login = Request::get("/login").body(Body::empty()).expect("request");
        let response = ready(router.clone().oneshot(login)).expect("infallible");
        pair(response.headers()[SET_COOKIE].to_str().expect("ascii"))
    };
    let cookie = HeaderValue::from_str(&cookie).expect("header");
    let path = path(case);
    let request = move || {
        Request::get(path)
            .header(COOKIE, cookie.clone())
            .body(Body::empty())
            .expect("request")
    };
    let response = ready(router.clone().oneshot(request())).expect("infallible");
    let sets_cookie = response.headers().contains_key(SET_COOKIE);
    let body = ready(axum::body::to_bytes(response.into_body(), usize::MAX)).expect("body");
    check(app, case, &body, sets_cookie);
    move || {
        black_box(ready(router.clone().oneshot(request())).expect("infallible"));
    }
}

/// Builds the actix-web test service of `$make` and a driver for `$case` on it.
macro_rules! actix_driver {
    ($app:expr, $case:expr, $make:path) => {{
        let service = test::init_service($make()).await;
        actix_driver_for(service, $app, $case).await
    }};
}

/// The actix-web driver of one app's test service (checked once).
async fn actix_driver_for<S, B>(service: S, app: &str, case: &str) -> Box<dyn FnMut()>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>
        + 'static,
    B: actix_web::body::MessageBody + 'static,
{
    use actix_web::http::header::{
        HeaderValue as ActixHeaderValue, COOKIE as ACTIX_COOKIE, SET_COOKIE as ACTIX_SET_COOKIE,
    };
    let cookie = if is_none(app) {
        none_cookie()
    } else {
        let response =
            test::call_service(&service, TestRequest::get().uri("/login").to_request()).await;
        let set_cookie = response
            .headers()
            .get(ACTIX_SET_COOKIE)
            .expect("/login sets a cookie");
        pair(set_cookie.to_str().expect("ascii"))
    };
    let cookie = ActixHeaderValue::from_str(&cookie).expect("header");
    let path = path(case);
    let request = move || {
        TestRequest::get()
            .uri(path)
            .insert_header((ACTIX_COOKIE, cookie.clone()))
            .to_request()
    };
    let response = test::call_service(&service, request()).await;
    let sets_cookie = response.headers().contains_key(ACTIX_SET_COOKIE);
    let body = test::read_body(response).await;
    check(app, case, &body, sets_cookie);
    Box::new(move || {
        black_box(ready(test::call_service(&service, request())));
    })
}

/// The driver of `app` (any framework) for `case`; actix-web's must be made and run
/// inside its system (see `main`).
async fn driver(app: &str, case: &str) -> Box<dyn FnMut()> {
    match app {
        "actix-none" => actix_driver!(app, case, actix_apps::none),
        "actix-floor" => actix_driver!(app, case, actix_apps::floor),
        "actix-hybrid" => actix_driver!(app, case, actix_apps::hybrid),
        "actix-ours" => actix_driver!(app, case, actix_apps::ours),
        "actix-session" => actix_driver!(app, case, actix_apps::actix_session),
        _ if axum_apps::router(app).is_some() => Box::new(axum_driver(app, case)),
        _ => panic!("unknown app {app} ({})", APPS.join(", ")),
    }
}

/// The machine's load average (Linux), for the report: this machine is shared.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Mean ns per request of one batch.
fn batch(drive: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..BATCH {
        drive();
    }
    start.elapsed().as_nanos() as f64 / BATCH as f64
}

/// Alternating batches of one framework's apps for one case; prints one table row per
/// app. "added" is the median over rounds of (app batch − no-session batch of the same
/// round), so drift in the machine's load cancels.
async fn paired(framework: &str, apps: &[&str], case: &str) {
    let mut drivers = Vec::new();
    for app in apps {
        drivers.push(driver(app, case).await);
    }
    // Warm-up: caches, the allocator's free lists, branch predictors.
    for drive in &mut drivers {
        batch(drive.as_mut());
    }
    let mut times = vec![Vec::with_capacity(ROUNDS); apps.len()];
    for _ in 0..ROUNDS {
        for (drive, series) in drivers.iter_mut().zip(&mut times) {
            series.push(batch(drive.as_mut()));
        }
    }
    let added = |i: usize| median(times[i].iter().zip(&times[0]).map(|(a, b)| a - b).collect());
    let floor_added = added(1);
    for (i, app) in apps.iter().enumerate() {
        let ns = median(times[i].clone());
        let (added_s, ratio_s) = if i == 0 {
            (String::new(), String::new())
        } else {
            let added = added(i);
            (
                format!("{added:+.0}"),
                format!("{:.2}×", added / floor_added),
            )
        };
        println!("| {framework} | {case} | {app} | {ns:.0} | {added_s} | {ratio_s} |");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let system = actix_web::rt::System::new();
    if args.first().map(String::as_str) == Some("--pieces") {
        pieces();
        return;
    }
    if args.first().map(String::as_str) == Some("--paired") {
        println!(
            "{ROUNDS} rounds of {BATCH}-request batches per app, apps of a framework alternating; \
             load average {}\n",
            load_average()
        );
        println!("| framework | case | app | ns/request (median batch) | added ns (median paired) | added × floor's |");
        println!("|---|---|---|---:|---:|---:|");
        // `--paired axum` or `--paired actix-web`: one framework only.
        let only = args.get(1).map(String::as_str);
        system.block_on(async {
            for case in ["read", "write"] {
                if only.is_some_and(|only| only != "axum") {
                    break;
                }
                paired(
                    "axum",
                    &["none", "floor", "hybrid", "ours", "tower-sessions"],
                    case,
                )
                .await;
            }
            for case in ["read", "write"] {
                if only.is_some_and(|only| only != "actix-web") {
                    break;
                }
                paired(
                    "actix-web",
                    &[
                        "actix-none",
                        "actix-floor",
                        "actix-hybrid",
                        "actix-ours",
                        "actix-session",
                    ],
                    case,
                )
                .await;
            }
        });
        return;
    }
    let [app, case, n] = &args[..] else {
        panic!("usage: http_inproc --paired | --pieces | <app> <read|write> <requests>");
    };
    let n: usize = n.parse().expect("a request count");
    system.block_on(async {
        let mut drive = driver(app, case).await;
        for _ in 0..n {
            drive();
        }
    });
}

/// One row of `--pieces`: a label and the work it times.
type Piece<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// The pieces of our layer's per-request work, timed outside any framework in
/// alternating batches (medians of batch means): our codec alone, our codec in the floor
/// layer's plumbing (`FloorSession` + `Arc<OnceLock>`), and our codec in our plumbing
/// (`SessionSlot`: the slot's `Arc` and `Mutex`, `take`, the handle's drop,
/// `finish_into`), each for a read and a write; plus the write with `renew` (no "changed
/// but equal" comparison), the store's cache protection, and the primitives the
/// plumbing is made of (a lock, an atomic increment, an `Arc::new`).
fn pieces() {
    use session_bench::web::floor_layer::FloorSession;
    use session_bench::web::{logged_in, our_config, AppSession};
    use session_runtime::adapter::SessionSlot;
    use session_runtime::Session;

    let config = our_config();
    let mut fresh = Session::<AppSession>::new();
    fresh.set(logged_in());
    let set_cookie = config.set_cookie(&fresh).expect("store").expect("a cookie");
    let cookie = HeaderValue::from_str(&pair(&set_cookie)).expect("header");
    let mut request = http::HeaderMap::new();
    request.insert(COOKIE, cookie.clone());
    let cookies = || request.get_all(COOKIE).iter().map(HeaderValue::as_bytes);
    let load = || config.load_cookies(cookies());
    assert_eq!(load().counter, 0, "the cookie loads");
    // A response's header map, as the layer finds it (axum sets `content-type`).
    let response_headers = || {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        headers
    };
    let bump = |session: &mut Session<AppSession>| {
        let next = session.counter.wrapping_add(1);
        session.get_mut().counter = next;
    };

    let mut changed = load();
    bump(&mut changed);

    let mut rows: Vec<Piece<'_>> = vec![
        (
            "response HeaderMap (in every write row)",
            Box::new(|| {
                black_box(response_headers());
            }),
        ),
        (
            "read: our codec (load_cookies)",
            Box::new(|| {
                black_box(load());
            }),
        ),
        (
            "read: our codec in the floor plumbing",
            Box::new(|| {
                let (handle, back) = FloorSession::new(load());
                black_box(&*handle);
                drop(handle);
                black_box(back.get());
            }),
        ),
        (
            "read: our codec in our slot",
            Box::new({
                // Nothing is appended on a read: one map serves every iteration.
                let mut headers = response_headers();
                let (request, config) = (&request, &config);
                move || {
                    let cookies = request.get_all(COOKIE).iter().cloned();
                    let slot = SessionSlot::new(config.clone(), cookies);
                    let handle = slot.take().expect("take");
                    black_box(&*handle);
                    drop(handle);
                    black_box(slot.finish_into(&mut headers).expect("finish"));
                }
            }),
        ),
        (
            "slot: SessionSlot::new (config clone, Arc, Mutex) and drop, no cookie",
            Box::new(|| {
                black_box(SessionSlot::new(config.clone(), Vec::new()));
            }),
        ),
        (
            "write: our codec (load, change, set_cookie, append)",
            Box::new(|| {
                let mut session = load();
                bump(&mut session);
                let mut headers = response_headers();
                black_box(config.store(&session, &mut headers).expect("store"));
            }),
        ),
        (
            "write: our codec, renewed (no \"changed but equal\" comparison)",
            Box::new(|| {
                let mut session = load();
                session.renew();
                bump(&mut session);
                let mut headers = response_headers();
                black_box(config.store(&session, &mut headers).expect("store"));
            }),
        ),
        (
            "write: our codec in the floor plumbing",
            Box::new(|| {
                let (mut handle, back) = FloorSession::new(load());
                bump(&mut handle);
                drop(handle);
                let mut headers = response_headers();
                if let Some(session) = back.get() {
                    black_box(config.store(session, &mut headers).expect("store"));
                }
            }),
        ),
        (
            "write: our codec in our slot",
            Box::new(|| {
                let cookies = request.get_all(COOKIE).iter().cloned();
                let slot = SessionSlot::new(config.clone(), cookies);
                let mut handle = slot.take().expect("take");
                let next = handle.counter.wrapping_add(1);
                handle.set_counter(next);
                drop(handle);
                let mut headers = response_headers();
                black_box(slot.finish_into(&mut headers).expect("finish"));
            }),
        ),
        (
            "primitive: an uncontended Mutex lock and unlock",
            Box::new({
                let mutex = std::sync::Mutex::new(0u64);
                move || {
                    *black_box(&mutex).lock().expect("not poisoned") += 1;
                }
            }),
        ),
        (
            "primitive: an atomic increment (Arc clone, lock)",
            Box::new({
                let counter = std::sync::atomic::AtomicU64::new(0);
                move || {
                    black_box(&counter).fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                }
            }),
        ),
        (
            "primitive: Arc::new of 128 bytes (a Session<AppSession>) and its drop",
            Box::new(|| {
                black_box(std::sync::Arc::new(black_box([0u64; 16])));
            }),
        ),
        (
            "set_cookie only, loaded + changed (byte comparison)",
            Box::new(|| {
                black_box(config.set_cookie(&changed).expect("store"));
            }),
        ),
        (
            "store, loaded + changed: Set-Cookie and cache protection into a response map",
            Box::new(|| {
                let mut headers = response_headers();
                black_box(config.store(&changed, &mut headers).expect("store"));
            }),
        ),
        (
            "actix: set_cookie and the text into actix-web's map (no cache protection)",
            Box::new(|| {
                let mut actix_headers = actix_web::http::header::HeaderMap::new();
                if let Some(text) = config.set_cookie(&changed).expect("store") {
                    let value =
                        actix_web::http::header::HeaderValue::try_from(text).expect("valid");
                    actix_headers.append(actix_web::http::header::SET_COOKIE, value);
                }
                black_box(actix_headers);
            }),
        ),
    ];
    for (_, run) in &mut rows {
        batch(run.as_mut());
    }
    let mut times = vec![Vec::with_capacity(ROUNDS); rows.len()];
    for _ in 0..ROUNDS {
        for ((_, run), series) in rows.iter_mut().zip(&mut times) {
            series.push(batch(run.as_mut()));
        }
    }
    println!(
        "{ROUNDS} rounds of {BATCH}-operation batches, rows alternating; load average {}\n",
        load_average()
    );
    println!("| piece | ns (median batch) |");
    println!("|---|---:|");
    for ((label, _), series) in rows.iter().zip(times) {
        println!("| {label} | {:.0} |", median(series));
    }
}
