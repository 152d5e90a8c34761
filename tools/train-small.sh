#!/usr/bin/env bash
# Trains one task's `small` preset end to end, resumably: float pretraining, QAT fine-tuning from it,
# then evaluation of both checkpoints on the validation and test splits.
# Usage: tools/train-small.sh TASK [RUN_DIR]
#   TASK: lm-brown | pos-brown | g2p-cmudict;  RUN_DIR default runs/TASK (run `npm test` or `npm start` once first)
# Each stage resumes from its checkpoint if one exists and is skipped once its figures exist, so
# rerunning after an interruption continues where it stopped.
# Outputs: RUN_DIR/{float,qat}/ checkpoints, RUN_DIR/train-{float,qat}.json and
# RUN_DIR/eval-{float,qat}-{valid,test}.json (read by tools/training-report.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
task=$1
run=${2:-runs/$task}
mkdir -p "$run"
intrnn() { node apps/cli/bin/intrnn.mjs "$@"; }

stage() { # name, extra args...
  local name=$1; shift
  local dir="$run/$name"
  [ -s "$run/train-$name.json" ] && return 0
  local resume=()
  [ -f "$dir/checkpoint.json" ] && resume=(--resume)
  intrnn train --task "$task" --preset small --out "$dir" "${resume[@]}" "$@" --json > "$run/train-$name.json.tmp"
  mv "$run/train-$name.json.tmp" "$run/train-$name.json"
}

evaluate() { # model, split
  local out="$run/eval-$1-$2.json"
  [ -s "$out" ] && return 0
  intrnn eval-qat "$run/$1" --split "$2" --json > "$out.tmp"
  mv "$out.tmp" "$out"
}

stage float
stage qat --qat-from "$run/float"
# the evaluations are independent: two at a time, one per core
for split in valid test; do
  evaluate float "$split" &
  evaluate qat "$split"
  wait
done
echo "done: figures in $run/*.json" >&2
