#!/bin/sh
# Full-set check of the TFLite import (issue 6): the four TF-slim MobileNets on all 1,300 images of
# imagenet-val1300, one JSON line each with the wall time. Expected (float-simulated, inflated by the subset):
# v1 0.25/128 ≈ 57.6/82.2, v1 0.5/160 ≈ 73.2/90.9, v1 0.75/192 ≈ 77.9/93.3, v2 1.0/224 ≈ 79.9/94.2 (±1.5).
# Usage (repo root, after `npx tsc -p .`): sh tools/eval_tflite_mobilenets.sh [DATA_DIR]
set -e
DATA=${1:-../shared/data}
for spec in mobilenet_v1:mobilenet_v1_0.25_128_quant mobilenet_v1:mobilenet_v1_0.5_160_quant \
            mobilenet_v1:mobilenet_v1_0.75_192_quant mobilenet_v2:mobilenet_v2_1.0_224_quant; do
  model=${spec%%:*}; file=${spec#*:}
  start=$(date +%s)
  COMPACT_NETS_BACKEND=${COMPACT_NETS_BACKEND:-wasm} node bin/compact-nets.js eval "$model" \
    --weights "$DATA/pretrained/$file.tflite" --images "$DATA/imagenet-val1300" --json 2>/dev/null
  echo "# $file: $(( $(date +%s) - start )) s"
done
