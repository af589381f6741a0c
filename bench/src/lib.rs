//! The cookie-codec benchmark of `session-runtime` and the peers it is compared with.
//!
//! Each peer turns a typed session into a `Set-Cookie` header value and turns a `Cookie`
//! request header back into the typed session, using the real crate where it can be driven
//! without a server:
//!
//! - [`floor::Floor`]: postcard + pre-keyed HMAC-SHA256 + base64url, the least work any
//!   signed binary cookie can do; the library's own codec should land close to it.
//! - [`actix::ActixSession`]: actix-session 0.11's `CookieSessionStore` plus its middleware's
//!   cookie signing (see the module docs for which part is the crate and which is mirrored).
//! - [`axum_jar::AxumSigned`]: axum-extra 0.12's `SignedCookieJar` with a serde_json value.
//! - [`tower_store::TowerCookieStore`]: tower-sessions' `Session` through
//!   tower-sessions-cookie-store 0.5's layer, driven as a tower `Service`.
//!
//! Node's cookie-session is measured by `node/cookie_session_bench.js`.
//!
//! Our side, [`ours`], is the library itself on the same three shapes.
//!
//! [`web`] holds the HTTP benchmark's applications (axum and actix-web, each without a
//! session, with the floor layer, with ours and with the framework's usual session
//! crate).

pub mod actix;
pub mod axum_jar;
pub mod floor;
pub mod ours;
pub mod shapes;
pub mod tower_store;
pub mod web;

use std::future::Future;

use futures::FutureExt as _;

pub use shapes::Shape;

/// Every peer names its cookie the same, so sizes differ only by encoding.
pub const COOKIE_NAME: &str = "session";

/// A fixed 64-byte master key. The `cookie` crate's `Key::from` wants 64 bytes
/// (32 signing + 32 encryption); the floor uses the first 32 as its HMAC key.
pub const MASTER_KEY: [u8; 64] = {
    let mut key = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        key[i] = (i as u8).wrapping_mul(7).wrapping_add(1);
        i += 1;
    }
    key
};

/// Boxed error: peers fail for unrelated reasons (serde_json, anyhow, header parsing) and
/// the benchmark only needs to report them, never to branch on them.
pub type PeerError = Box<dyn std::error::Error + Send + Sync>;

/// A session codec under test.
pub trait Peer {
    /// Label used in benchmark ids and reports.
    fn label(&self) -> &'static str;

    /// Encode `session` into the value of one `Set-Cookie` header (attributes included).
    fn encode<T: Shape>(&self, session: &T) -> Result<String, PeerError>;

    /// Decode the session out of a `Cookie` request header.
    fn decode<T: Shape>(&self, cookie_header: &str) -> Result<T, PeerError>;
}

/// The `name=value` part of a `Set-Cookie` header value: what a browser stores, counts
/// against its 4096-byte limit, and sends back.
pub fn cookie_pair(set_cookie: &str) -> &str {
    set_cookie
        .split_once(';')
        .map_or(set_cookie, |(pair, _)| pair)
}

/// The `Set-Cookie` header value of a response, as text (for the peers whose encode
/// ends in an `http` response: axum-extra's jar and the tower-sessions layer).
pub fn set_cookie_of<B>(response: &http::Response<B>) -> Result<String, PeerError> {
    let value = response
        .headers()
        .get(http::header::SET_COOKIE)
        .ok_or("no Set-Cookie header")?;
    Ok(value.to_str()?.to_owned())
}

/// Build the `Cookie` request header a browser would send back for these `Set-Cookie`s.
pub fn cookie_header<'a>(set_cookies: impl IntoIterator<Item = &'a str>) -> String {
    set_cookies
        .into_iter()
        .map(cookie_pair)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Run a future that is known to complete on its first poll.
///
/// The async store/session APIs of actix-session and tower-sessions do no I/O for a cookie
/// store, so their futures are ready immediately. Polling once (no executor, no runtime)
/// keeps executor overhead out of the timings, and a future that ever does wait is
/// reported as an error instead of hanging the benchmark.
pub fn run_ready<F: Future>(future: F) -> Result<F::Output, PeerError> {
    future
        .now_or_never()
        .ok_or_else(|| "future did not complete on its first poll".into())
}

/// Assert once, outside any timed loop, that `peer` round-trips `session` and return the
/// `Set-Cookie` value it produced.
pub fn check_round_trip<P: Peer, T: Shape>(peer: &P, session: &T) -> String {
    let set_cookie = peer
        .encode(session)
        .unwrap_or_else(|e| panic!("{}: encode failed: {e}", peer.label()));
    let header = cookie_header([set_cookie.as_str()]);
    let back: T = peer
        .decode(&header)
        .unwrap_or_else(|e| panic!("{}: decode failed: {e}", peer.label()));
    assert_eq!(
        &back,
        session,
        "{}: round trip changed the session",
        peer.label()
    );
    set_cookie
}
