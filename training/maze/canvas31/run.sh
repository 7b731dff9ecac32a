#!/bin/bash
# Fine-tune the shipped 15x15 maze model on a 31x31 canvas (mazes 5..31, 16 supervision steps).
# Resumable: run again to continue from the saved train state.
cd "$(dirname "$0")/../../.."
exec trm-hub train plugin=maze preset=cpu data.canvas=31 model.halt_max_steps=16 \
  init_from=plugins/maze/weights/maze.safetensors steps=3000 lr=3e-4 lr_min_ratio=0.3 warmup_steps=50 \
  eval_every=500 eval_samples=96 checkpoint_every=100 data.train_size=20000 data.test_per_size=100 \
  data.foreign_per_size=0 data.large_per_size=0 resume=true out_dir=training/maze/canvas31 --no-record "$@"
