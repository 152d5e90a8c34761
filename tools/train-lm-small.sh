#!/usr/bin/env bash
# Trains the `small` Brown language model end to end, resumably: float pretraining, QAT
# fine-tuning from it, then evaluation of both on the validation and test splits.
# Usage: tools/train-lm-small.sh [RUN_DIR]   (default runs/lm-small; run `npm test` or `npm start` once first)
# Each stage resumes from its checkpoint if one exists, so rerunning after an interruption continues.
# Outputs: RUN_DIR/{float,qat}/ checkpoints and RUN_DIR/*.json figures (read by tools/training-report.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/lm-small}
mkdir -p "$run"
intrnn() { node apps/cli/bin/intrnn.mjs "$@"; }

stage() { # name, extra args...
  local name=$1; shift
  local dir="$run/$name"
  local resume=()
  [ -f "$dir/checkpoint.json" ] && resume=(--resume)
  intrnn train --task lm-brown --preset small --out "$dir" "${resume[@]}" "$@" --json > "$run/train-$name.json"
}

stage float
stage qat --qat-from "$run/float"
for m in float qat; do
  for split in valid test; do
    intrnn eval-qat "$run/$m" --split "$split" --json > "$run/eval-$m-$split.json"
  done
done
echo "done: figures in $run/*.json" >&2
