#!/usr/bin/env bash
# Choose the inference halting threshold of a Sudoku checkpoint on validation puzzles: test seed 7,
# not the held-out test seed (0) and not the training stream. One table per threshold.
# Usage: training/sudoku/tune_halt.sh SIZE CHECKPOINT.safetensors [THRESHOLD ...]
# Writes training/sudoku/tune_halt/RUN/threshold_T.json, RUN being the checkpoint's folder name.
set -euo pipefail
cd "$(dirname "$0")/../.."
size="$1"; ckpt="$2"; shift 2
out="training/sudoku/tune_halt/$(basename "$(dirname "$ckpt")")"
mkdir -p "$out"
thresholds=("$@"); [ ${#thresholds[@]} -eq 0 ] && thresholds=(0 1 2 3)
for t in "${thresholds[@]}"; do
  OMP_NUM_THREADS=1 .venv/bin/trm-hub eval plugin=sudoku data.size="$size" checkpoint="$ckpt" \
    halt_threshold="$t" data.test_seed=7 data.test_puzzles=500 > "$out/threshold_$t.json"
  .venv/bin/python -c "
import json
rep = json.load(open('$out/threshold_$t.json'))
print('threshold $t'); print('\n'.join(rep['table'][:7]))"
done
