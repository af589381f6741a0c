//! tower-sessions' `Session` stored by tower-sessions-cookie-store 0.5 (signed cookies).
//!
//! The crate exposes no codec on its own: its store is private and the cookie is written
//! by the layer after the handler returns. So the benchmark drives the real layer as a
//! tower `Service` around a tiny handler, one request per operation, with no server: the
//! timings include the middleware bookkeeping (cookie jar, `Session`/`Record` creation,
//! session id generation) that any tower-sessions request pays, not just the encoding.
//!
//! `Session::insert(key, value)` is `insert_value(key, serde_json::to_value(value))` and
//! `Session::get(key)` is `get_value(key)` then `serde_json::from_value` (tower-sessions-core
//! 0.14, `session.rs`). The benchmark calls the two halves separately so the handler needs
//! no type parameter: `to_value`/`from_value` run in [`Peer::encode`]/[`Peer::decode`],
//! `insert_value`/`get_value` run in the handler; both are inside the timed operation.

use std::cell::RefCell;
use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::COOKIE;
use http::{Request, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tower_layer::Layer;
use tower_service::Service;
use tower_sessions_cookie_store::{
    CookieSessionConfig, CookieSessionManagerLayer, Key, SameSite, Session, SignedCookie,
};

use crate::shapes::{FieldSink, FieldSource};
use crate::{run_ready, set_cookie_of, Peer, PeerError, Shape, COOKIE_NAME, MASTER_KEY};

/// Fields for the handler to `insert_value`, already turned into JSON values.
#[derive(Clone)]
struct InsertFields(Vec<(&'static str, Value)>);

/// Field names for the handler to `get_value`.
#[derive(Clone)]
struct GetFields(&'static [&'static str]);

/// What the handler read, in `GetFields` order; travels back in the response extensions.
#[derive(Clone)]
struct GotFields(Vec<Option<Value>>);

/// The application handler: touches the session and nothing else.
#[derive(Clone)]
struct Handler;

impl Handler {
    async fn handle(mut req: Request<()>) -> Result<Response<()>, PeerError> {
        let session = req
            .extensions_mut()
            .remove::<Session>()
            .ok_or("the layer did not insert a Session")?;
        let mut response = Response::new(());
        if let Some(InsertFields(fields)) = req.extensions_mut().remove() {
            for (name, value) in fields {
                session.insert_value(name, value).await?;
            }
        }
        if let Some(GetFields(names)) = req.extensions_mut().remove() {
            let mut values = Vec::with_capacity(names.len());
            for name in names {
                values.push(session.get_value(name).await?);
            }
            response.extensions_mut().insert(GotFields(values));
        }
        Ok(response)
    }
}

impl Service<Request<()>> for Handler {
    type Response = Response<()>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<()>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<()>) -> Self::Future {
        Box::pin(async move {
            // A failing session is a 500, as in an app; the layer then writes no cookie
            // and the peer reports the missing header.
            Ok(Self::handle(req).await.unwrap_or_else(|_| {
                let mut response = Response::new(());
                *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                response
            }))
        })
    }
}

type Stack = <CookieSessionManagerLayer<SignedCookie> as Layer<Handler>>::Service;

/// The layer + handler stack. `RefCell` because `Service::call` takes `&mut self` and
/// the `Peer` API takes `&self`; cloning the stack per request instead would add a clone
/// that a server does not do on every request.
pub struct TowerCookieStore {
    service: RefCell<Stack>,
}

impl Default for TowerCookieStore {
    fn default() -> Self {
        // Defaults are name "session", Secure, HttpOnly, Path=/ and SameSite=Strict; Lax
        // matches the attributes of the other peers.
        let config = CookieSessionConfig::default()
            .with_name(COOKIE_NAME)
            .with_same_site(SameSite::Lax);
        let layer = CookieSessionManagerLayer::signed(Key::from(&MASTER_KEY)).with_config(config);
        Self {
            service: RefCell::new(layer.layer(Handler)),
        }
    }
}

impl TowerCookieStore {
    /// One request through the stack, honouring the tower contract (`poll_ready` first).
    fn call(&self, req: Request<()>) -> Result<Response<()>, PeerError> {
        let mut service = self.service.borrow_mut();
        let response = run_ready(async {
            poll_fn(|cx| service.poll_ready(cx)).await?;
            service.call(req).await
        })??;
        if response.status() != StatusCode::OK {
            return Err(format!("handler answered {}", response.status()).into());
        }
        Ok(response)
    }
}

/// The first half of `Session::insert`.
struct ToValues(Vec<(&'static str, Value)>);

impl FieldSink for ToValues {
    type Error = serde_json::Error;

    fn put<V: Serialize>(&mut self, name: &'static str, value: &V) -> Result<(), Self::Error> {
        self.0.push((name, serde_json::to_value(value)?));
        Ok(())
    }
}

/// The second half of `Session::get`.
struct FromValues {
    names: &'static [&'static str],
    values: Vec<Option<Value>>,
}

impl FieldSource for FromValues {
    fn take<V: DeserializeOwned>(&mut self, name: &'static str) -> Option<V> {
        let index = self.names.iter().position(|n| *n == name)?;
        serde_json::from_value(self.values.get_mut(index)?.take()?).ok()
    }
}

impl Peer for TowerCookieStore {
    fn label(&self) -> &'static str {
        "tower-sessions-cookie-store"
    }

    fn encode<T: Shape>(&self, session: &T) -> Result<String, PeerError> {
        let mut fields = ToValues(Vec::with_capacity(T::FIELDS.len()));
        session.put_fields(&mut fields)?;
        let mut req = Request::new(());
        req.extensions_mut().insert(InsertFields(fields.0));
        let response = self.call(req)?;
        set_cookie_of(&response)
    }

    fn decode<T: Shape>(&self, cookie_header: &str) -> Result<T, PeerError> {
        let mut req = Request::builder().header(COOKIE, cookie_header).body(())?;
        req.extensions_mut().insert(GetFields(T::FIELDS));
        let mut response = self.call(req)?;
        let GotFields(values) = response
            .extensions_mut()
            .remove()
            .ok_or("handler returned no fields")?;
        let mut source = FromValues {
            names: T::FIELDS,
            values,
        };
        T::take_fields(&mut source).ok_or_else(|| "a session field is missing".into())
    }
}
