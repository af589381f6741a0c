//! What the web adapters share: the per-request [`SessionSlot`] the layer or
//! middleware puts into the request's extensions, the [`RequestSession`]
//! handles that extractors lend to handlers, and the one path from "the
//! handler is done" to `Set-Cookie` ([`SessionSlot::finish_into`]).
//!
//! The adapters are thin: loading is [`SessionConfig::load_cookies`]
//! and storing is [`SessionConfig::store`], exactly as with the `http`-level
//! API. What they add is only the plumbing between the two ends of a request:
//!
//! 1. the layer (tower) or middleware (actix-web) creates a [`SessionSlot`]
//!    holding the request's `Cookie` header values and puts it into the
//!    request's extensions;
//! 2. the first extractor that asks for the session decodes it (so routes that
//!    never use the session cost no MAC check and never send `Set-Cookie`) and
//!    lends it out as a [`RequestSession`]; more handles may follow (a guard
//!    middleware and its handler), see `slot.rs` for the rules;
//! 3. when the response comes back, the layer calls
//!    [`SessionSlot::finish_into`], which appends a `Set-Cookie` if, and only
//!    if, one is due, or reports why the response must become a `500`.
//!
//! [`SessionConfig::load_cookies`]: crate::SessionConfig::load_cookies
//! [`SessionConfig::store`]: crate::SessionConfig::store

mod error;
mod slot;

#[cfg(any(feature = "axum", feature = "actix"))]
mod csrf_check;

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "actix")]
mod actix_csrf;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "axum")]
mod axum_csrf;
#[cfg(feature = "tower")]
pub mod tower;

#[cfg(test)]
use error::UnavailableKind;
pub use error::{FinishError, FinishErrorKind, SessionUnavailable};
pub use slot::{RequestSession, SessionSlot};

use crate::CookieSession;

/// For writing an adapter of your own, and for the errors the adapters
/// report: the per-request [`SessionSlot`](adapter::SessionSlot) a layer puts
/// into the request's extensions, and what can go wrong between a request and
/// its `Set-Cookie`. Apps using the axum or actix-web modules never need it.
pub mod adapter {
    pub use super::error::{FinishError, FinishErrorKind, SessionUnavailable, UnavailableKind};
    pub use super::slot::SessionSlot;
}

// With `tower` alone there is no extractor to use these.
/// What an extractor does: take the session from the request's slot, or
/// explain (to the client in a 500, and in the server's log) what is wrong.
#[cfg_attr(not(any(feature = "axum", feature = "actix")), allow(dead_code))]
pub(crate) async fn extract<T: CookieSession>(
    slot: Option<SessionSlot<T>>,
) -> Result<RequestSession<T>, SessionUnavailable> {
    match slot {
        Some(slot) => slot.take_async().await.map_err(SessionUnavailable::logged),
        None => Err(SessionUnavailable::missing_layer::<T>().logged()),
    }
}

/// What a CSRF layer does to get the session: as [`extract`], but a missing
/// slot means the CSRF layer runs before (outside) the session layer, or
/// there is none, and the error says so.
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) async fn extract_for_csrf<T: CookieSession>(
    slot: Option<SessionSlot<T>>,
) -> Result<RequestSession<T>, SessionUnavailable> {
    match slot {
        Some(slot) => slot.take_async().await.map_err(SessionUnavailable::logged),
        None => Err(SessionUnavailable::csrf_outside_session::<T>().logged()),
    }
}

/// `Clone` and `Debug` of a layer or middleware `$name<T>` that holds only
/// its `config: SessionConfig<T>`.
// Used by the tower and actix adapters; feature `web` alone (CSRF tokens,
// flash) has neither, hence the `allow`s.
#[cfg(feature = "web")]
#[allow(unused_macros)]
macro_rules! config_holder_impls {
    ($name:ident) => {
        impl<T: $crate::CookieSession> Clone for $name<T> {
            fn clone(&self) -> Self {
                $name {
                    config: self.config.clone(),
                }
            }
        }

        impl<T: $crate::CookieSession> core::fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("config", &self.config)
                    .finish()
            }
        }
    };
}
#[cfg(feature = "web")]
#[allow(unused_imports)]
pub(crate) use config_holder_impls;

/// `my_app::AppSession` → `AppSession`, for messages.
pub(crate) fn short_type_name<T>() -> &'static str {
    let full = core::any::type_name::<T>();
    let path_end = full.find('<').unwrap_or(full.len());
    match full[..path_end].rfind("::") {
        Some(at) => &full[at + 2..],
        None => full,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata, Subscriber};

    use super::*;

    #[derive(crate::CookieSession, serde::Serialize, serde::Deserialize, Default, Debug)]
    #[session(name = "__Host-logged", version = 1, crate = "crate")]
    struct Logged {
        n: u8,
    }

    /// Keeps the level and message of every event.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<(Level, String)>>>);

    struct Message<'a>(&'a mut String);

    impl Visit for Message<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn core::fmt::Debug) {
            if field.name() == "message" {
                *self.0 = format!("{value:?}");
            }
        }
    }

    impl Subscriber for Capture {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut message = String::new();
            event.record(&mut Message(&mut message));
            let level = *event.metadata().level();
            self.0.lock().unwrap().push((level, message));
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    #[test]
    fn a_missing_layer_is_logged_on_the_server_too() {
        let capture = Capture::default();
        let err = tracing::subscriber::with_default(capture.clone(), || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            runtime
                .block_on(extract::<Logged>(None))
                .map(|_| ())
                .unwrap_err()
        });
        assert_eq!(err.kind(), UnavailableKind::MissingLayer);
        let events = capture.0.lock().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].0, Level::ERROR);
        assert_eq!(events[0].1, err.to_string());
        assert!(events[0]
            .1
            .contains("no session layer for Logged wraps this route"));
    }
}
