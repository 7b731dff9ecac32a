#!/bin/bash
# Fine-tune the distance-label model (../labels/distance/maze.safetensors, canvas 15, 6000 steps) on a
# 31x31 canvas: mazes 5..31 anywhere on it, 40% with open rooms, half allowed several shortest paths,
# 24 supervision steps. Resumable: run again to continue from the train state.
cd "$(dirname "$0")/../../.."
exec trm-hub train plugin=maze preset=cpu data.labels=distance data.canvas=31 model.halt_max_steps=24 \
  init_from=training/maze/labels/distance/maze.safetensors steps=4000 lr=5e-4 lr_min_ratio=0.3 warmup_steps=50 \
  data.rooms_fraction=0.4 data.unique_fraction=0.5 \
  eval_every=500 eval_samples=96 checkpoint_every=100 data.train_size=20000 data.test_per_size=100 \
  'data.test_sizes=[[15,15],[21,21],[31,31],[13,25]]' \
  data.foreign_per_size=0 data.large_per_size=0 resume=true out_dir=training/maze/large31 --no-record "$@"
