//! The derive's output is lint-clean: this crate denies warnings,
//! `unused_qualifications` and `missing_docs`, and compiles.
#![deny(
    warnings,
    unused_qualifications,
    missing_docs,
    unreachable_pub,
    unused_results
)]

use serde::{Deserialize, Serialize};
use session_runtime::{BoundedString, BoundedVec, CookieSession, MaxEncodedLen};

/// A nested type.
#[derive(MaxEncodedLen, Serialize, Deserialize, Default, Debug, PartialEq)]
pub enum Role {
    /// Reader.
    #[default]
    Reader,
    /// Writer with a scope.
    Writer {
        /// Scope.
        scope: BoundedString<8>,
    },
}

/// A session used only through its generated API.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, PartialEq)]
#[session(name = "__Host-lint", version = 1, crate = "::session_runtime")]
pub struct LintSession {
    user_id: Option<u64>,
    role: Role,
    tags: BoundedVec<u8, 4>,
    r#type: u8,
}

/// A session with mixed field visibility: each accessor takes its field's, and
/// none trips `unreachable_pub` or `missing_docs`.
#[derive(CookieSession, Serialize, Deserialize, Default, Debug, PartialEq)]
#[session(name = "__Host-vis", version = 1)]
pub struct Visibilities {
    /// Public.
    pub open: u8,
    /// Crate-visible.
    pub(crate) crate_only: u8,
    /// A skipped field: not stored, still has accessors.
    #[serde(skip)]
    pub cache: Option<u64>,
    hidden: u8,
}

/// A private session whose accessors are never called: no dead-code warning.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "private", version = 9, budget = 128)]
struct Unused {
    counter: u32,
}

#[test]
fn compiles_under_strict_lints() {
    let mut session = LintSession::default();
    session.set_user_id(Some(1));
    session.set_type(3);
    assert_eq!(session.r#type(), &3);
    assert_eq!(session.role(), &Role::Reader);
    // 7 (name) + base64url(16 + 5 + 16 = 37 bytes) = 7 + 50.
    assert_eq!(Unused::MAX_COOKIE_LEN, 7 + 50);
    const { assert!(LintSession::MAX_COOKIE_LEN < 4096) };
    let mut vis = Visibilities::default();
    *vis.open_mut() = 1;
    *vis.crate_only_mut() = 2;
    *vis.cache_mut() = Some(4);
    *vis.hidden_mut() = 5;
    assert_eq!((vis.open(), vis.crate_only(), vis.hidden()), (&1, &2, &5));
    assert_eq!(vis.cache(), &Some(4));
    assert_eq!(Visibilities::MAX_PAYLOAD_LEN, 3);
}

/// The previous version of [`Migrating`].
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-mig", version = 1, encrypted)]
pub struct MigratingV1 {
    count: u8,
}

/// An encrypted session with a migration, under the same strict lints.
#[derive(CookieSession, Serialize, Deserialize, Default)]
#[session(name = "__Host-mig", version = 2, encrypted, migrate_from = MigratingV1)]
pub struct Migrating {
    count: u16,
}

impl From<MigratingV1> for Migrating {
    fn from(old: MigratingV1) -> Self {
        Migrating {
            count: u16::from(old.count),
        }
    }
}

#[test]
fn encrypted_and_migrating_sessions_compile_under_strict_lints() {
    assert_eq!(
        Migrating::MAX_COOKIE_LEN,
        session_runtime::wire::max_cookie_len(10, 3, session_runtime::wire::ENCRYPTED_OVERHEAD)
    );
    assert_eq!(Migrating::from(MigratingV1 { count: 3 }).count(), &3);
}
