#!/usr/bin/env bash
# Trains one task's preset end to end, resumably: float pretraining, QAT fine-tuning from it, the
# float baseline trained as long (the float checkpoint continued for the QAT steps, at the float
# schedule's final learning rate), then evaluation of the three checkpoints on the validation and
# test splits.
# Usage: tools/train-preset.sh TASK PRESET [RUN_DIR] [train options, e.g. --workers 1]
#   TASK: lm-brown | pos-brown | g2p-cmudict;  RUN_DIR default runs/TASK (run `npm test` or `npm start` once first)
# Each stage resumes from its checkpoint if one exists and is skipped once its figures exist, so
# rerunning after an interruption continues where it stopped.
# Outputs: RUN_DIR/{float,qat,float-long}/ checkpoints, RUN_DIR/train-{float,qat,float-long}.json and
# RUN_DIR/eval-{float,qat,float-long}-{valid,test}.json (read by tools/training-report.ts).
# Editing: write a new file and rename it over this one; bash reads a running script by byte offset,
# so an in-place edit would make the runs in progress execute shifted text.
set -euo pipefail
cd "$(dirname "$0")/.."
task=$1
preset=$2
run=${3:-runs/$task}
shift $(( $# < 3 ? $# : 3 ))
extra=("$@")
mkdir -p "$run"
intrnn() { node apps/cli/bin/intrnn.mjs "$@"; }

stage() { # name, extra args...
  local name=$1; shift
  local dir="$run/$name"
  [ -s "$run/train-$name.json" ] && return 0
  local resume=()
  [ -f "$dir/checkpoint.json" ] && resume=(--resume)
  intrnn train --task "$task" --preset "$preset" --out "$dir" "${resume[@]}" "${extra[@]}" "$@" --json > "$run/train-$name.json.tmp"
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
# the float baseline: as many steps as float + QAT together
if [ ! -f "$run/float-long/checkpoint.json" ]; then
  rm -rf "$run/float-long.tmp" && cp -r "$run/float" "$run/float-long.tmp" && mv "$run/float-long.tmp" "$run/float-long"
fi
total=$(node -e 'const m=require(require("node:path").resolve(process.argv[1]));console.log(m.train.steps+m.train.qatSteps)' "$run/float/checkpoint.json")
stage float-long --steps "$total"
# the evaluations are independent: two at a time, one per core
for split in valid test; do
  evaluate float "$split" &
  evaluate qat "$split"
  wait
  evaluate float-long "$split"
done
echo "done: figures in $run/*.json" >&2
