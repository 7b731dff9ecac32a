#!/bin/bash
# Held-out evaluation of the distance-label model as it would ship: each maze on its own canvas, 8 views
# in two waves, on the run's own held-out sets (100 per size, rooms 0.3, several shortest paths in half),
# 100 mazes per other generator at 15x15 and 50 per generator at 21, 31 and 41. One thread.
cd "$(dirname "$0")/../../../.."
OMP_NUM_THREADS=1 exec .venv/bin/trm-hub eval plugin=maze preset=cpu checkpoint=training/maze/labels/distance/maze.safetensors \
  threads=1 data.own_canvas=true data.test_per_size=100 data.rooms_fraction=0.3 data.unique_fraction=0.5 \
  data.foreign_per_size=100 data.large_per_size=50 "$@"
