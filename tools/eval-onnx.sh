#!/usr/bin/env bash
# Converts a trained run's QAT checkpoint to ONNX (integer + float32) and evaluates the files on the
# test split: ONNX Runtime on the integer file and on the float32 file, runtime-native on the integer
# file, and runtime-core on it (whose outputsSha256 must equal ONNX Runtime's on the same units).
# Usage: tools/eval-onnx.sh RUN_DIR [CORE_LIMIT]
#   RUN_DIR holds qat/ (from tools/train-small.sh). CORE_LIMIT (default 0: all) evaluates runtime-core
#   on the first CORE_LIMIT tokens / sentences / words only (pure TypeScript is slower than ORT); ONNX
#   Runtime then also runs that slice, so the two hashes compare the same outputs.
# With RUN_DIR/float-long (tools/train-preset.sh: the float baseline trained as long as float + QAT),
# also converts it (model.float-long.float32.onnx) and evaluates it: the baseline the integer file is
# compared against.
# Outputs: RUN_DIR/model.onnx, RUN_DIR/model.float32.onnx, RUN_DIR/convert.json,
# RUN_DIR/onnx-{ort,ort-float32,native,core}.json, RUN_DIR/onnx-ort-float-long.json and, with
# CORE_LIMIT, RUN_DIR/onnx-ort-slice.json (read by tools/results-report.ts and tools/ship-models.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
run=$1
core_limit=${2:-0}
intrnn() { node apps/cli/bin/intrnn.mjs "$@"; }
evaluate() { # file, engine, limit, output
  [ -s "$4" ] && return 0
  intrnn eval "$1" --engine "$2" --split test --limit "$3" --json > "$4.tmp"
  mv "$4.tmp" "$4"
}

[ -s "$run/convert.json" ] || intrnn convert "$run/qat" -o "$run/model.onnx" --json > "$run/convert.json"
if [ -d "$run/float-long" ]; then
  [ -s "$run/model.float-long.float32.onnx" ] || intrnn convert "$run/float-long" -o "$run/model.float-long.float32.onnx" --json > /dev/null
  evaluate "$run/model.float-long.float32.onnx" ort 0 "$run/onnx-ort-float-long.json"
fi
# one ONNX Runtime session per job, single-threaded: two jobs share the two cores
evaluate "$run/model.onnx" ort 0 "$run/onnx-ort.json" &
evaluate "$run/model.float32.onnx" ort 0 "$run/onnx-ort-float32.json"
wait
evaluate "$run/model.onnx" native 0 "$run/onnx-native.json"
if [ "$core_limit" -gt 0 ]; then
  evaluate "$run/model.onnx" ort "$core_limit" "$run/onnx-ort-slice.json" &
fi
evaluate "$run/model.onnx" core "$core_limit" "$run/onnx-core.json"
wait
echo "done: $run/onnx-*.json" >&2
