import sys, json
import torch
torch.set_num_threads(1)
from trm_hub.model import load_checkpoint
from trm_hub_plugins.arc.task import ArcTask
from trm_hub_plugins.arc.recipe import ArcData
from trm_hub_plugins.arc.data import select_tasks
from trm_hub_plugins.arc.evaluation import run_records
from trm_hub_plugins.arc.inference import Settings
path, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
task = ArcTask()
model, meta = load_checkpoint(path)
meta["train"].update(extra)
data = ArcData.model_validate(meta["train"]["data"])
held = select_tasks(data).held_out[:n]
print([r.id for r in held])
a = run_records(task, model, meta, held, data.canvas, Settings(8, 0.0))
print("no ttt", {k: a[k] for k in ("pass@2", "cell_accuracy", "seconds_per_task", "solved")})
b = run_records(task, model, meta, held, data.canvas, Settings(8, secs))
print("ttt", {k: b[k] for k in ("pass@2", "cell_accuracy", "seconds_per_task", "solved")})
