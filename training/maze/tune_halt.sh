#!/usr/bin/env bash
# Choose the inference halting threshold of a maze checkpoint on validation mazes: a seed that is
# neither the training stream nor the held-out test seed (20251007). One line per threshold.
# Usage: training/maze/tune_halt.sh CHECKPOINT.safetensors [THRESHOLD ...]
# Writes training/maze/tune_halt/RUN/threshold_T.json, RUN being the checkpoint's folder name.
set -euo pipefail
cd "$(dirname "$0")/../.."
ckpt="$1"; shift
out="training/maze/tune_halt/$(basename "$(dirname "$ckpt")")"
mkdir -p "$out"
thresholds=("$@"); [ ${#thresholds[@]} -eq 0 ] && thresholds=(0 1 2)
for t in "${thresholds[@]}"; do
  OMP_NUM_THREADS=1 .venv/bin/trm-hub eval plugin=maze preset=cpu checkpoint="$ckpt" halt_threshold="$t" \
    data.test_seed=7 data.test_per_size=500 data.foreign_per_size=0 > "$out/threshold_$t.json"
  .venv/bin/python -c "
import json, sys
rep = json.load(open('$out/threshold_$t.json'))
print('threshold $t'); print('\n'.join(rep['table'][:8]))"
done
