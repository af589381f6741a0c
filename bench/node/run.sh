#!/usr/bin/env bash
# Runs the Node cookie-session peer benchmark, or skips cleanly (exit 0) when Node is
# not installed: the Node numbers are an optional comparison, never a build requirement.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null 2>&1; then
  echo '{"skipped": "node is not installed"}'
  exit 0
fi
if [ ! -d node_modules ]; then
  # Exact versions from package-lock.json.
  npm ci --no-audit --no-fund >&2
fi
exec node cookie_session_bench.js "$@"
