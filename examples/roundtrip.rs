//! A session's trip through HTTP headers, without a server: build a session,
//! emit its `Set-Cookie`, send it back as a `Cookie` header, decode it, then
//! show what tampering and key rotation do.
//!
//! Run: `cargo run -p session-examples --example roundtrip`

use std::error::Error;

use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};
use session_runtime::{BoundedString, BoundedVec, CookieSession, Key, SessionConfig};

#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-app", version = 2)]
pub struct AppSession {
    user_id: Option<u64>,
    display_name: BoundedString<32>,
    roles: BoundedVec<u16, 8>,
    csrf: [u8; 32],
}

/// What the browser would send back: the `name=value` part of a `Set-Cookie`.
fn browser_echo(set_cookie: &str) -> Result<HeaderMap, Box<dyn Error>> {
    let pair = set_cookie.split(';').next().unwrap_or_default();
    let mut request = HeaderMap::new();
    request.insert(COOKIE, HeaderValue::from_str(pair)?);
    Ok(request)
}

fn main() -> Result<(), Box<dyn Error>> {
    // A real app reads its secret from the environment; these are demo values.
    let old_key = Key::from_secret(b"an old secret, still trusted for a while")?;
    let current_key = Key::from_secret(b"the current secret: 32+ random bytes!!")?;

    println!(
        "compile-time bound: payload <= {} B, cookie (name + value) <= {} B, budget {} B\n",
        AppSession::MAX_PAYLOAD_LEN,
        AppSession::MAX_COOKIE_LEN,
        AppSession::BUDGET
    );

    // 1. A request without a cookie: fresh session; log in.
    let config = SessionConfig::<AppSession>::new(current_key.clone())?;
    let mut session = config.load(&HeaderMap::new());
    println!("request 1: no cookie -> {:?}", session.status());
    session.renew(); // new session lifetime on login (fixation defence)
    session.set_user_id(Some(42));
    session.set_display_name(BoundedString::truncating("Ada Lovelace"));
    session.set_roles(BoundedVec::try_from([1, 7])?);
    session.set_csrf([0x5a; 32]);
    let mut response = HeaderMap::new();
    let reason = config.store(&session, &mut response)?;
    let set_cookie = response.get(SET_COOKIE).ok_or("a Set-Cookie was due")?;
    let value_len = set_cookie
        .to_str()?
        .split(';')
        .next()
        .unwrap_or_default()
        .len()
        - 1;
    println!(
        "response 1 ({reason:?}):\n  Set-Cookie: {}",
        set_cookie.to_str()?
    );
    println!("  cookie length (name + value): {value_len} B\n");

    // 2. The browser sends it back: same typed data, nothing to write.
    let request = browser_echo(set_cookie.to_str()?)?;
    let session = config.load(&request);
    println!("request 2: {:?}", session.status());
    println!(
        "  user_id = {:?}, display_name = {:?}, roles = {:?}",
        session.user_id(),
        session.display_name(),
        session.roles()
    );
    println!("  Set-Cookie due: {:?}\n", session.pending_write());

    // 3. Tampering: flip one character of the value.
    let mut tampered = request.get(COOKIE).ok_or("cookie")?.to_str()?.to_owned();
    let last = tampered.pop().ok_or("non-empty")?;
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let mut forged = HeaderMap::new();
    forged.insert(COOKIE, HeaderValue::from_str(&tampered)?);
    let session = config.load(&forged);
    let reason = session.rejection().ok_or("tampering is detected")?;
    println!(
        "request 3 (one character changed): fresh session, reason: {reason} [{}]\n",
        reason.kind()
    );

    // 4. Key rotation: a cookie signed with the old key is accepted and re-issued.
    let old_config = SessionConfig::<AppSession>::new(old_key.clone())?;
    let mut old_session = old_config.load(&HeaderMap::new());
    old_session.set_user_id(Some(7));
    let old_cookie = old_config.set_cookie(&old_session)?.ok_or("changed")?;
    let rotating = SessionConfig::<AppSession>::builder(current_key)
        .verify_key(old_key)
        .build()?;
    let session = rotating.load(&browser_echo(&old_cookie)?);
    println!(
        "request 4 (old key): {:?}, Set-Cookie due: {:?}",
        session.status(),
        session.pending_write()
    );
    Ok(())
}
