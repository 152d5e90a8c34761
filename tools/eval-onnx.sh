#!/usr/bin/env bash
# Converts a trained run's QAT checkpoint to ONNX (integer + float32) and evaluates the files on the
# test split: runtime-core and ONNX Runtime on the integer file, ONNX Runtime on the float32 file.
# Usage: tools/eval-onnx.sh RUN_DIR [LIMIT]   (RUN_DIR holds qat/ from tools/train-*-small.sh or intrnn train)
# LIMIT (default 0: all) evaluates only the first LIMIT tokens (language model) or sentences (tagger).
# Outputs: RUN_DIR/model.onnx, RUN_DIR/model.float32.onnx, RUN_DIR/convert.json and
# RUN_DIR/onnx-{core,ort,ort-float32}.json (read by tools/conversion-report.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
run=$1
limit=${2:-0}
intrnn() { node apps/cli/bin/intrnn.mjs "$@"; }

intrnn convert "$run/qat" -o "$run/model.onnx" --json > "$run/convert.json"
# ONNX Runtime runs single-threaded, so the two integer evaluations share the two cores
intrnn eval "$run/model.onnx" --engine ort --split test --limit "$limit" --json > "$run/onnx-ort.json" &
intrnn eval "$run/model.onnx" --engine core --split test --limit "$limit" --json > "$run/onnx-core.json"
wait
intrnn eval "$run/model.float32.onnx" --engine ort --split test --limit "$limit" --json > "$run/onnx-ort-float32.json"
echo "done: $run/onnx-*.json" >&2
