#!/usr/bin/env bash
# Fuzz smoke test (docs/adversarial.md): builds every cargo-fuzz
# target in fuzz/ and runs each for a short bounded time, from the committed
# seed corpus. Any crash, panic, sanitizer report or runtime/reference
# disagreement fails the script and leaves the input in fuzz/artifacts/<target>/.
#
#   .ci/fuzz-smoke.sh            # 60 s in total, split evenly across targets
#   .ci/fuzz-smoke.sh 240        # another total budget, in seconds
#
# Needs a nightly toolchain (installed with rustup if missing) and cargo-fuzz
# (installed with `cargo install` if missing). Set CARGO_TARGET_DIR to share a
# build directory; new corpus entries go to a temporary directory, never into
# the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

total=${1:-${FUZZ_SMOKE_SECONDS:-60}}
toolchain=${FUZZ_TOOLCHAIN:-nightly}
export CARGO_TERM_COLOR=never

step() { printf '\n==> %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "toolchain $toolchain and cargo-fuzz"
if ! cargo "+$toolchain" --version >/dev/null 2>&1; then
    rustup toolchain install "$toolchain" --profile minimal
fi
cargo "+$toolchain" --version
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

targets=$(cargo "+$toolchain" fuzz list --fuzz-dir fuzz)
count=$(echo "$targets" | wc -w)
per=$((total / count))
if [ "$per" -lt 1 ]; then per=1; fi

step "build $count targets"
cargo "+$toolchain" fuzz build --fuzz-dir fuzz

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=0
for target in $targets; do
    step "run $target for ${per}s"
    mkdir -p "$scratch/$target"
    log="$scratch/$target.log"
    # Runs in-process (no -jobs): one core, output straight to the log.
    if cargo "+$toolchain" fuzz run --fuzz-dir fuzz "$target" \
        "$scratch/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$per" -max_len=8192 -print_final_stats=1 >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        echo "$target: ok, $runs executions, $rate exec/s"
    else
        failed=1
        echo "$target: FAILED; last lines of the log:"
        tail -n 60 "$log"
        ls -l "fuzz/artifacts/$target" 2>/dev/null || true
    fi
done

step "done"
exit "$failed"
