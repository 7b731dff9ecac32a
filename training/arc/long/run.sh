#!/usr/bin/env bash
# Long pretraining leg of the ARC cpu preset, warm-started from the shipped weights (same data,
# same puzzle ids, same constant lr), so it continues the shipped run's curve. Resume a stopped
# leg with the same command plus resume=true.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=runs/arc/long
.venv/bin/trm-hub train plugin=arc preset=cpu threads=2 steps=36000 eval_every=2000 checkpoint_every=250 \
    init_from=plugins/arc/weights/arc.safetensors out_dir=$out "$@" 2>> training/arc/long/train.log
