#!/bin/bash
# Learning-curve trial: the shipped 9x9 recipe (cpu preset, 3300 steps, 6000 training puzzles of
# seed 0, as the shipped run's first part) at width 96 instead of 64, to compare the in-training
# evaluation curve step for step and minute for minute. Resumable: run again to continue.
cd "$(dirname "$0")/../../.."
exec .venv/bin/trm-hub train plugin=sudoku data.size=9 model.hidden_size=96 threads=1 \
  checkpoint_every=250 eval_every=500 eval_samples=500 resume=true out_dir=training/sudoku/width96 --no-record "$@"
