#!/usr/bin/env bash
# Choose the inference halting threshold of a Sudoku checkpoint on validation puzzles: test seed 7,
# not the held-out test seed (0) and not the training stream. One table per threshold.
# Usage: [VIEWS=8] [PER_BAND=500] training/sudoku/tune_halt.sh SIZE CHECKPOINT.safetensors [THRESHOLD ...]
# Writes training/sudoku/tune_halt/RUN/threshold_T_views_V.json, RUN being the checkpoint's folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
size="$1"; ckpt="$2"; shift 2
views="${VIEWS:-8}"; per_band="${PER_BAND:-500}"
out="training/sudoku/tune_halt/$(basename "$(dirname "$ckpt")")"
mkdir -p "$out"
thresholds=("$@"); [ ${#thresholds[@]} -eq 0 ] && thresholds=(0 1 2 3)
for t in "${thresholds[@]}"; do
  file="$out/threshold_${t}_views_${views}.json"
  OMP_NUM_THREADS=1 .venv/bin/trm-hub eval plugin=sudoku data.size="$size" checkpoint="$ckpt" \
    halt_threshold="$t" data.views="$views" data.test_seed=7 data.test_puzzles="$per_band" > "$file"
  .venv/bin/python -c "
import json
rep = json.load(open('$file'))
print('threshold $t, views $views'); print('\n'.join(rep['table'][:7]))"
done
