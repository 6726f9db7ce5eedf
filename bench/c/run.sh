#!/bin/sh
# Measures this machine for the roofline and oneDNN against our kernels (issue #18, parts 3 and 4), writing
#   bench/results/<date>-machine.json   GEMM peak and stream bandwidth at 1 and 2 threads (bench/c/probe.c)
#   bench/results/<date>-dnnl.jsonl     oneDNN vs ours per layer and thread count (bench/c/dnnl-compare.c)
#   bench/results/<date>-dnnl.md        the same as a markdown table
# Usage: sh bench/c/run.sh [rounds]   (rounds of the comparison, default 41; nice -n 10 on a shared machine)
set -e
cd "$(dirname "$0")/../.."
rounds=${1:-41}
day=$(date -u +%F)
sh bench/c/build.sh
echo "load before: $(uptime)"
dist/bench-c/probe > "bench/results/$day-machine.json"
echo "load after probe: $(uptime)"
if [ -x dist/bench-c/dnnl-compare ]; then
  dist/bench-c/dnnl-compare --rounds "$rounds" > "bench/results/$day-dnnl.jsonl" 2> "bench/results/$day-dnnl.md"
  echo "load after comparison: $(uptime)"
fi
