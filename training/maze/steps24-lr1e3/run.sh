#!/bin/bash
# As ../steps24 (canvas 31, open rooms, several shortest paths, step limit 24) with the preset's
# learning rate 1e-3 (cosine to 1e-4) instead of 3e-4: does a higher rate lift the rooms plateau?
# Resumable: run again to continue from the saved train state.
cd "$(dirname "$0")/../../.."
exec trm-hub train plugin=maze preset=cpu data.canvas=31 model.halt_max_steps=24 \
  init_from=training/maze/canvas31/maze.safetensors steps=3500 lr=1e-3 lr_min_ratio=0.1 warmup_steps=100 \
  data.rooms_fraction=0.4 data.unique_fraction=0.5 \
  eval_every=500 eval_samples=96 checkpoint_every=100 data.train_size=20000 data.test_per_size=100 \
  'data.test_sizes=[[15,15],[21,21],[31,31],[13,25]]' \
  data.foreign_per_size=0 data.large_per_size=0 resume=true out_dir=training/maze/steps24-lr1e3 --no-record "$@"
