#!/usr/bin/env bash
cd "$(dirname "$0")/../../.."
for spec in "base|" "lr2|lr=2e-3 puzzle_emb_lr=2e-2" "h128|model.hidden_size=128 model.puzzle_emb_ndim=128"; do
  name=${spec%%|*}; over=${spec#*|}
  nice -n 19 .venv/bin/python -m trm_hub train plugin=arc steps=500 threads=1 eval_every=0 checkpoint_every=0 out_dir=runs/arc/trial_$name $over > runs/arc/trial_$name.out 2> runs/arc/trial_$name.err
done
