#!/usr/bin/env bash
# Benchmarks renkei-edi's EDIFACT and X12 readers (parsing + validation +
# mapping to canonical documents) against pydifact (Python, EDIFACT) and the
# npm packages `edifact` and `node-x12` (syntax only), on the same generated
# interchanges of 10,000 orders of 5-50 lines, and prints one table.
#
#   bench/run.sh                     everything, pinned to CPU 1 when taskset exists
#   REPS=7 PY_REPS=3 bench/run.sh    more repetitions (defaults: 5, 1, NODE_REPS 3)
#   BENCH_DATA=/tmp/x bench/run.sh   where the interchanges are written
set -euo pipefail

BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/target-bench}"
DATA="${BENCH_DATA:-${TMPDIR:-/tmp}/renkei-edi-bench}"
REPS="${REPS:-5}"
PY_REPS="${PY_REPS:-1}"
NODE_REPS="${NODE_REPS:-3}"
CPU="${BENCH_CPU:-1}"
OUT="$DATA/results"

PIN=()
if command -v taskset >/dev/null && [ "$(nproc)" -gt "$CPU" ]; then
  PIN=(taskset -c "$CPU")
  echo "pinned to CPU $CPU with taskset (one core)"
else
  echo "taskset not available or too few CPUs: not pinned"
fi

# Tools for the comparisons, installed once into bench/.
if [ ! -x "$BENCH/.venv/bin/python" ] || ! "$BENCH/.venv/bin/python" -c 'import pydifact' 2>/dev/null; then
  python3 -m venv "$BENCH/.venv"
  "$BENCH/.venv/bin/pip" install --quiet 'pydifact==0.2.3'
fi
if [ ! -d "$BENCH/node_modules/edifact" ] || [ ! -d "$BENCH/node_modules/node-x12" ]; then
  (cd "$BENCH" && npm ci --no-audit --no-fund --silent)
fi

echo "building (release) ..."
(cd "$ROOT" && cargo build --quiet --release -p renkei-edi --example bench_parse)
BIN="$CARGO_TARGET_DIR/release/examples/bench_parse"

mkdir -p "$DATA" "$OUT"
"$BIN" gen "$DATA" 1000 10000

echo "renkei-edi (Rust) ..."
"${PIN[@]}" "$BIN" run "$DATA" "$REPS" | tee "$OUT/rust.txt"
echo "pydifact (Python) ..."
"${PIN[@]}" "$BENCH/.venv/bin/python" -W ignore "$BENCH/pydifact_bench.py" "$DATA/edifact-10000.edi" "$PY_REPS" | tee "$OUT/python.txt"
echo "edifact (Node) ..."
"${PIN[@]}" node "$BENCH/node_bench.js" edifact "$DATA/edifact-10000.edi" "$NODE_REPS" | tee "$OUT/node-edifact.txt"
echo "node-x12 (Node) ..."
"${PIN[@]}" node "$BENCH/node_bench.js" x12 "$DATA/x12-10000.edi" "$NODE_REPS" | tee "$OUT/node-x12.txt"

echo
echo "== EDI parsing, 10,000 orders of 5-50 lines; MB = 10^6 bytes; MB/s: median of the passes, best: the fastest pass; $(date -u +%F) =="
cat "$OUT"/rust.txt "$OUT"/python.txt "$OUT"/node-edifact.txt "$OUT"/node-x12.txt | awk '
  /^RESULT / {
    n = NF; docs = $n; mbps = $(n - 1); name = $2; for (i = 3; i < n - 1; i++) name = name " " $i
    mb[name] = mbps; ds[name] = docs; order[++k] = name
  }
  /^BEST / {
    n = NF; bname = $2; for (i = 3; i < n; i++) bname = bname " " $i
    best[bname] = $n
  }
  /^MEMORY / {
    n = NF; mname = $2; for (i = 3; i < n - 2; i++) mname = mname " " $i
    mem[mname] = $(n - 1); memin[mname] = $(n - 2); morder[++m] = mname
  }
  END {
    printf "%-40s %-8s %-32s %8s %8s %10s  %s\n", "reader", "format", "does", "MB/s", "best", "msgs/s", "Renkei decoder / this"
    for (j = 1; j <= k; j++) {
      name = order[j]
      if (name ~ /^edifact/ || name == "pydifact" || name == "node-edifact") fmt = "EDIFACT"; else fmt = "X12"
      if (name ~ /^(edifact|x12) /) { who = "renkei-edi " name; does = "parse+validate+map" }
      else { who = name; does = "syntax only (segments)" }
      if (name ~ /rules/) does = "parse+validate+map+rules"
      base = (fmt == "EDIFACT") ? mb["edifact decoder"] : mb["x12 decoder"]
      ratio = (mb[name] > 0) ? sprintf("%.2fx", base / mb[name]) : "-"
      printf "%-40s %-8s %-32s %8.2f %8s %10d  %s\n", who, fmt, does, mb[name], (name in best) ? sprintf("%.2f", best[name]) : "-", ds[name], ratio
    }
    printf "\nmemory (peak RSS above the loaded input, fresh process each):\n"
    printf "%-40s %14s %10s\n", "reader", "input bytes", "peak MB"
    for (j = 1; j <= m; j++) printf "%-40s %14d %10.2f\n", "renkei-edi " morder[j], memin[morder[j]], mem[morder[j]] / 1e6
    t = 200
    printf "\ntarget %d MB/s (by the median): EDIFACT decoder %s, X12 decoder %s\n", t,
      (mb["edifact decoder"] >= t ? "met" : "NOT met"), (mb["x12 decoder"] >= t ? "met" : "NOT met")
  }'
