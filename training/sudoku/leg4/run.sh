#!/bin/bash
# Fourth leg of the 9x9 model, from the third leg's weights (`init_from=`), on harder puzzles: 9000
# new training puzzles (data.seed=3: a stream no earlier leg nor any held-out set used), a third
# each from `hard`, `extreme` and `searched` (17-24 givens hill-climbed for solver effort, at least
# 10 guesses: the training counterpart of the held-out `hardest` band), lr 3e-4 after 200 warm-up
# steps on a 12000-step cosine to 3e-5, one core. Resumable over sessions: run again to continue
# from training/sudoku/leg4/train_state.*.
cd "$(dirname "$0")/../../.."
exec .venv/bin/trm-hub train plugin=sudoku data.size=9 init_from=training/sudoku/leg3/sudoku-9x9.safetensors \
  data.seed=3 data.train_puzzles=9000 'data.train_bands=["hard","extreme","searched"]' steps=12000 lr=3e-4 \
  warmup_steps=200 threads=1 checkpoint_every=250 eval_every=1000 eval_samples=500 resume=true \
  out_dir=training/sudoku/leg4 --no-record "$@"
