#!/usr/bin/env python3
"""Tables and chart for BENCHMARKS.md from one criterion run of `benches/codec.rs`.

Reads:
  <criterion>/{encode,decode}_{small,medium,large}/<codec>/new/estimates.json  (medians)
  <criterion>/cookie-sizes.json     (`cargo run --bin cookie_sizes -- --json`, optional)
  <criterion>/node-cookie-session.json  (`bench/node/run.sh`, optional)
Writes the Markdown tables to stdout and the chart to bench/codec.svg (or --out).

  python3 bench/plot.py [--criterion target/criterion] [--out bench/codec.svg]

Needs matplotlib (`pip install matplotlib`) for the chart; the tables need nothing.
"""

import argparse
import json
import os
import sys

SHAPES = ["small", "medium", "large"]
OPS = ["encode", "decode"]
# Display order; rows missing from a run are skipped.
CODECS = [
    "floor",
    "floor-http",
    "ours",
    "ours-string",
    "ours-raw",
    "ours-changed",
    "ours-value",
    "ours-encrypted",
    "ours-encrypted-raw",
    "actix-session-signed",
    "actix-session-private",
    "axum-extra-signed",
    "tower-sessions-cookie-store",
]
PEERS = [
    "actix-session-signed",
    "actix-session-private",
    "axum-extra-signed",
    "tower-sessions-cookie-store",
]
NODE = {
    "cookie-session-sha1-default": "node cookie-session (sha1)",
    "cookie-session-sha256": "node cookie-session (sha256)",
}


def load_medians(root):
    medians = {}
    for op in OPS:
        for shape in SHAPES:
            group = os.path.join(root, f"{op}_{shape}")
            if not os.path.isdir(group):
                continue
            for codec in os.listdir(group):
                path = os.path.join(group, codec, "new", "estimates.json")
                if os.path.exists(path):
                    with open(path) as f:
                        medians[(op, shape, codec)] = json.load(f)["median"]["point_estimate"]
    return medians


def load_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def fmt_ns(ns):
    return f"{ns:,.0f}"


