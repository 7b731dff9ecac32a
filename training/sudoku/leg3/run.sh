#!/bin/bash
# Third leg of the shipped 9x9 model (itself the second leg): its weights (`init_from=`), 12000 new training puzzles
# (data.seed=2: a stream no earlier leg nor any held-out set used) over every trainable
# band, lr 3e-4 after 200 warm-up steps on a 12000-step cosine to 3e-5. Resumable over sessions:
# run again to continue from training/sudoku/leg3/train_state.*.
cd "$(dirname "$0")/../../.."
exec .venv/bin/trm-hub train plugin=sudoku data.size=9 init_from=plugins/sudoku/weights/sudoku-9x9.safetensors \
  data.seed=2 data.train_puzzles=12000 steps=12000 lr=3e-4 warmup_steps=200 threads=1 \
  checkpoint_every=250 eval_every=1000 eval_samples=500 resume=true out_dir=training/sudoku/leg3 --no-record "$@"
