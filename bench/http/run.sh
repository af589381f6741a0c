#!/usr/bin/env bash
# HTTP benchmark: the axum app of bench/src/bin/http_app.rs without a session, with
# session-runtime's layer, and with tower-sessions' MemoryStore, under wrk on 127.0.0.1.
#
#   bench/http/run.sh                       # 3 rounds of 10 s per case (BENCHMARKS.md)
#   ROUNDS=1 DURATION=3s bench/http/run.sh  # quicker
#
# Each round starts every app in turn and measures every case, so slow drift in the
# machine's background load hits all apps alike; the table shows the median round.
#
# Cases: (a) /read  with a valid cookie: session loaded, unchanged, no Set-Cookie;
#        (b) /write with a valid cookie: session loaded, mutated, Set-Cookie every request.
# wrk does not keep cookies: every request carries the cookie /login returned, so in
# (b) every request loads the same session and writes counter + 1.
#
# Two cores: the server runs a current-thread tokio runtime (one core), wrk one thread
# (the other core). Each case runs with 2 connections (latency-bound: one request in
# flight per connection, what the issue asks for) and with 32 (the server core is
# saturated, so per-request CPU cost shows in requests/s). Pinning server and wrk to
# separate CPUs with taskset (PIN=1) was measured 3x slower on this 2-vCPU VM
# (cross-CPU wake-ups), so the scheduler places them by default.
# Not run by CI. Needs wrk (apt-get install -y wrk) and curl.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-2 32}
server_pin=()
client_pin=()
if [ "${PIN:-0}" = 1 ]; then server_pin=(taskset -c 1); client_pin=(taskset -c 0); fi

for tool in wrk curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y wrk curl)" >&2; exit 1; }
done

cargo build --release -q -p session-bench --bin http_app
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
app="$target_dir/release/http_app"

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

start_server() {
  "${server_pin[@]}" "$app" "$1" >"$work/server.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    port=$(awk '/listening on/ {print $3}' "$work/server.out")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "server $1 did not start:" >&2; cat "$work/server.out" >&2; exit 1
}

stop_server() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
}

# Prints "requests/s p50 p99" for one wrk run.
measure() {
  local path=$1 cookie=$2 connections=$3
  local args=(-t1 -c"$connections" --latency)
  [ -n "$cookie" ] && args+=(-H "Cookie: $cookie")
  "${client_pin[@]}" wrk "${args[@]}" -d"$WARMUP" "http://127.0.0.1:$port$path" >/dev/null
  "${client_pin[@]}" wrk "${args[@]}" -d"$DURATION" "http://127.0.0.1:$port$path" >"$work/wrk.out"
  python3 - "$work/wrk.out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
lat = dict((p, ms(v, u)) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if errors:
    sys.exit(f"wrk saw {errors.group(1)} error responses")
print(f"{rps:.0f} {lat['50']:.3f} {lat['99']:.3f}")
PY
}

declare -A result
for round in $(seq "$ROUNDS"); do
for mode in none ours tower-sessions; do
  start_server "$mode"
  cookie=$(curl -sSi "http://127.0.0.1:$port/login" | tr -d '\r' \
    | awk -F': ' 'tolower($1) == "set-cookie" {print $2}' | cut -d';' -f1 | head -1)
  if [ "$mode" != none ] && [ -z "$cookie" ]; then echo "$mode: /login set no cookie" >&2; exit 1; fi
  # Sanity: the session is really loaded (the body names the user) and (a) sends no cookie.
  curl -sS -H "Cookie: $cookie" "http://127.0.0.1:$port/read" | grep -q '"ada"' \
    || { echo "$mode: /read did not see the session" >&2; exit 1; }
  for c in $CONNECTIONS; do
    result[$mode,a,$c]+="$(measure /read "$cookie" "$c");"
    result[$mode,b,$c]+="$(measure /write "$cookie" "$c");"
  done
  stop_server
done
echo "round $round/$ROUNDS done (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
done

# "rps p50 p99;" per round -> the round with the median requests/s.
median() {
  python3 -c '
import sys
rounds = [r.split() for r in sys.argv[1].split(";") if r.strip()]
rounds.sort(key=lambda r: float(r[0]))
print(" ".join(rounds[len(rounds) // 2]), " ".join(r[0] for r in rounds))' "$1"
}

echo
echo "wrk -t1 -d$DURATION (after $WARMUP warm-up), median of $ROUNDS rounds; server: current-thread tokio runtime; PIN=${PIN:-0}"
echo
echo "| connections | case | app | requests/s (median round) | vs no session | p50 ms | p99 ms | all rounds, requests/s |"
echo "|---:|---|---|---:|---:|---:|---:|---|"
for c in $CONNECTIONS; do
  for case in a b; do
    read -r base _ _ _ <<<"$(median "${result[none,$case,$c]}")"
    for mode in none ours tower-sessions; do
      read -r rps p50 p99 all <<<"$(median "${result[$mode,$case,$c]}")"
      label=$([ "$case" = a ] && echo "(a) /read, unchanged" || echo "(b) /write, mutated")
      ratio=$(python3 -c "print(f'{$rps / $base:.2f}×')")
      echo "| $c | $label | $mode | $rps | $ratio | $p50 | $p99 | ${all// / · } |"
    done
  done
done
