#!/bin/bash
# Learning-curve trial of what a maze model marks, from scratch on the cpu preset's 15x15 canvas:
# LABELS=path (every cell on a shortest path) or LABELS=distance (every open cell's distance to G
# modulo 3). Same mazes for both: 30% with open rooms, half allowed several shortest paths.
# Resumable: run again to continue from the saved train state.
cd "$(dirname "$0")/../../.."
labels=${LABELS:?set LABELS=path or LABELS=distance}
exec trm-hub train plugin=maze preset=cpu data.labels=$labels steps=6000 \
  data.rooms_fraction=0.3 data.unique_fraction=0.5 data.train_size=20000 data.test_per_size=100 \
  eval_every=500 eval_samples=128 checkpoint_every=100 data.foreign_per_size=0 data.large_per_size=0 \
  resume=true out_dir=training/maze/labels/$labels --no-record "$@"
