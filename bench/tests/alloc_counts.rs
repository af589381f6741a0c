//! Pins the allocation counts quoted in BENCHMARKS.md: runs the `alloc_counts` binary
//! (its own process, so its counting global allocator sees nothing else) with `--check`.

#[test]
fn allocation_counts_match_benchmarks_md() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_alloc_counts"))
        .arg("--check")
        .output()
        .expect("run alloc_counts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("check: ok"),
        "alloc_counts --check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
