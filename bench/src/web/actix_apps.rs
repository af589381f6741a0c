//! The actix-web 4 variants of the benchmark app: the same routes and bodies as the
//! axum ones (module docs of [`super`]).
//!
//! - `actix-none`: no session; handlers return the same bodies from constants.
//! - `actix-floor`: [`FloorMiddleware`] + [`FloorSession`], the least a session
//!   middleware can do.
//! - `actix-hybrid`: the floor middleware's plumbing with our codec ([`OurCodec`]).
//! - `actix-ours`: `session_runtime::actix::SessionMiddleware` + `RequestSession<AppSession>`.
//! - `actix-session`: actix-session 0.11's `SessionMiddleware` over its
//!   `CookieSessionStore` (the session in the cookie, like ours), with signed cookie
//!   content (HMAC-SHA256, like ours; its default is private, AES-256-GCM), the same
//!   struct stored as one typed value.
//!
//! Each function builds one worker's `App` (`HttpServer::new` calls it once per worker).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{web, App, Error};
use session_runtime::actix::SessionMiddleware;
use session_runtime::RequestSession;

use session_runtime::Session;

use super::floor_actix::FloorMiddleware;
use super::floor_layer::{FloorSession, OurCodec};
use super::{floor_codec, logged_in, our_config, render, AppSession};

/// No session.
pub fn none() -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + 'static>,
        Error = Error,
        InitError = (),
    >,
> {
    async fn login() -> &'static str {
        "welcome"
    }
    async fn read() -> String {
        render(&logged_in())
    }
    async fn write() -> String {
        let mut session = logged_in();
        session.counter = session.counter.wrapping_add(1);
        render(&session)
    }
    App::new()
        .route("/login", web::get().to(login))
        .route("/read", web::get().to(read))
        .route("/write", web::get().to(write))
}

/// The floor middleware.
pub fn floor() -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + 'static>,
        Error = Error,
        InitError = (),
    >,
> {
    async fn login(mut session: FloorSession<AppSession>) -> &'static str {
        *session = logged_in();
        "welcome"
    }
    async fn read(session: FloorSession<AppSession>) -> String {
        render(&session)
    }
    async fn write(mut session: FloorSession<AppSession>) -> String {
        session.counter = session.counter.wrapping_add(1);
        render(&session)
    }
    App::new()
        .wrap(FloorMiddleware::new(floor_codec()))
        .route("/login", web::get().to(login))
        .route("/read", web::get().to(read))
        .route("/write", web::get().to(write))
}

/// The floor middleware's plumbing with our codec.
pub fn hybrid() -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + 'static>,
        Error = Error,
        InitError = (),
    >,
> {
    async fn login(mut session: FloorSession<Session<AppSession>>) -> &'static str {
        session.renew();
        session.set(logged_in());
        "welcome"
    }
    async fn read(session: FloorSession<Session<AppSession>>) -> String {
        render(&session)
    }
    async fn write(mut session: FloorSession<Session<AppSession>>) -> String {
        let next = session.counter().wrapping_add(1);
        session.set_counter(next);
        render(&session)
    }
    App::new()
        .wrap(FloorMiddleware::new(OurCodec(our_config())))
        .route("/login", web::get().to(login))
        .route("/read", web::get().to(read))
        .route("/write", web::get().to(write))
}

/// Our middleware.
pub fn ours() -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + 'static>,
        Error = Error,
        InitError = (),
    >,
> {
    async fn login(mut session: RequestSession<AppSession>) -> &'static str {
        session.renew();
        session.set(logged_in());
        "welcome"
    }
    async fn read(session: RequestSession<AppSession>) -> String {
        render(&session)
    }
    async fn write(mut session: RequestSession<AppSession>) -> String {
        let next = session.counter().wrapping_add(1);
        session.set_counter(next);
        render(&session)
    }
    App::new()
        .wrap(SessionMiddleware::new(our_config()))
        .route("/login", web::get().to(login))
        .route("/read", web::get().to(read))
        .route("/write", web::get().to(write))
}

/// actix-session with its cookie store, signed.
pub fn actix_session() -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody + 'static>,
        Error = Error,
        InitError = (),
    >,
> {
    use actix_session::config::CookieContentSecurity;
    use actix_session::storage::CookieSessionStore;
    use actix_session::Session;

    const KEY: &str = "app";
    fn load(session: &Session) -> AppSession {
        session
            .get::<AppSession>(KEY)
            .ok()
            .flatten()
            .unwrap_or_default()
    }
    async fn login(session: Session) -> &'static str {
        // renew is actix-session's session-fixation defence, like our renew().
        session.renew();
        session.insert(KEY, logged_in()).expect("insert");
        "welcome"
    }
    async fn read(session: Session) -> String {
        render(&load(&session))
    }
    async fn write(session: Session) -> String {
        let mut data = load(&session);
        data.counter = data.counter.wrapping_add(1);
        session.insert(KEY, &data).expect("insert");
        render(&data)
    }
    let key = actix_web::cookie::Key::from(&crate::MASTER_KEY);
    let middleware = actix_session::SessionMiddleware::builder(CookieSessionStore::default(), key)
        .cookie_content_security(CookieContentSecurity::Signed)
        .build();
    App::new()
        .wrap(middleware)
        .route("/login", web::get().to(login))
        .route("/read", web::get().to(read))
        .route("/write", web::get().to(write))
}
