//! What the `RequestSession` extractors of axum and actix-web share: take the
//! session from the request's slot, or explain (to the client in a 500, and
//! in the server's log) what is wrong, as a future that is ready on its first
//! poll unless an asynchronous revocation check must run first.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use super::error::SessionUnavailable;
use super::handle::RequestSession;
use super::slot::SessionSlot;
use crate::session_type::CookieSession;

/// What an extractor does: take the session from the request's slot, or
/// explain (to the client in a 500, and in the server's log) what is wrong.
/// The future is ready on its first poll unless the configuration has an
/// asynchronous revocation check: only then does `awaiting` box
/// [`take_logged`] (as `F`: `dyn Future + Send` in axum, `dyn Future` in
/// actix-web). An `async` extractor awaiting `take_async` made axum box a
/// 1,136-byte handler future per request, over glibc's 1,032-byte tcache
/// limit, and actix-web box the extractor's own: 95–170 ns (BENCHMARKS.md as
/// of commit `96b0bbd`).
pub(crate) fn extract<T: CookieSession, F: ?Sized>(
    slot: Option<&SessionSlot<T>>,
    awaiting: impl FnOnce(SessionSlot<T>) -> Pin<Box<F>>,
) -> Extraction<T, F> {
    match slot {
        None => Extraction::Ready(Some(Err(SessionUnavailable::missing_layer::<T>().logged()))),
        Some(slot) if slot.config().has_async_revocation() => {
            Extraction::Awaiting(awaiting(slot.clone()))
        }
        Some(slot) => Extraction::Ready(Some(slot.take().map_err(SessionUnavailable::logged))),
    }
}

/// [`SessionSlot::take_async`], errors logged: the extractors' asynchronous
/// path.
pub(crate) async fn take_logged<T: CookieSession>(
    slot: SessionSlot<T>,
) -> Result<RequestSession<T>, SessionUnavailable> {
    slot.take_async().await.map_err(SessionUnavailable::logged)
}

/// The future [`extract`] returns.
pub(crate) enum Extraction<T: CookieSession, F: ?Sized> {
    /// The outcome, taken by the first poll.
    Ready(Option<Result<RequestSession<T>, SessionUnavailable>>),
    /// The first use of the session, awaiting the revocation check.
    Awaiting(Pin<Box<F>>),
}

impl<T, F> Future for Extraction<T, F>
where
    T: CookieSession,
    F: Future<Output = Result<RequestSession<T>, SessionUnavailable>> + ?Sized,
{
    type Output = Result<RequestSession<T>, SessionUnavailable>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Extraction::Ready(outcome) => Poll::Ready(
                outcome
                    .take()
                    .expect("an extractor polled after it completed"),
            ),
            Extraction::Awaiting(future) => future.as_mut().poll(cx),
        }
    }
}

#[cfg(all(test, feature = "axum", feature = "derive"))]
mod logging_tests {
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata, Subscriber};

    use super::*;
    use crate::adapters::error::UnavailableKind;

    type Awaiting = dyn Future<Output = Result<RequestSession<Logged>, SessionUnavailable>>;

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
                .block_on(extract::<Logged, Awaiting>(None, |_| {
                    unreachable!("no slot: nothing to await")
                }))
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