def time_table(medians, op):
    lines = [
        f"| {op} | " + " | ".join(f"{s} ns | × floor" for s in SHAPES) + " |",
        "|---|" + "---:|---:|" * len(SHAPES),
    ]
    for codec in CODECS:
        cells = []
        for shape in SHAPES:
            ns = medians.get((op, shape, codec))
            floor = medians.get((op, shape, "floor"))
            if ns is None:
                cells += ["", ""]
            else:
                cells += [fmt_ns(ns), f"{ns / floor:.2f}" if floor else ""]
        if any(cells):
            lines.append(f"| {codec} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def peer_ratio_table(medians, node):
    """How many times longer each peer takes than `ours` (set_cookie / load)."""
    lines = [
        "| peer ÷ ours | " + " | ".join(f"{op} {s}" for op in OPS for s in SHAPES) + " |",
        "|---|" + "---:|" * (len(OPS) * len(SHAPES)),
    ]
    rows = [(p, lambda op, s, p=p: medians.get((op, s, p))) for p in PEERS]
    if node and "results" in node:
        for variant, label in NODE.items():
            by = {(r["op"], r["shape"]): r["median_ns"] for r in node["results"] if r["variant"] == variant}
            if by:
                rows.append((label, lambda op, s, by=by: by.get((op, s))))
    for label, get in rows:
        cells = []
        for op in OPS:
            for shape in SHAPES:
                ours, peer = medians.get((op, shape, "ours")), get(op, shape)
                cells.append(f"{peer / ours:.1f}×" if ours and peer else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def node_table(node):
    if not node or "results" not in node:
        return None
    lines = [
        f"Node {node['node']}, " + ", ".join(f"{k} {v}" for k, v in node["packages"].items()) + " (median ns):",
        "",
        "| variant | op | small | medium | large |",
        "|---|---|---:|---:|---:|",
    ]
    for variant, label in NODE.items():
        for op in ["encode", "decode", "decode_then_headers"]:
            by = {r["shape"]: r["median_ns"] for r in node["results"] if r["variant"] == variant and r["op"] == op}
            if by:
                lines.append(f"| {label} | {op} | " + " | ".join(fmt_ns(by[s]) for s in SHAPES) + " |")
    return "\n".join(lines)


def size_table(sizes, node):
    if not sizes:
        return None
    by = {(s["codec"], s["shape"]): s["name_value"] for s in sizes}
    codecs = [c for c in ["floor", "ours", "ours-encrypted"] + PEERS if (c, "small") in by]
    lines = [
        "| cookie name=value bytes | " + " | ".join(f"{s} | ours ÷ this" for s in SHAPES) + " |",
        "|---|" + "---:|---:|" * len(SHAPES),
    ]
    for codec in codecs:
        cells = []
        for shape in SHAPES:
            n = by[(codec, shape)]
            cells += [str(n), f"{by[('ours', shape)] / n:.2f}"]
        lines.append(f"| {codec} | " + " | ".join(cells) + " |")
    if node and "sizes" in node:
        for variant, label in NODE.items():
            got = {s["shape"]: s for s in node["sizes"] if s["variant"] == variant}
            if len(got) == len(SHAPES):
                cells = []
                for shape in SHAPES:
                    # cookie-session sends two cookies (session + session.sig); count both.
                    n = got[shape].get("total_name_value", 0)
                    cells += [str(n) if n else "?", f"{by[('ours', shape)] / n:.2f}" if n else ""]
                lines.append(f"| {label} (both cookies) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def breakdown_table(root):
    """Medians of benches/breakdown.rs, if it ran."""

    def median(*parts):
        path = os.path.join(root, *parts, "new", "estimates.json")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]

    lines = ["| piece | small | medium | large |", "|---|---:|---:|---:|"]
    rows = [
        ("HMAC, floor input (payload)", "mac_{}", "floor"),
        ("HMAC, our input (header ‖ payload after the pre-hashed prefix block)", "mac_{}", "ours"),
        ("HeaderValue from a String, exact capacity", "header-value_{}", "exact-capacity"),
        ("HeaderValue from a String, capacity + 4", "header-value_{}", "capacity+4"),
    ]
    found = False
    for label, group, fn in rows:
        cells = [median(group.format(s), fn) for s in SHAPES]
        found |= any(cells)
        lines.append(f"| {label} | " + " | ".join(fmt_ns(c) if c else "" for c in cells) + " |")
    for label, fn in [
        ("clock read, `SystemTime::now()` → ms", "std-systemtime"),
        ("clock read, `SystemClock` (coarse) → ms", "session-runtime-systemclock"),
    ]:
        clock = median("clock", fn)
        if clock:
            lines.append(f"| {label} | {fmt_ns(clock)} | {fmt_ns(clock)} | {fmt_ns(clock)} |")
    return "\n".join(lines) if found else None


def chart(medians, sizes, node, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Text stays text and ids are stable, so a regenerated SVG diffs cleanly.
    matplotlib.rcParams["svg.fonttype"] = "none"
    matplotlib.rcParams["svg.hashsalt"] = "session-bench"
    medians = dict(medians)
    if node and "results" in node:
        for r in node["results"]:
            if r["variant"] == "cookie-session-sha256" and r["op"] in OPS:
                medians[(r["op"], r["shape"], "node-cookie-session")] = r["median_ns"]

    shown = [
        c
        for c in CODECS
        if c not in ("floor-http", "ours-value", "ours-string", "ours-raw", "ours-encrypted-raw")
    ] + ["node-cookie-session"]
    colors = {
        "floor": "#7f7f7f",
        "ours": "#1f77b4",
        "ours-changed": "#6baed6",
        "ours-encrypted": "#9ecae1",
        "actix-session-signed": "#d62728",
        "actix-session-private": "#ff9896",
        "axum-extra-signed": "#ff7f0e",
        "tower-sessions-cookie-store": "#9467bd",
        "node-cookie-session": "#2ca02c",
    }
    rows = 3 if sizes else 2
    fig, axes = plt.subplots(rows, 3, figsize=(15, 4.2 * rows))
    for r, op in enumerate(OPS):
        for c, shape in enumerate(SHAPES):
            ax = axes[r][c]
            codecs = [k for k in shown if (op, shape, k) in medians]
            values = [medians[(op, shape, k)] for k in codecs]
            floor = medians.get((op, shape, "floor"))
            bars = ax.barh(range(len(codecs)), values, color=[colors.get(k, "#333") for k in codecs])
            ax.set_yticks(range(len(codecs)), codecs, fontsize=8)
            ax.invert_yaxis()
            ax.set_xscale("log")
            ax.set_title(f"{op} / {shape}: median ns (log)", fontsize=10)
            for bar, v in zip(bars, values):
                label = f"{v:,.0f} ns" + (f"  ({v / floor:.2f}× floor)" if floor else "")
                ax.text(v * 1.05, bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=7)
            ax.set_xlim(min(values) / 1.5, max(values) * 12)
    if sizes:
        by = {(s["codec"], s["shape"]): s["name_value"] for s in sizes}
        codecs = [k for k in ["floor", "ours", "ours-encrypted"] + PEERS if (k, "small") in by]
        for c, shape in enumerate(SHAPES):
            ax = axes[2][c]
            values = [by[(k, shape)] for k in codecs]
            bars = ax.barh(range(len(codecs)), values, color=[colors.get(k, "#333") for k in codecs])
            ax.set_yticks(range(len(codecs)), codecs, fontsize=8)
            ax.invert_yaxis()
            ax.set_title(f"cookie size / {shape}: name=value bytes", fontsize=10)
            for bar, v in zip(bars, values):
                ax.text(v + max(values) * 0.01, bar.get_y() + bar.get_height() / 2, str(v), va="center", fontsize=7)
            ax.set_xlim(0, max(values) * 1.15)
    fig.suptitle(
        "session-runtime vs the floor and peer cookie-session codecs (Rust: one criterion run; "
        "node-cookie-session: HMAC-SHA256, bench/node, same script run)",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(out, format=os.path.splitext(out)[1][1:] or "svg", metadata={"Date": None} if out.endswith(".svg") else None)
    print(f"\n(chart written to {out})", file=sys.stderr)


def paired_table(paired):
    """Paired-batch ratios of examples/paired.rs, if it ran."""
    if not paired or "results" not in paired:
        return None
    lines = [
        "| paired ratio to the floor | small | medium | large |",
        "|---|---:|---:|---:|",
    ]
    by_shape = {r["shape"]: r for r in paired["results"]}
    rows = [
        ("encode, `set_cookie_string` (floor's output type)", "string"),
        ("encode, `set_cookie` (`HeaderValue`)", "header"),
        ("decode, `load_cookies` (floor's input type)", "raw"),
        ("decode, `load` (`HeaderMap`)", "map"),
        ("encode, `set_cookie` ÷ the floor through `http` (`HeaderValue`)", "header_http"),
        ("decode, `load` ÷ the floor through `http` (`HeaderMap`)", "map_http"),
    ]
    for label, key in rows:
        if not any(key in r for r in by_shape.values()):
            continue  # a paired.json from before the row existed
        cells = [f"{by_shape[s][key]:.2f}×" if s in by_shape else "" for s in SHAPES]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    floors = [
        ("floor encode, median of batch means (ns)", "encode_floor_ns"),
        ("floor decode, median of batch means (ns)", "decode_floor_ns"),
        ("floor-http encode, median of batch means (ns)", "encode_floor_http_ns"),
        ("floor-http decode, median of batch means (ns)", "decode_floor_http_ns"),
    ]
    for label, key in floors:
        if not any(key in r for r in by_shape.values()):
            continue
        cells = [f"{by_shape[s][key]:,.0f}" if s in by_shape else "" for s in SHAPES]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--criterion", default=os.path.join(here, "..", "target", "criterion"))
    parser.add_argument("--out", default=os.path.join(here, "codec.svg"))
    parser.add_argument("--no-chart", action="store_true")
    args = parser.parse_args()

    medians = load_medians(args.criterion)
    if not medians:
        sys.exit(f"no criterion results under {args.criterion}; run `cargo bench -p session-bench --bench codec`")
    sizes = load_json(os.path.join(args.criterion, "cookie-sizes.json"))
    node = load_json(os.path.join(args.criterion, "node-cookie-session.json"))
    if node and "skipped" in node:
        print(f"note: Node skipped: {node['skipped']}\n")
        node = None

    for op in OPS:
        print(f"### {op}: median ns, and ratio to the floor\n")
        print(time_table(medians, op))
        print()
    print("### How many times longer each peer takes than ours\n")
    print(peer_ratio_table(medians, node))
    print()
    table = node_table(node)
    if table:
        print("### Node cookie-session\n")
        print(table)
        print()
    table = size_table(sizes, node)
    if table:
        print("### Cookie size\n")
        print(table)
        print()
    table = paired_table(load_json(os.path.join(args.criterion, "paired.json")))
    if table:
        rounds = load_json(os.path.join(args.criterion, "paired.json"))
        print(f"### Paired ratios (examples/paired.rs, {rounds['rounds']} rounds of {rounds['batch']}-operation batches)\n")
        print(table)
        print()
    table = breakdown_table(args.criterion)
    if table:
        print("### Breakdown (benches/breakdown.rs, median ns)\n")
        print(table)
        print()
    if not args.no_chart:
        chart(medians, sizes, node, args.out)


if __name__ == "__main__":
    main()
