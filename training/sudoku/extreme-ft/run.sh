#!/bin/bash
# Fine-tune the shipped 9x9 model on our hardest trainable band only (extreme: 17-27 givens, at least
# 5 solver guesses), 6000 puzzles with a fresh random transform per batch, lr 5e-4 with a long cosine
# schedule so the run can go on over several sessions. Resumable: run again to continue.
cd "$(dirname "$0")/../../.."
exec trm-hub train plugin=sudoku data.size=9 init_from=plugins/sudoku/weights/sudoku-9x9.safetensors \
  'data.train_bands=["extreme"]' data.train_puzzles=6000 steps=20000 lr=5e-4 warmup_steps=100 \
  checkpoint_every=250 eval_every=1000 eval_samples=500 resume=true out_dir=training/sudoku/extreme-ft --no-record "$@"
