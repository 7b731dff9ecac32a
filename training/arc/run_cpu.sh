#!/usr/bin/env bash
# Training run of the shipped ARC model (cpu preset), then its eval report; logs in training/arc/.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=runs/arc/cpu
.venv/bin/trm-hub train plugin=arc preset=cpu threads=1 out_dir=$out "$@" 2> training/arc/train.log
cp $out/config.json $out/metrics.jsonl training/arc/
.venv/bin/trm-hub eval plugin=arc preset=cpu threads=1 checkpoint=$out/arc.safetensors 2> training/arc/eval.log \
    | .venv/bin/python training/arc/write_eval.py training/arc "trm-hub eval plugin=arc preset=cpu threads=1 checkpoint=$out/arc.safetensors"
