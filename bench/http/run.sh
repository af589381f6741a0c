#!/usr/bin/env bash
# HTTP benchmark: the app of bench/src/web/ (bench/src/bin/http_app.rs serves it) in
# axum and in actix-web, each without a session, with the floor layer, with ours and
# with the framework's usual session crate, under wrk on 127.0.0.1.
#
#   bench/http/run.sh                                   # 5 rounds of 5 s per case (BENCHMARKS.md)
#   ROUNDS=9 DURATION=10s bench/http/run.sh             # longer
#   APPS="none floor hybrid ours" CONNECTIONS="8 32" bench/http/run.sh
#
# Headline figure: the server's CPU time per request. Before and after each wrk run the
# script reads the CPU time of all the server's threads from /proc/<pid>/task/*/schedstat
# (sum_exec_runtime, in ns; falls back to utime+stime of /proc/<pid>/stat, in
# sysconf(CLK_TCK) ticks, where schedstat is missing) and divides the difference by the
# requests wrk completed. Unlike requests/s and latency, it does not count the time the
# server waits for a core, so other work on this shared machine moves it much less. Both
# clocks are recorded; a run where they disagree by more than 3% + 2 ticks is flagged
# (a thread that exited between the two reads, or a broken schedstat).
#
# Each round starts every app in turn and measures every case, so slow drift in the
# machine's background load hits all apps alike; the table shows medians over rounds.
# "added" is the median over rounds of (the app's CPU per request − its framework's
# no-session app's, same case, same round), and "× floor" divides a layer's added CPU by
# the floor layer's. On this shared 2-vCPU machine a round's CPU per request still
# spreads by ±5–15% when other builds run (batching per wake-up changes with the
# load), as much as a layer adds: read the "all rounds" column, use more rounds, and
# for the layers' own costs prefer the in-process driver (examples/http_inproc.rs),
# which is free of the network path and of wrk.
#
# Cases: (a) /read  with a valid cookie: session loaded, unchanged, no Set-Cookie;
#        (b) /write with a valid cookie: session loaded, mutated, Set-Cookie every request.
# wrk does not keep cookies: every request carries the cookie /login returned, so in (b)
# every request loads the same session and writes counter + 1. The no-session apps get a
# cookie of the same length as the floor's and ours (which they ignore), so that parsing
# the request header is in the baseline and "added" is the layer's own work.
#
# Two cores: each server serves from one thread (axum: current-thread tokio runtime;
# actix-web: one worker), wrk runs one thread, with 8 connections (the server's core is
# saturated, so no request waits on wrk). Apps not run by default: `hybrid` and
# `actix-hybrid` (our codec in the floor's plumbing); see src/web/. Not run by CI. Needs
# wrk and curl (apt-get install -y wrk curl).
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-5}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-8}
APPS=${APPS:-none floor ours tower-sessions actix-none actix-floor actix-ours actix-session}
server_pin=()
client_pin=()
if [ "${PIN:-0}" = 1 ]; then server_pin=(taskset -c 1); client_pin=(taskset -c 0); fi

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y wrk curl python3)" >&2; exit 1; }
done

cargo build --release -q -p session-bench --bin http_app
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
app="$target_dir/release/http_app"
out=${OUT:-$target_dir/http-bench}
mkdir -p "$out"
results="$out/results.tsv"
clk_tck=$(getconf CLK_TCK)

# What a no-session app is sent: a 66-byte pair like the floor's and ours (an 11-byte
# name and a 55-character value for this app's 41-byte envelope).
none_cookie="__Host-app=$(printf 'A%.0s' $(seq 55))"

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

start_server() {
  # A new file per start: the previous server's "listening on" must never be read
  # before the new server's shell has truncated the file.
  local out
  out=$(mktemp -p "$work" server.XXXXXX)
  "${server_pin[@]}" "$app" "$1" >"$out" 2>&1 &
  server_pid=$!
  for _ in $(seq 200); do
    port=$(awk '/listening on/ {print $3}' "$out")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "server $1 did not start:" >&2; cat "$out" >&2; exit 1
}

stop_server() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
}

