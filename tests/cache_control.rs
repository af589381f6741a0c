//! Cache safety in both adapters, in process: a response that carries the
//! session's `Set-Cookie` is marked so that no shared cache stores it
//! (`CacheProtection`, docs/operations.md "Caches in front"); a response
//! without it keeps the handler's caching headers. The same routes run under
//! the tower/axum layer and the actix-web middleware, so both must agree,
//! for a one-cookie session and for a chunked one (its own store path).
//! `tests/cache_nginx.rs` shows the effect through a real caching proxy.

use actix_web::HttpResponse;
use axum::response::IntoResponse;
use http::header::{CACHE_CONTROL, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use session_runtime::{
    BoundedString, CacheProtection, CookieSession, RequestSession, SessionConfig,
};
use session_tests::key;
use tower::ServiceExt as _;

#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-cache", version = 1)]
struct Visits {
    n: u32,
}

/// A session spread over up to three cookies (docs/wire-format.md, "Chunked
/// sessions"): the store path writes its chunks itself, and must protect
/// the response as the one-cookie path does.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
#[session(name = "__Host-cachebig", version = 1, chunks = 3)]
struct Notes {
    note: BoundedString<8000>,
}

/// What a route's handler does.
#[derive(Clone, Copy, Debug)]
enum Route {
    /// Changes the session, sets no caching header.
    Visit,
    /// Changes the session and asks every cache, CDNs included, to keep the
    /// page for ten minutes.
    VisitPublic,
    /// Reads the session (no cookie is due) and asks caches to keep the page.
    ReadPublic,
    /// Logs out (the expiring cookie is due) with `Cache-Control: no-cache`,
    /// which lets a cache store the response and revalidate it later.
    Logout,
}

impl Route {
    const ALL: [Route; 4] = [
        Route::Visit,
        Route::VisitPublic,
        Route::ReadPublic,
        Route::Logout,
    ];

    fn path(self) -> &'static str {
        match self {
            Route::Visit => "/visit",
            Route::VisitPublic => "/visit-public",
            Route::ReadPublic => "/read-public",
            Route::Logout => "/logout",
        }
    }

    /// Runs the handler on `session`; the caching headers it sets.
    fn handle(self, session: &mut RequestSession<Visits>) -> Vec<(&'static str, &'static str)> {
        match self {
            Route::Visit => {
                let n = session.n + 1;
                session.set_n(n);
                vec![]
            }
            Route::VisitPublic => {
                let n = session.n + 1;
                session.set_n(n);
                vec![
                    ("cache-control", "public, max-age=600"),
                    ("cdn-cache-control", "max-age=600"),
                ]
            }
            Route::ReadPublic => {
                let _ = session.n;
                vec![("cache-control", "public, max-age=600")]
            }
            Route::Logout => {
                session.clear();
                vec![("cache-control", "no-cache")]
            }
        }
    }

    /// [`Route::handle`] for the chunked session: a visit writes a note that
    /// needs all three cookies.
    fn handle_notes(
        self,
        session: &mut RequestSession<Notes>,
    ) -> Vec<(&'static str, &'static str)> {
        match self {
            Route::Visit | Route::VisitPublic => {
                session.set_note(BoundedString::truncating(&"n".repeat(7000)));
            }
            Route::ReadPublic => {
                let _ = session.note().len();
            }
            Route::Logout => session.clear(),
        }
        match self {
            Route::Visit => vec![],
            Route::VisitPublic => vec![
                ("cache-control", "public, max-age=600"),
                ("cdn-cache-control", "max-age=600"),
            ],
            Route::ReadPublic => vec![("cache-control", "public, max-age=600")],
            Route::Logout => vec![("cache-control", "no-cache")],
        }
    }
}

/// The headers of the response to `route`, through the axum layer.
async fn via_axum(config: &SessionConfig<Visits>, route: Route) -> HeaderMap {
    serve_axum(config, route.path(), "__Host-cache=stale", move |session| {
        route.handle(session)
    })
    .await
}

/// The headers of the response to `route`, through the actix-web middleware,
/// as `http` 1.x headers.
async fn via_actix(config: &SessionConfig<Visits>, route: Route) -> HeaderMap {
    serve_actix(config, route.path(), "__Host-cache=stale", move |session| {
        route.handle(session)
    })
    .await
}

