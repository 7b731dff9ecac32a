#!/bin/bash
# Fine-tune the canvas-31 maze model on open rooms and several shortest paths with a step limit of
# 24 (rooms31 had 16): sizes 5..31 anywhere on a 31x31 canvas, 40% of mazes with rooms carved in,
# half allowed several shortest paths. Resumable: run again to continue from the saved train state.
cd "$(dirname "$0")/../../.."
exec trm-hub train plugin=maze preset=cpu data.canvas=31 model.halt_max_steps=24 \
  init_from=training/maze/canvas31/maze.safetensors steps=3500 lr=3e-4 lr_min_ratio=0.3 warmup_steps=50 \
  data.rooms_fraction=0.4 data.unique_fraction=0.5 \
  eval_every=500 eval_samples=96 checkpoint_every=100 data.train_size=20000 data.test_per_size=100 \
  'data.test_sizes=[[15,15],[21,21],[31,31],[13,25]]' \
  data.foreign_per_size=0 data.large_per_size=0 resume=true out_dir=training/maze/steps24 --no-record "$@"
