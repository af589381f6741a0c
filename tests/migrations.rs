//! `#[session(migrate_from = Older)]`: cookies written by older versions of a
//! session are decoded with the older type, converted with `From`, and re-issued.

use serde::{Deserialize, Serialize};
use session_runtime::{
    BoundedString, CookieSession, LoadStatus, ManualClock, Rejection, Session, SessionConfig,
    WriteReason,
};
use session_tests::{config_on, cookie_value, issue, request_with_cookie, store, T0_MS};

/// Version 1: a user id and a name.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-m", version = 1)]
pub struct AppV1 {
    pub user: u32,
    pub name: BoundedString<16>,
}

/// Version 2: the id widened to u64, a flag added.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-m", version = 2, migrate_from = AppV1)]
pub struct AppV2 {
    pub user: u64,
    pub name: BoundedString<16>,
    pub admin: bool,
}

impl From<AppV1> for AppV2 {
    fn from(v1: AppV1) -> Self {
        AppV2 {
            user: u64::from(v1.user),
            name: v1.name,
            admin: false,
        }
    }
}

/// Version 3: the name split off into a display name, a theme added.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-m", version = 3, migrate_from = AppV2)]
pub struct AppV3 {
    pub user: u64,
    pub display_name: BoundedString<32>,
    pub admin: bool,
    pub dark_mode: bool,
}

impl From<AppV2> for AppV3 {
    fn from(v2: AppV2) -> Self {
        AppV3 {
            user: v2.user,
            display_name: BoundedString::truncating(&v2.name),
            admin: v2.admin,
            dark_mode: false,
        }
    }
}

/// Version 4 of another deployment that dropped support for v1 and v2.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[session(name = "__Host-m", version = 4)]
pub struct AppV4NoMigration {
    pub user: u64,
}

fn config<T: CookieSession>(clock: &ManualClock) -> SessionConfig<T> {
    config_on(1, clock)
}

fn v1_value() -> AppV1 {
    AppV1 {
        user: 7,
        name: BoundedString::truncating("Ada"),
    }
}

/// A version-1 cookie (of [`v1_value`]) loaded by an app whose session is
/// `T`, both on `clock`: that app's config and the session.
fn load_v1_cookie<T: CookieSession>(clock: &ManualClock) -> (SessionConfig<T>, Session<T>) {
    let v1_cookie = issue(&config::<AppV1>(clock), v1_value());
    let config = config::<T>(clock);
    let session = config.load(&request_with_cookie("__Host-m", &v1_cookie));
    (config, session)
}

#[test]
fn v1_cookie_reaches_a_v3_app_through_the_chain() {
    let clock = ManualClock::new(T0_MS);
    let (v3, session) = load_v1_cookie::<AppV3>(&clock);
    assert_eq!(session.status(), &LoadStatus::Migrated { from: 1 });
    assert_eq!(
        *session,
        AppV3 {
            user: 7,
            display_name: BoundedString::truncating("Ada"),
            admin: false,
            dark_mode: false,
        }
    );
    // Re-issued as version 3 even though the handler changed nothing.
    assert_eq!(session.pending_write(), Some(WriteReason::Migrated));
    let reissued = cookie_value(&store(&v3, &session).unwrap());
    let again: Session<AppV3> = v3.decode(reissued.as_bytes()).unwrap();
    assert_eq!(again.status(), &LoadStatus::Valid);
    assert_eq!(*again, *session);
    assert_eq!(
        again.created_at(),
        session.created_at(),
        "migration keeps the session start"
    );
}

#[test]
fn v2_cookie_reaches_a_v3_app_and_current_cookies_are_plain_valid() {
    let clock = ManualClock::new(T0_MS);
    let v2 = AppV2 {
        user: 9,
        name: BoundedString::truncating("Grace"),
        admin: true,
    };
    let v2_cookie = issue(&config::<AppV2>(&clock), v2.clone());
    let v3 = config::<AppV3>(&clock);
    let migrated = v3.decode(v2_cookie.as_bytes()).unwrap();
    assert_eq!(migrated.status(), &LoadStatus::Migrated { from: 2 });
    assert_eq!(*migrated, AppV3::from(v2));

    let v3_cookie = issue(&v3, AppV3::default());
    assert_eq!(
        v3.decode(v3_cookie.as_bytes()).unwrap().status(),
        &LoadStatus::Valid
    );
}

#[test]
fn unknown_versions_give_a_fresh_session() {
    let clock = ManualClock::new(T0_MS);
    // No migration path from v1 to v4.
    let (_, session) = load_v1_cookie::<AppV4NoMigration>(&clock);
    assert!(session.is_new());
    assert_eq!(
        session.rejection(),
        Some(&Rejection::WrongVersion {
            found: 1,
            expected: 4
        })
    );
    // A v3 cookie reaching a v2 app (a rollback) is not understood either.
    let v3_cookie = issue(&config::<AppV3>(&clock), AppV3::default());
    assert!(matches!(
        config::<AppV2>(&clock).decode(v3_cookie.as_bytes()),
        Err(Rejection::WrongVersion {
            found: 3,
            expected: 2
        })
    ));
}

mod changed_v1 {
    use super::*;
    /// Version 1 as a *different* deployment defined it: same version number,
    /// other shape. Its cookies must not be fed to AppV1's decoder.
    #[derive(CookieSession, Serialize, Deserialize, Default, Debug)]
    #[session(name = "__Host-m", version = 1)]
    pub struct OtherV1 {
        pub user: u64,
    }
}

#[test]
fn an_old_version_with_another_shape_is_refused_by_fingerprint() {
    let clock = ManualClock::new(T0_MS);
    let cookie = issue(
        &config::<changed_v1::OtherV1>(&clock),
        changed_v1::OtherV1 { user: 1 },
    );
    assert!(matches!(
        config::<AppV3>(&clock).decode(cookie.as_bytes()),
        Err(Rejection::SchemaMismatch { expected, .. }) if expected == AppV1::SCHEMA_FINGERPRINT
    ));
}

#[test]
fn migrated_sessions_still_expire() {
    let clock = ManualClock::new(T0_MS);
    let v1_cookie = issue(&config::<AppV1>(&clock), v1_value());
    clock.advance(session_runtime::defaults::IDLE_TIMEOUT + std::time::Duration::from_secs(1));
    assert!(matches!(
        config::<AppV3>(&clock).decode(v1_cookie.as_bytes()),
        Err(Rejection::IdleExpired { .. })
    ));
}
