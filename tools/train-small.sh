#!/usr/bin/env bash
# Trains one task's `small` preset end to end (tools/train-preset.sh TASK small ...).
# Usage: tools/train-small.sh TASK [RUN_DIR] [train options]
exec "$(dirname "$0")/train-preset.sh" "$1" small "${2:-runs/$1}" "${@:3}"