/// The headers of the response to a `GET path` carrying `cookie`, whose
/// handler runs `handle` (it returns the caching headers to set), through
/// the axum layer.
async fn serve_axum<T, H>(
    config: &SessionConfig<T>,
    path: &'static str,
    cookie: &str,
    handle: H,
) -> HeaderMap
where
    T: CookieSession + Send + Sync + 'static,
    H: Fn(&mut RequestSession<T>) -> Vec<(&'static str, &'static str)>
        + Clone
        + Send
        + Sync
        + 'static,
{
    use axum::routing::get;
    let app = axum::Router::new()
        .route(
            path,
            get(move |mut session: RequestSession<T>| {
                let handle = handle.clone();
                async move {
                    let mut headers = HeaderMap::new();
                    for (name, value) in handle(&mut session) {
                        headers.append(name, HeaderValue::from_static(value));
                    }
                    (headers, "ok").into_response()
                }
            }),
        )
        .layer(session_runtime::axum::SessionLayer::new(config.clone()));
    let request = http::Request::get(path)
        .header("cookie", cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    app.oneshot(request).await.unwrap().headers().clone()
}

/// [`serve_axum`] through the actix-web middleware, as `http` 1.x headers.
async fn serve_actix<T, H>(
    config: &SessionConfig<T>,
    path: &'static str,
    cookie: &str,
    handle: H,
) -> HeaderMap
where
    T: CookieSession + 'static,
    H: Fn(&mut RequestSession<T>) -> Vec<(&'static str, &'static str)> + Clone + 'static,
{
    use actix_web::{test, web, App};
    let app = test::init_service(
        App::new()
            .wrap(session_runtime::actix::SessionMiddleware::new(
                config.clone(),
            ))
            .route(
                path,
                web::get().to(move |mut session: RequestSession<T>| {
                    let handle = handle.clone();
                    async move {
                        let mut response = HttpResponse::Ok();
                        for (name, value) in handle(&mut session) {
                            response.append_header((name, value));
                        }
                        response.body("ok")
                    }
                }),
            ),
    )
    .await;
    let request = test::TestRequest::get()
        .uri(path)
        .insert_header(("cookie", cookie))
        .to_request();
    let response = test::call_service(&app, request).await;
    let mut headers = HeaderMap::new();
    for (name, value) in response.headers() {
        headers.append(
            http::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
            HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    headers
}

fn lines<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

/// What each route's response must carry under `protection`: its
/// `Cache-Control` and `CDN-Cache-Control` lines, and whether it sets the
/// session cookie.
fn expected(protection: CacheProtection, route: Route) -> (Vec<&'static str>, Vec<&'static str>) {
    use CacheProtection::{NoStore, Off, Private};
    match (protection, route) {
        (_, Route::ReadPublic) => (vec!["public, max-age=600"], vec![]),
        (Private, Route::Visit) => (vec!["private"], vec![]),
        (Private, Route::VisitPublic) => (vec!["max-age=600, private"], vec!["no-store"]),
        (Private, Route::Logout) => (vec!["no-cache, private"], vec![]),
        (NoStore, Route::Visit) => (vec!["no-store"], vec![]),
        (NoStore, Route::VisitPublic) => (vec!["max-age=600, no-store"], vec!["no-store"]),
        (NoStore, Route::Logout) => (vec!["no-cache, no-store"], vec![]),
        (Off, Route::Visit) => (vec![], vec![]),
        (Off, Route::VisitPublic) => (vec!["public, max-age=600"], vec!["max-age=600"]),
        (Off, Route::Logout) => (vec!["no-cache"], vec![]),
        (other, _) => panic!("no expectation for {other:?}"),
    }
}

#[test]
fn both_adapters_mark_responses_that_set_the_session_cookie() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let actix = actix_web::rt::System::new();
    for protection in [
        CacheProtection::default(),
        CacheProtection::NoStore,
        CacheProtection::Off,
    ] {
        let config = SessionConfig::<Visits>::builder(key(1))
            .cache_protection(protection)
            .build()
            .unwrap();
        assert_eq!(config.cache_protection(), protection);
        for route in Route::ALL {
            let (cache_control, cdn) = expected(protection, route);
            for (adapter, headers) in [
                ("axum", runtime.block_on(via_axum(&config, route))),
                ("actix", actix.block_on(via_actix(&config, route))),
            ] {
                let case = format!("{adapter} {protection:?} {route:?}: {headers:?}");
                let sets_cookie = !matches!(route, Route::ReadPublic);
                assert_eq!(headers.contains_key(SET_COOKIE), sets_cookie, "{case}");
                assert_eq!(
                    lines(&headers, CACHE_CONTROL.as_str()),
                    cache_control,
                    "{case}"
                );
                assert_eq!(lines(&headers, "cdn-cache-control"), cdn, "{case}");
            }
        }
    }
    assert_eq!(CacheProtection::default(), CacheProtection::Private);
}

/// The chunked store path (`SessionConfig::store` for `chunks > 1`) marks
/// its responses exactly as the one-cookie path does, in both adapters: the
/// same routes, the same expected caching headers.
#[test]
fn both_adapters_mark_responses_that_set_chunked_session_cookies() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let actix = actix_web::rt::System::new();
    for protection in [
        CacheProtection::default(),
        CacheProtection::NoStore,
        CacheProtection::Off,
    ] {
        let config = SessionConfig::<Notes>::builder(key(1))
            .cache_protection(protection)
            .build()
            .unwrap();
        for route in Route::ALL {
            let (cache_control, cdn) = expected(protection, route);
            let handle = move |session: &mut RequestSession<Notes>| route.handle_notes(session);
            let cookie = "__Host-cachebig=stale";
            for (adapter, headers) in [
                (
                    "axum",
                    runtime.block_on(serve_axum(&config, route.path(), cookie, handle)),
                ),
                (
                    "actix",
                    actix.block_on(serve_actix(&config, route.path(), cookie, handle)),
                ),
            ] {
                let case = format!("{adapter} {protection:?} {route:?}: {headers:?}");
                // A visit writes all three chunks; a logout expires the one
                // cookie the request carried.
                let set_cookies = match route {
                    Route::Visit | Route::VisitPublic => 3,
                    Route::Logout => 1,
                    Route::ReadPublic => 0,
                };
                assert_eq!(
                    lines(&headers, SET_COOKIE.as_str()).len(),
                    set_cookies,
                    "{case}"
                );
                assert_eq!(
                    lines(&headers, CACHE_CONTROL.as_str()),
                    cache_control,
                    "{case}"
                );
                assert_eq!(lines(&headers, "cdn-cache-control"), cdn, "{case}");
            }
        }
    }
}
