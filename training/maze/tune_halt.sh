#!/usr/bin/env bash
# Choose the inference halting threshold of a maze checkpoint on validation mazes: a seed that is
# neither the training stream nor the held-out test seed (20251007). One line per threshold.
# Usage: [VIEWS=8] training/maze/tune_halt.sh CHECKPOINT.safetensors [THRESHOLD ...]
# Writes training/maze/tune_halt/RUN/threshold_T_views_V.json, RUN being the checkpoint's folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
ckpt="$1"; shift
views="${VIEWS:-8}"
out="training/maze/tune_halt/$(basename "$(dirname "$ckpt")")"
mkdir -p "$out"
thresholds=("$@"); [ ${#thresholds[@]} -eq 0 ] && thresholds=(0 1 2)
for t in "${thresholds[@]}"; do
  file="$out/threshold_${t}_views_${views}.json"
  OMP_NUM_THREADS=1 .venv/bin/trm-hub eval plugin=maze preset=cpu checkpoint="$ckpt" halt_threshold="$t" \
    data.views="$views" data.test_seed=7 data.test_per_size=500 data.foreign_per_size=0 > "$file"
  .venv/bin/python -c "
import json, sys
rep = json.load(open('$file'))
print('threshold $t, views $views'); print('\n'.join(rep['table'][:8]))"
done
