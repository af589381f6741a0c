//! The session field that carries a session's device binding
//! ([`DeviceBinding`]), and [`DbscSession`], which the derive implements for
//! a session type that has one (docs/dbsc.md, "What the long-lived signed session carries").

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::state::{DbscState, SessionId, SESSION_ID_LEN};
use crate::session_type::CookieSession;
use crate::size::MaxEncodedLen;

/// Where a session keeps its device binding (DBSC, docs/dbsc.md): none, a
/// registration offered at login (`Pending`), or a registered device key
/// (`Bound`). Put one field of this type in the session struct and turn DBSC
/// on with [`SessionConfigBuilder::dbsc`](crate::SessionConfigBuilder::dbsc);
/// the library does the rest:
///
/// - [`Session::renew`](crate::Session::renew) (login) on a session the
///   configuration loaded starts a new pending binding (a new random DBSC
///   session id) and the response offers the browser a registration; the
///   device key of a previous login never carries over;
/// - the registration endpoint stores the device's public key;
/// - from then on, a request whose session is bound is accepted only with a
///   short-lived bound cookie that only the device can renew;
/// - [`Session::clear`](crate::Session::clear) (logout) resets it with the
///   rest of the data.
///
/// It adds at most 51 bytes to the payload (68 characters of cookie), and the
/// compile-time size bound counts them like any field's:
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_runtime::dbsc::DeviceBinding;
/// use session_runtime::{CookieSession, MaxEncodedLen};
///
/// #[derive(CookieSession, Serialize, Deserialize, Default)]
/// #[session(name = "__Host-app", version = 1)]
/// struct AppSession {
///     user_id: Option<u64>,
///     device: DeviceBinding, // found by its type, or mark it `#[session(dbsc)]`
/// }
///
/// assert_eq!(<DeviceBinding as MaxEncodedLen>::MAX_ENCODED_LEN, 51);
/// assert!(AppSession::default().device().state().is_none());
/// ```
///
/// Only the library moves it between states: there is no public way to make
/// a pending or bound value, so application code cannot bind a session to a
/// key it did not see proven. (The derive's setter can still put back
/// `DeviceBinding::default()`, which unbinds the session, as `clear` does.)
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct DeviceBinding(Option<DbscState>);

impl DeviceBinding {
    /// The binding's state: `None` when DBSC was not offered (or the
    /// configuration does not turn it on), else pending or bound.
    pub fn state(&self) -> Option<&DbscState> {
        self.0.as_ref()
    }

    /// Whether a device key is registered: requests then need the bound cookie.
    pub fn is_bound(&self) -> bool {
        matches!(self.0, Some(DbscState::Bound { .. }))
    }

    /// The DBSC session id, pending or bound.
    pub fn id(&self) -> Option<SessionId> {
        self.0.as_ref().map(DbscState::id)
    }

    /// Replaces the state (the registration endpoint, the tests).
    pub(crate) fn set(&mut self, state: Option<DbscState>) {
        self.0 = state;
    }

    /// The binding a renewed session starts with: pending under a new id
    /// drawn from the operating system at `now` (Unix seconds) when the
    /// configuration binds sessions to devices, none otherwise (or when the
    /// random source fails: that login then offers no registration, and the
    /// session works unbound, as for a browser without DBSC).
    fn restart(&mut self, now: Option<u64>) {
        self.0 = now.and_then(|since| {
            let mut id = [0u8; SESSION_ID_LEN];
            getrandom::fill(&mut id).ok()?;
            Some(DbscState::Pending {
                id: SessionId::from_bytes(id),
                since,
            })
        });
    }
}

/// Encoded exactly as the `Option<DbscState>` it wraps.
impl Serialize for DeviceBinding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for DeviceBinding {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<DbscState>::deserialize(deserializer).map(DeviceBinding)
    }
}

impl MaxEncodedLen for DeviceBinding {
    const MAX_ENCODED_LEN: usize = <Option<DbscState> as MaxEncodedLen>::MAX_ENCODED_LEN;
    const SCHEMA_HASH: u64 = <Option<DbscState> as MaxEncodedLen>::SCHEMA_HASH;
}

/// A session type with a [`DeviceBinding`] field: a field of that type, or
/// one marked `#[session(dbsc)]`. `#[derive(CookieSession)]` implements it;
/// [`SessionConfigBuilder::dbsc`](crate::SessionConfigBuilder::dbsc) and the
/// DBSC endpoints need it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no device-binding field",
    label = "DBSC needs to know where `{Self}` keeps its device binding",
    note = "add a field `device: session_runtime::dbsc::DeviceBinding` to `{Self}` (or mark a `DeviceBinding` field with `#[session(dbsc)]`)"
)]
pub trait DbscSession: CookieSession {
    /// The binding the session holds. Generated.
    #[doc(hidden)]
    fn __device_binding(&self) -> &DeviceBinding;
    /// The binding, to change it. Generated.
    #[doc(hidden)]
    fn __device_binding_mut(&mut self) -> &mut DeviceBinding;
}

/// A field type that can hold the device binding (derive support).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a `#[session(dbsc)]` field must be a `session_runtime::dbsc::DeviceBinding`, not `{Self}`",
    label = "not a device binding"
)]
pub trait DbscField {
    /// The binding in the field.
    fn __get(&self) -> &DeviceBinding;
    /// The binding in the field, to change it.
    fn __get_mut(&mut self) -> &mut DeviceBinding;
    /// What `Session::renew` does to the field (see `DeviceBinding::restart`).
    fn __restart(&mut self, now: Option<u64>) {
        self.__get_mut().restart(now);
    }
}

impl DbscField for DeviceBinding {
    fn __get(&self) -> &DeviceBinding {
        self
    }
    fn __get_mut(&mut self) -> &mut DeviceBinding {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_the_option_it_wraps() {
        let pending = DbscState::Pending {
            id: SessionId::from_bytes([3; 16]),
            since: 1_800_000_000,
        };
        for state in [None, Some(pending)] {
            let binding = DeviceBinding(state);
            let bytes = postcard::to_allocvec(&binding).unwrap();
            assert_eq!(bytes, postcard::to_allocvec(&state).unwrap());
            assert_eq!(
                postcard::from_bytes::<DeviceBinding>(&bytes).unwrap(),
                binding
            );
        }
        assert_eq!(DeviceBinding::MAX_ENCODED_LEN, 51);
        assert_eq!(
            DeviceBinding::SCHEMA_HASH,
            <Option<DbscState> as MaxEncodedLen>::SCHEMA_HASH
        );
    }

    #[test]
    fn restart_draws_a_new_id_or_unbinds() {
        let mut binding = DeviceBinding::default();
        binding.restart(Some(1_800_000_000));
        let Some(DbscState::Pending { id: first, since }) = binding.state().copied() else {
            panic!("pending expected: {binding:?}")
        };
        assert_eq!(since, 1_800_000_000);
        binding.restart(Some(1_800_000_001));
        assert_ne!(binding.id(), Some(first), "a new id at every login");
        assert!(!binding.is_bound());
        binding.restart(None);
        assert_eq!(binding, DeviceBinding::default());
    }
}
