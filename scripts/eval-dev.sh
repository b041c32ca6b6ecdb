#!/usr/bin/env bash
# Measure the rule set on the shared development set (../shared/eval), when present.
# Usage: scripts/eval-dev.sh [BUILD_DIR] [extra fraudscan scan options...]
# Prints score.py's tables; predictions are left in $OUT (default /tmp/fraudscan-dev-pred.jsonl).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build/release}
shift || true
eval_dir=${FRAUDSCAN_EVAL_DIR:-$here/../shared/eval}
out=${OUT:-/tmp/fraudscan-dev-pred.jsonl}
if [ ! -f "$eval_dir/dev.jsonl" ]; then
  echo "eval-dev: no development set at $eval_dir (set FRAUDSCAN_EVAL_DIR); nothing to do" >&2
  exit 0
fi
"$build/fraudscan" scan --rules "$here/rules" --input-format jsonl --output jsonl --no-progress "$@" \
  "$eval_dir/dev.jsonl" > "$out" || [ $? -eq 1 ]
python3 "$eval_dir/score.py" "$eval_dir/dev.jsonl" "$out"
