#!/usr/bin/env bash
# Trains the `small` Brown language model end to end, resumably: float pretraining, QAT
# fine-tuning from it, then evaluation of both on the test split (the validation figures come
# from the training summaries, which end with a full validation pass).
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
# the two test evaluations are independent: one per core
intrnn eval-qat "$run/float" --split test --json > "$run/eval-float-test.json" &
intrnn eval-qat "$run/qat" --split test --json > "$run/eval-qat-test.json"
wait
echo "done: figures in $run/*.json" >&2
