//! Every compile error DESIGN.md promises, pinned as trybuild snapshots.
//!
//! The `.stderr` files are tied to the toolchain pinned in `rust-toolchain.toml`;
//! regenerate with `TRYBUILD=overwrite cargo test -p session-tests --test ui`
//! after a deliberate toolchain bump, and review the diff.

#[test]
fn compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
