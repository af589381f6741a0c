#!/usr/bin/env bash
# Every feature of session-runtime on its own, and the combinations that
# matter, build warning-free (clippy -D warnings, lib and tests): the
# equivalent of `cargo hack --each-feature`, without installing it. The
# feature list comes from `cargo metadata`, so a new feature is checked
# without editing this file.
#
#   .ci/features.sh
set -euo pipefail
cd "$(dirname "$0")/.."

features=$(cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
meta = json.load(sys.stdin)
pkg = next(p for p in meta["packages"] if p["name"] == "session-runtime")
print(" ".join(sorted(f for f in pkg["features"] if f != "default")))
')

check() {
  echo "--> session-runtime $*"
  cargo clippy -q -p session-runtime --lib --tests "$@" -- -D warnings
}

check --no-default-features
for feature in $features; do
  check --no-default-features --features "$feature"
done
# The combinations that matter: the defaults, each framework with the
# defaults, and everything.
check
check --features axum
check --features actix
check --all-features
