#!/bin/bash
# Fine-tune the canvas-31 maze model on mazes with open rooms and several shortest paths
# (every cell on a shortest path labelled), sizes 5..31 anywhere on a 31x31 canvas, 16 steps.
# Resumable: run again to continue from the saved train state.
cd "$(dirname "$0")/../../.."
exec trm-hub train plugin=maze preset=cpu data.canvas=31 model.halt_max_steps=16 \
  init_from=training/maze/canvas31/maze.safetensors steps=4000 lr=3e-4 lr_min_ratio=0.3 warmup_steps=50 \
  data.rooms_fraction=0.3 data.unique_fraction=0.5 \
  eval_every=500 eval_samples=96 checkpoint_every=100 data.train_size=20000 data.test_per_size=100 \
  'data.test_sizes=[[15,15],[21,21],[31,31],[13,25]]' \
  data.foreign_per_size=0 data.large_per_size=0 resume=true out_dir=training/maze/rooms31 --no-record "$@"
