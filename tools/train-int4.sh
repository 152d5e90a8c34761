#!/usr/bin/env bash
# int4 weights (docs/integer-semantics.md §6a): QAT fine-tuning with --weight-bits 4 from a run's
# float checkpoint (the one tools/train-preset.sh trained, so the int8 and int4 models share their
# float start and schedule), then the QAT checkpoint's test perplexity (it computes the int4 file's
# integers) and the file on every engine (tools/eval-slice.sh).
# Usage: tools/train-int4.sh RUN_DIR [train options, e.g. --workers 1]
# Resumable: a stage whose output exists is skipped, an interrupted QAT run resumes.
# Outputs: RUN_DIR/qat-int4/, RUN_DIR/train-qat-int4.json, RUN_DIR/eval-qat-int4-test.json and
# tools/eval-slice.sh's with SUFFIX=int4 (read by tools/int4-report.ts).
# Editing: write a new file and rename it over this one (bash reads a running script by offset).
set -euo pipefail
cd "$(dirname "$0")/.."
run=$1
shift
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
if [ ! -s "$run/eval-qat-int4-test.json" ]; then
  intrnn eval-qat "$run/qat-int4" --split test --json > "$run/eval-qat-int4-test.json.tmp"
  mv "$run/eval-qat-int4-test.json.tmp" "$run/eval-qat-int4-test.json"
fi
SUFFIX=int4 tools/eval-slice.sh "$run"
echo "done: $run/*int4*.json" >&2
