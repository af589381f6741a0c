#!/usr/bin/env bash
# The codec benchmark of BENCHMARKS.md, end to end:
#   1. criterion: our codec, the floor and every Rust peer, all shapes, one run; then
#      the breakdown of what our codec adds (benches/breakdown.rs), then our rows
#      against the floor in alternating batches (examples/paired.rs: ratios that a
#      burst of other work on the machine moves much less than criterion's medians);
#   2. Node cookie-session (skipped with a notice when node is not installed);
#   3. cookie sizes and heap allocations per operation;
#   4. bench/plot.py: the Markdown tables (stdout) and bench/codec.svg.
#
#   bench/run.sh                      # what BENCHMARKS.md quotes
#   bench/run.sh --measurement-time 1 # extra arguments go to criterion
#
# Two shared cores: run it when `uptime` shows the lowest load you can get.
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
criterion="$target_dir/criterion"

echo "== machine"
echo "nproc: $(nproc); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(rustc -V)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== criterion (cargo bench -p session-bench --bench codec)"
cargo bench -p session-bench --bench codec -- "$@"
echo "== breakdown (cargo bench -p session-bench --bench breakdown)"
cargo bench -p session-bench --bench breakdown -- "$@"

echo "== paired ratios (examples/paired.rs)"
mkdir -p "$criterion"
cargo run -q -p session-bench --profile bench --example paired -- --json >"$criterion/paired.json"
cat "$criterion/paired.json"

echo "== node cookie-session"
mkdir -p "$criterion"
bench/node/run.sh >"$criterion/node-cookie-session.json" || echo '{"skipped": "node run failed"}' >"$criterion/node-cookie-session.json"
head -c 300 "$criterion/node-cookie-session.json"; echo

echo "== cookie sizes and allocations"
cargo run -q -p session-bench --release --bin cookie_sizes -- --json >"$criterion/cookie-sizes.json"
cargo run -q -p session-bench --release --bin alloc_counts -- --check
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== tables"
python3 bench/plot.py --criterion "$criterion" --out bench/codec.svg
