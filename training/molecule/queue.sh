#!/usr/bin/env bash
# Train and record molecule runs from a queue file, one line each: PROPERTY SPLIT SEED [key=value ...].
# Several workers may share one queue (one thread each): each takes the next line under a lock.
#   nohup bash training/molecule/queue.sh training/molecule/queue.txt &
# Run name: molecule-PROPERTY[-scaffold][-seedS][-SUFFIX] (seed 0 of the random split is shipped,
# unless SUFFIX is set in the environment: a trial is only recorded).
set -u
cd "$(dirname "$0")/../.."
queue=$1
while true; do
  line=$(flock "$queue.lock" bash -c 'head -n1 "$0"; sed -i 1d "$0"' "$queue")
  [ -z "$line" ] && break
  read -r prop split seed extra <<<"$line"
  name="molecule-$prop"
  [ "$split" = scaffold ] && name="$name-scaffold"
  [ "$seed" != 0 ] && name="$name-seed$seed"
  [ -n "${SUFFIX:-}" ] && name="$name-$SUFFIX"
  run="runs/molecule/$name"
  rm -rf "$run"
  echo "$(date -u +%H:%M) start $name ($line)"
  nice -n 5 .venv/bin/trm-hub train plugin=molecule data.property="$prop" data.split="$split" \
    seed="$seed" data.split_seed="$seed" threads=1 model_name="$name" out_dir="$run" $extra \
    >"$run.log" 2>&1 || { echo "$(date -u +%H:%M) FAILED $name"; continue; }
  ship=""
  [ "$split" = random ] && [ "$seed" = 0 ] && [ -z "${SUFFIX:-}" ] && ship=--ship
  nice -n 5 .venv/bin/python training/molecule/record.py "$run" "$name" $ship >"$run.record.log" 2>&1 \
    && echo "$(date -u +%H:%M) done $name" || echo "$(date -u +%H:%M) record FAILED $name"
done
