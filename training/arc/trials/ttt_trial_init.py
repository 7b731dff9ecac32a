import sys
import torch
torch.set_num_threads(1)
from trm_hub.model import load_checkpoint
from trm_hub_plugins.arc.task import ArcTask
from trm_hub_plugins.arc.recipe import ArcData
from trm_hub_plugins.arc.data import select_tasks
from trm_hub_plugins.arc.evaluation import run_records
from trm_hub_plugins.arc.inference import Settings
import trm_hub_plugins.arc.ttt as T
path, n, secs, scale, init = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
if init == "mean":
    orig = T._fresh_identifiers
    def fresh(model, count):
        tuned = orig(model, count)
        if model.puzzle_emb is not None:
            with torch.no_grad():
                tuned.puzzle_emb.weight[1:] = model.puzzle_emb.weight[1:].mean(0)
        return tuned
    T._fresh_identifiers = fresh
task = ArcTask()
model, meta = load_checkpoint(path)
data = ArcData.model_validate(meta["train"]["data"])
held = select_tasks(data).held_out[:n]
b = run_records(task, model, meta, held, data.canvas, Settings(8, secs, ttt_lr_scale=scale))
print(scale, init, "ttt", {k: b[k] for k in ("pass@2", "cell_accuracy", "seconds_per_task", "solved")})
