"""The canvas-31 fine-tune as the maze task would use it: every maze of 31 or less on its 31x31 canvas.

Run: python training/maze/canvas31/eval_within_canvas.py (writes eval_within_canvas.json here).
"""
import json, time, numpy as np, torch
from trm_hub.model import load_checkpoint
from trm_hub.task import halt_threshold
from trm_hub.train.evaluate import predict
from trm_hub_plugins.maze.data import generator_options, test_rng, to_problems, to_split
from trm_hub_plugins.maze.evaluation import EVAL_BATCH, _summary
from trm_hub_plugins.maze.foreign import foreign_set
from trm_hub_plugins.maze.generate import generate
from trm_hub_plugins.maze.recipe import MazeData
from trm_hub_plugins.maze.task import MazeTask
from trm_hub_plugins.maze.views import answer_views
torch.set_num_threads(1)
model, meta = load_checkpoint("training/maze/canvas31/maze.safetensors")
th = halt_threshold(None, meta); data = MazeData(canvas=31); task = MazeTask(canvas=31)
out = {}
for side in (15, 21, 31):
    for kind, batch in (("ours", generate(test_rng(data.test_seed, (side, side)), 20, side, side, **generator_options(data))),
                        ("rooms", foreign_set("rooms", 20, side, side, data.test_seed))):
        o, s, sec = predict(model, to_split([batch], 31).inputs, batch_size=EVAL_BATCH, infer=lambda x: answer_views(model, x, 8, th))
        out[f"{kind} {side}x{side}"] = {**_summary(task, to_problems(batch), o, s), "trm_ms_per_maze": 1000 * sec / 20}
        print(kind, side, out[f"{kind} {side}x{side}"], flush=True)
json.dump(out, open("training/maze/canvas31/eval_within_canvas.json", "w"), indent=1)
