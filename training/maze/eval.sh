#!/usr/bin/env bash
# Held-out evaluation of a maze checkpoint (one thread): training/maze/eval.json and eval.md.
# Usage: training/maze/eval.sh CHECKPOINT.safetensors [KEY=VALUE ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
ckpt="$1"; shift
OMP_NUM_THREADS=1 .venv/bin/trm-hub eval plugin=maze preset=cpu checkpoint="$ckpt" "$@" > training/maze/eval.json
.venv/bin/python - <<'PY'
import json
rep = json.load(open("training/maze/eval.json"))
lines = ["# Maze evaluation", "", f"checkpoint `{rep['checkpoint']}`, model `{rep['model_name']}`,",
         f"up to {rep['max_steps']} supervision steps with adaptive halting"
         f" (halting threshold {rep.get('halt_threshold', 0.0):g}).", "", "```"]
lines += rep["table"] + ["```", ""]
open("training/maze/eval.md", "w").write("\n".join(lines))
PY
cat training/maze/eval.md
