#!/usr/bin/env bash
# Converts a run's QAT checkpoint (tools/train-preset.sh, or tools/train-int4.sh's with SUFFIX=int4)
# to ONNX and runs the integer file on the first LIMIT test tokens in ONNX Runtime, runtime-core and
# runtime-native, whose outputsSha256 must agree: the check that every engine computes the file's
# integers. (The whole split's perplexity of the integer model is the QAT checkpoint's, which
# computes the same integers: RUN_DIR/eval-qat-test.json from tools/train-preset.sh; ONNX Runtime's
# Scan function is too slow to run the whole split in a session.)
# Usage: [SUFFIX=int4] tools/eval-slice.sh RUN_DIR [LIMIT, default 20000]
# Outputs: RUN_DIR/model[.SUFFIX].onnx (and its float32 sibling), RUN_DIR/convert[-SUFFIX].json,
# RUN_DIR/slice-{ort,core,native}[-SUFFIX].json (read by tools/cells-report.ts and tools/int4-report.ts).
# Editing: write a new file and rename it over this one (bash reads a running script by offset).
set -euo pipefail
cd "$(dirname "$0")/.."
run=$1
limit=${2:-20000}
sfx=${SUFFIX:+-$SUFFIX}
dot=${SUFFIX:+.$SUFFIX}
ckpt=$run/qat${sfx}
intrnn() { node apps/cli/bin/intrnn.mjs "$@"; }
[ -s "$run/convert$sfx.json" ] || intrnn convert "$ckpt" -o "$run/model$dot.onnx" --json > "$run/convert$sfx.json"
evaluate() { # engine
  local out="$run/slice-$1$sfx.json"
  [ -s "$out" ] && return 0
  intrnn eval "$run/model$dot.onnx" --engine "$1" --split test --limit "$limit" --json > "$out.tmp"
  mv "$out.tmp" "$out"
}
evaluate ort &
evaluate core
wait
evaluate native
echo "done: $run/slice-*$sfx.json" >&2
