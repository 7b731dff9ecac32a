#!/bin/bash
# Evaluate a step-limit-24 trial: its EMA weights written out (../snapshot.py), solved share against
# supervision steps on validation mazes (../step_probe.py, seed 7), and the mazelib judge
# (benchmarks/maze_foreign.py, judging only) with every maze on its own canvas.
# Run: bash training/maze/steps24/judge.sh training/maze/steps24 [SIZES]
set -e
cd "$(dirname "$0")/../../.."
run=$1
sizes=${2:-9,11,13,15,21,31,41}
python training/maze/snapshot.py "$run"
OMP_NUM_THREADS=1 python training/maze/step_probe.py "$run/snapshot/maze.safetensors" --sizes 15,21,31,41 \
  --per-size 32 --steps 32 --json "$run/step_probe.json" | tee "$run/step_probe.txt"
OMP_NUM_THREADS=1 python benchmarks/maze_foreign.py --checkpoint "$run/snapshot/maze.safetensors" \
  --set data.own_canvas=true --per-size 48 --sizes "$sizes" --json "$run/foreign.json" | tee "$run/foreign.txt"