# CPU time of all the server's threads, in ns ("-" without schedstat).
cpu_ns() {
  local total=0 ns rest f
  for f in /proc/"$server_pid"/task/*/schedstat; do
    [ -r "$f" ] || { echo -; return; }
    read -r ns rest <"$f" || { echo -; return; }
    total=$((total + ns))
  done
  echo "$total"
}

# utime + stime of the whole process (all threads, live or exited), in clock ticks.
# The command name (field 2) has no spaces here, so fields split plainly.
cpu_ticks() {
  awk '{print $14 + $15}' /proc/"$server_pid"/stat
}

# One measured wrk run; appends a row to $results.
measure() {
  local mode=$1 case=$2 path=$3 cookie=$4 connections=$5 round=$6
  local args=(-t1 -c"$connections" --latency -H "Cookie: $cookie")
  "${client_pin[@]}" wrk "${args[@]}" -d"$WARMUP" "http://127.0.0.1:$port$path" >/dev/null
  local ns0 ticks0 ns1 ticks1
  ns0=$(cpu_ns); ticks0=$(cpu_ticks)
  "${client_pin[@]}" wrk "${args[@]}" -d"$DURATION" "http://127.0.0.1:$port$path" >"$work/wrk.out"
  ns1=$(cpu_ns); ticks1=$(cpu_ticks)
  local cpu=-
  [ "$ns0" != - ] && [ "$ns1" != - ] && cpu=$((ns1 - ns0))
  python3 - "$work/wrk.out" "$mode" "$case" "$connections" "$round" "$cpu" "$((ticks1 - ticks0))" \
    "$clk_tck" "$(cut -d' ' -f1 /proc/loadavg)" >>"$results" <<'PY'
import re, sys
path, mode, case, conns, rnd, cpu_ns, ticks, clk_tck, load = sys.argv[1:]
text = open(path).read()
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if errors:
    sys.exit(f"{mode}: wrk saw {errors.group(1)} error responses")
requests = int(re.search(r"(\d+) requests in", text).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
lat = dict((p, ms(v, u)) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M))
tick_ns = int(ticks) * 1e9 / int(clk_tck)
if cpu_ns == "-":
    cpu_ns, source = tick_ns, "ticks"
else:
    cpu_ns, source = float(cpu_ns), "schedstat"
    if abs(cpu_ns - tick_ns) > 0.03 * cpu_ns + 2e9 / int(clk_tck):
        print(f"warning: {mode} {case} round {rnd}: schedstat {cpu_ns / 1e6:.0f} ms, "
              f"stat {tick_ns / 1e6:.0f} ms", file=sys.stderr)
print("\t".join([mode, case, conns, rnd, str(requests), f"{cpu_ns:.0f}", ticks, source,
                 f"{rps:.0f}", f"{lat['50']:.3f}", f"{lat['99']:.3f}", load]))
PY
}

printf 'mode\tcase\tconnections\tround\trequests\tcpu_ns\tticks\tsource\trps\tp50_ms\tp99_ms\tload1\n' >"$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
  for mode in $APPS; do
    start_server "$mode"
    body_check="$work/body"
    if [[ $mode == none || $mode == actix-none ]]; then
      cookie=$none_cookie
    else
      cookie=$(curl -sSi "http://127.0.0.1:$port/login" | tr -d '\r' \
        | awk -F': ' 'tolower($1) == "set-cookie" {print $2}' | cut -d';' -f1 | head -1)
      [ -n "$cookie" ] || { echo "$mode: /login set no cookie" >&2; exit 1; }
    fi
    # Sanity: the session is really loaded (the body names the user); (a) sends no
    # cookie, (b) sends one (tower-sessions' in-memory store: the session id).
    curl -sSi -H "Cookie: $cookie" "http://127.0.0.1:$port/read" | tr -d '\r' >"$body_check"
    grep -q '"ada"' "$body_check" || { echo "$mode: /read did not see the session" >&2; exit 1; }
    if grep -qi '^set-cookie:' "$body_check"; then echo "$mode: /read sent a cookie" >&2; exit 1; fi
    curl -sSi -H "Cookie: $cookie" "http://127.0.0.1:$port/write" | tr -d '\r' >"$body_check"
    grep -q 'counter 1,' "$body_check" || { echo "$mode: /write did not count" >&2; exit 1; }
    if [[ $mode != none && $mode != actix-none ]] && ! grep -qi '^set-cookie:' "$body_check"; then
      echo "$mode: /write sent no cookie" >&2; exit 1
    fi
    for c in $CONNECTIONS; do
      measure "$mode" a /read "$cookie" "$c" "$round"
      measure "$mode" b /write "$cookie" "$c" "$round"
    done
    stop_server
  done
  echo "round $round/$ROUNDS done (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$results" "$DURATION" "$WARMUP" "$ROUNDS" "$load_before" "$load_after" <<'PY' | tee "$out/table.md"
import statistics, sys
from collections import defaultdict

path, duration, warmup, rounds, load_before, load_after = sys.argv[1:]
rows = [line.rstrip("\n").split("\t") for line in open(path)][1:]
data = defaultdict(dict)  # (mode, case, connections) -> round -> measurements
loads = []
for mode, case, conns, rnd, requests, cpu_ns, ticks, source, rps, p50, p99, load in rows:
    data[mode, case, int(conns)][int(rnd)] = dict(
        cpu=float(cpu_ns) / int(requests) / 1000, rps=float(rps),
        p50=float(p50), p99=float(p99), source=source)
    loads.append(float(load))

FRAMEWORKS = [
    ("axum", ["none", "floor", "hybrid", "ours", "tower-sessions"]),
    ("actix-web", ["actix-none", "actix-floor", "actix-hybrid", "actix-ours", "actix-session"]),
]
CASES = {"a": "(a) /read", "b": "(b) /write"}
med = lambda runs, key: statistics.median(r[key] for r in runs.values())

def added(app, base):
    """Median over rounds of app − base, rounds both ran."""
    both = sorted(set(app) & set(base))
    return statistics.median(app[r]["cpu"] - base[r]["cpu"] for r in both) if both else None

sources = sorted({r["source"] for runs in data.values() for r in runs.values()})
print(f"wrk -t1 -d{duration} after {warmup} of warm-up, {rounds} rounds; server CPU time from "
      f"{' and '.join(sources)}; load average {load_before} before, {load_after} after "
      f"(1-min {min(loads):.2f}–{max(loads):.2f} during the runs)")
print()
print("| framework | conns | case | app | CPU µs/request | added µs | added × floor's "
      "| CPU µs/request, each round | requests/s | p50 ms | p99 ms |")
print("|---|---:|---|---|---:|---:|---:|---|---:|---:|---:|")
summary = []
for framework, apps in FRAMEWORKS:
    base, floor_app = apps[0], apps[1]
    for conns in sorted({k[2] for k in data}):
        for case in CASES:
            if (base, case, conns) not in data:
                continue
            base_runs = data[base, case, conns]
            floor_added = None
            if (floor_app, case, conns) in data:
                floor_added = added(data[floor_app, case, conns], base_runs)
            for mode in apps:
                runs = data.get((mode, case, conns))
                if not runs:
                    continue
                added_s = ratio_s = ""
                if mode != base:
                    extra = added(runs, base_runs)
                    added_s = f"{extra:+.2f}"
                    if floor_added and floor_added > 0:
                        ratio_s = f"{extra / floor_added:.2f}×"
                        if mode.endswith("ours"):
                            summary.append(f"{framework}, {CASES[case]}, {conns} connections: ours adds "
                                           f"{extra:.2f} µs per request, the floor {floor_added:.2f} µs: "
                                           f"**{extra / floor_added:.2f}×**")
                    elif mode != floor_app:
                        ratio_s = "– (floor ≤ 0)"
                label = f"**{mode}**" if mode.endswith("ours") else mode
                each = " · ".join(f"{runs[r]['cpu']:.2f}" for r in sorted(runs))
                print(f"| {framework} | {conns} | {CASES[case]} | {label} | {med(runs, 'cpu'):.2f} "
                      f"| {added_s} | {ratio_s} | {each} | {med(runs, 'rps'):,.0f} "
                      f"| {med(runs, 'p50'):.3f} | {med(runs, 'p99'):.3f} |")
print()
for line in summary:
    print(f"- {line}")
PY
echo "raw rows: $results" >&2
