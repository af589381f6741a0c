//! Every compile error the derive promises (README.md,
//! docs/serde-attributes.md), pinned as trybuild snapshots in `tests/ui/*.rs` +
//! `.stderr`.
//!
//! The `.stderr` files are tied to the toolchain pinned in `rust-toolchain.toml`;
//! regenerate with `TRYBUILD=overwrite cargo test -p session-ui-tests` after a
//! deliberate toolchain bump, and review the diff.

#[test]
fn compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("*.rs");
}
