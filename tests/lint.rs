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

/// Every source file over 450 lines in the library crates is listed, with
/// its reason, in docs/architecture.md's "Files over 450 lines, and why"
/// table (the repo's rule: small modules with one job, a long file says
/// why), and every file the table lists exists. A `session-runtime` file is
/// named by its path under `session-runtime/src`, as the table's rows do; a
/// file of another crate by its path from the workspace root.
#[test]
fn every_file_over_450_lines_is_listed_in_the_architecture_doc() {
    use std::path::{Path, PathBuf};

    const MAX_LINES: usize = 450;
    const HEADING: &str = "## Files over 450 lines, and why";

    fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).unwrap();
    let table = doc
        .split_once(HEADING)
        .unwrap_or_else(|| panic!("docs/architecture.md has no {HEADING:?} section"))
        .1;
    // The rows: `| `file` | lines | why |`, after the header and its rule.
    let listed: Vec<&str> = table
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .map(|row| {
            let cell = row.split('|').nth(1).unwrap_or_default().trim();
            cell.trim_matches('`')
        })
        .collect();
    assert!(!listed.is_empty(), "no rows under {HEADING:?}");

    let mut unlisted = Vec::new();
    for krate in ["session-runtime", "session-derive", "session-cookie-rules"] {
        let src = root.join(krate).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            if lines <= MAX_LINES {
                continue;
            }
            let under_src = file.strip_prefix(&src).unwrap().to_str().unwrap();
            let from_root = format!("{krate}/src/{under_src}");
            let named = listed.contains(&from_root.as_str())
                || (krate == "session-runtime" && listed.contains(&under_src));
            if !named {
                unlisted.push(format!("{from_root} ({lines} lines)"));
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "over {MAX_LINES} lines but not in docs/architecture.md's {HEADING:?} table: {unlisted:?}"
    );
    for name in listed {
        let exists =
            root.join(name).is_file() || root.join("session-runtime/src").join(name).is_file();
        assert!(
            exists,
            "docs/architecture.md lists {name:?}, which does not exist"
        );
    }
}
