#!/usr/bin/env bash
# int4 weights (docs/integer-semantics.md §6a): QAT fine-tuning with --weight-bits 4 from a run's
# float checkpoint (the one tools/train-preset.sh trained, so the int8 and int4 files share their
# float start and schedule), conversion, and the test-split evaluations of the int4 file on ONNX
# Runtime, runtime-core and runtime-native (whose outputsSha256 must agree).
# Usage: [CORE_LIMIT=N] tools/train-int4.sh RUN_DIR [train options, e.g. --workers 1]
#   CORE_LIMIT (default 20000): runtime-core evaluates the first N test tokens (ONNX Runtime too).
# Resumable: a stage whose output exists is skipped, an interrupted QAT run resumes.
# Outputs: RUN_DIR/qat-int4/, RUN_DIR/train-qat-int4.json, RUN_DIR/model.int4.onnx,
# RUN_DIR/convert-int4.json, RUN_DIR/onnx-{ort,native,core}-int4.json, onnx-ort-int4-slice.json (read
# by tools/int4-report.ts).
# Editing: write a new file and rename it over this one (bash reads a running script by offset).
set -euo pipefail
cd "$(dirname "$0")/.."
run=$1
shift
core_limit=${CORE_LIMIT:-20000}
extra=("$@")
intrnn() { node apps/cli/bin/intrnn.mjs "$@"; }
[ -f "$run/float/checkpoint.json" ] || { echo "train-int4: $run/float/checkpoint.json is missing (train with tools/train-preset.sh first)" >&2; exit 2; }
preset=$(node -e 'console.log(require(require("node:path").resolve(process.argv[1])).preset)' "$run/float/checkpoint.json")
if [ ! -s "$run/train-qat-int4.json" ]; then
  resume=()
  [ -f "$run/qat-int4/checkpoint.json" ] && resume=(--resume)
  intrnn train --task lm-brown --preset "$preset" --out "$run/qat-int4" --qat-from "$run/float" --weight-bits 4 "${resume[@]}" "${extra[@]}" --json > "$run/train-qat-int4.json.tmp"
  mv "$run/train-qat-int4.json.tmp" "$run/train-qat-int4.json"
fi
[ -s "$run/convert-int4.json" ] || intrnn convert "$run/qat-int4" -o "$run/model.int4.onnx" --json > "$run/convert-int4.json"
evaluate() { # engine, limit, output
  [ -s "$3" ] && return 0
  intrnn eval "$run/model.int4.onnx" --engine "$1" --split test --limit "$2" --json > "$3.tmp"
  mv "$3.tmp" "$3"
}
# the whole split on ONNX Runtime and runtime-native; runtime-core (pure TypeScript, slower) on the
# first CORE_LIMIT tokens, with ONNX Runtime on the same slice, so that the two hashes compare
evaluate ort 0 "$run/onnx-ort-int4.json" &
evaluate native 0 "$run/onnx-native-int4.json"
wait
evaluate ort "$core_limit" "$run/onnx-ort-int4-slice.json" &
evaluate core "$core_limit" "$run/onnx-core-int4.json"
wait
echo "done: $run/*-int4.json" >&2
