//! "Log out everywhere" through the fleet: a user logs in on two devices,
//! device A asks (through nginx, so through one replica) to log out
//! everywhere, and every replica is asked directly until it refuses device B.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http::{Method, StatusCode};

use super::browser::app_cookie;
use super::client::{self, send, Client, Reply};
use super::{Fleet, APP, REPLICAS};

/// `GET /` on `addr` with session cookie `cookie`.
pub async fn page(addr: SocketAddr, cookie: &str) -> Reply {
    send(
        addr,
        Method::GET,
        "/",
        Some(&format!("{APP}={cookie}")),
        None,
    )
    .await
}

/// Logs `user` in through nginx (with the form's CSRF token, as a browser
/// does); the cookie value.
async fn login(nginx: SocketAddr, user: &str) -> String {
    let mut browser = Client::with_csrf(nginx);
    let reply = browser.post("/login", &format!("name={user}")).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "login");
    client::value_of(&app_cookie(&reply).expect("login sets the cookie")).to_owned()
}

/// `POST path` as the holder of session cookie `cookie`: loads `/` for the
/// session's CSRF token first, as the page's form would carry it.
async fn post_as(addr: SocketAddr, cookie: &str, path: &str) -> Reply {
    let page = page(addr, cookie).await;
    let token = client::csrf_in_page(&page.body).expect("the page shows a CSRF token");
    // The page may have re-issued the cookie (e.g. to drop a shown flash message).
    let cookie = app_cookie(&page).map_or_else(
        || cookie.to_owned(),
        |set_cookie| client::value_of(&set_cookie).to_owned(),
    );
    send(
        addr,
        Method::POST,
        path,
        Some(&format!("{APP}={cookie}")),
        Some(&format!("csrf_token={token}")),
    )
    .await
}

/// What one round measured.
pub struct Round {
    /// From sending `POST /logout-everywhere` to its answer.
    pub answered: Duration,
    pub status: StatusCode,
    pub body: String,
    /// From sending it until every replica refused device B.
    pub everywhere: Duration,
    /// Device B's (now revoked) cookie.
    pub revoked_cookie: String,
    /// Requests sent to replicas directly.
    pub direct: u64,
}

/// Asks every replica with `cookie` until each refuses it as revoked, for
/// at most `limit`; the requests it took.
pub async fn until_refused_everywhere(fleet: &Fleet, cookie: &str, limit: Duration) -> u64 {
    let start = Instant::now();
    let mut direct = 0;
    let mut refused = [false; REPLICAS];
    let mut last_page = String::new();
    while !refused.iter().all(|r| *r) {
        assert!(
            start.elapsed() < limit,
            "revocation not seen everywhere within {limit:?}; last page: {last_page}"
        );
        for (i, done) in refused.iter_mut().enumerate() {
            if !*done {
                let reply = page(fleet.addr(i), cookie).await;
                direct += 1;
                *done = reply.body.contains("refused (revoked)");
                last_page = reply.body;
            }
        }
    }
    direct
}

/// Logs `victim` in on two devices and has device A log out everywhere.
/// `before_post` runs just before the request (e.g. stops redis-server);
/// `after_answer` just after (e.g. resumes it).
pub async fn round(
    fleet: &Fleet,
    nginx: SocketAddr,
    victim: &str,
    before_post: impl FnOnce(),
    after_answer: impl FnOnce(),
) -> Round {
    let mut direct = 0;
    let device_b = login(nginx, victim).await;
    let device_a = login(nginx, victim).await;
    for i in 0..REPLICAS {
        let reply = page(fleet.addr(i), &device_b).await;
        direct += 1;
        assert!(
            reply.body.contains(&format!("user: {victim}</p>")),
            "a login after the previous cut-off is valid on replica {i}"
        );
    }
    // Session starts travel in whole seconds and so do cut-offs, and a
    // login that replaces a session started in the same second is stamped
    // with the next one: a session started (or renewed) within the second or
    // two before a cut-off can survive it (docs/operations.md). Revoke two
    // second boundaries later.
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    tokio::time::sleep(Duration::from_millis(
        2000 - u64::from(since_epoch.subsec_millis()) + 5,
    ))
    .await;
    before_post();
    let start = Instant::now();
    let reply = post_as(nginx, &device_a, "/logout-everywhere").await;
    let answered = start.elapsed();
    after_answer();
    direct += until_refused_everywhere(fleet, &device_b, Duration::from_secs(10)).await;
    Round {
        answered,
        status: reply.status,
        body: reply.body,
        everywhere: start.elapsed(),
        revoked_cookie: device_b,
        direct,
    }
}
