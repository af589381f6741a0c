//! `ActixSession` mirrors the private cookie code of actix-session's middleware. This test
//! runs the real `SessionMiddleware` in-process (actix-web's test service, no socket) and
//! checks both directions: cookies written by the middleware decode with the mirror, and
//! cookies written by the mirror are accepted by the middleware. If a new actix-session
//! release changed its cookie handling, this is the test that fails.

use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::Key;
use actix_web::http::header::{COOKIE, SET_COOKIE};
use actix_web::http::StatusCode;
use actix_web::test as actix_test;
use actix_web::{web, App, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;
use session_bench::actix::ActixSession;
use session_bench::shapes::{large, medium, small, FieldSink, FieldSource};
use session_bench::{cookie_header, Peer, Shape, COOKIE_NAME, MASTER_KEY};

/// An application handler's `session.insert` per field.
struct Insert<'a>(&'a Session);

impl FieldSink for Insert<'_> {
    type Error = actix_session::SessionInsertError;

    fn put<V: Serialize>(&mut self, name: &'static str, value: &V) -> Result<(), Self::Error> {
        self.0.insert(name, value)
    }
}

/// An application handler's `session.get` per field.
struct Get<'a>(&'a Session);

impl FieldSource for Get<'_> {
    fn take<V: DeserializeOwned>(&mut self, name: &'static str) -> Option<V> {
        self.0.get(name).ok().flatten()
    }
}

async fn write<T: Shape>(session: Session, fixture: web::Data<T>) -> HttpResponse {
    match fixture.put_fields(&mut Insert(&session)) {
        Ok(()) => HttpResponse::Ok().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn read<T: Shape>(session: Session, fixture: web::Data<T>) -> HttpResponse {
    match T::take_fields(&mut Get(&session)) {
        Some(got) if got == **fixture => HttpResponse::Ok().finish(),
        _ => HttpResponse::Conflict().finish(),
    }
}

async fn agree_with_middleware<T: Shape>(fixture: T, security: CookieContentSecurity) {
    let mirror = match security {
        CookieContentSecurity::Signed => ActixSession::signed(),
        CookieContentSecurity::Private => ActixSession::private(),
    };
    let middleware =
        SessionMiddleware::builder(CookieSessionStore::default(), Key::from(&MASTER_KEY))
            .cookie_name(COOKIE_NAME.to_owned())
            .cookie_content_security(security)
            .build();
    let app = actix_test::init_service(
        App::new()
            .wrap(middleware)
            .app_data(web::Data::new(fixture.clone()))
            .route("/write", web::get().to(write::<T>))
            .route("/read", web::get().to(read::<T>)),
    )
    .await;

    // Middleware writes, mirror reads.
    let response = actix_test::call_service(
        &app,
        actix_test::TestRequest::get().uri("/write").to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response
        .headers()
        .get(SET_COOKIE)
        .expect("middleware sets the cookie")
        .to_str()
        .unwrap()
        .to_owned();
    let decoded: T = mirror
        .decode(&cookie_header([set_cookie.as_str()]))
        .expect("mirror decodes the middleware's cookie");
    assert_eq!(decoded, fixture);

    // Mirror writes, middleware reads.
    let mine = mirror.encode(&fixture).expect("mirror encodes");
    let request = actix_test::TestRequest::get()
        .uri("/read")
        .insert_header((COOKIE, cookie_header([mine.as_str()])))
        .to_request();
    let response = actix_test::call_service(&app, request).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "middleware rejected or misread the mirror's cookie"
    );
}

#[test]
fn mirror_matches_the_real_middleware() {
    actix_web::rt::System::new().block_on(async {
        for security in [
            CookieContentSecurity::Signed,
            CookieContentSecurity::Private,
        ] {
            agree_with_middleware(small(), security).await;
            agree_with_middleware(medium(), security).await;
            agree_with_middleware(large(), security).await;
        }
    });
}
