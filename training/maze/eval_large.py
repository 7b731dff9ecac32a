"""The maze report's mazes larger than the canvas, alone: held-out mazes of our generator and
dungeons at 21, 31 and 41 (or --sizes), each on its own canvas, as JSON.

Run: python training/maze/eval_large.py [--per-size 30] [--sizes 21,31,41] [--checkpoint PATH]
"""

import argparse
import json

import torch

from trm_hub.model import load_checkpoint
from trm_hub.train.evaluate import predict
from trm_hub_plugins.maze.evaluation import EVAL_BATCH, larger_mazes
from trm_hub_plugins.maze.task import MazeTask
from trm_hub_plugins.maze.views import answer_views

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--per-size", type=int, default=30)
parser.add_argument("--sizes", default="21,31,41")
parser.add_argument("--checkpoint", default="plugins/maze/weights/maze.safetensors")
args = parser.parse_args()
torch.set_num_threads(1)
model, meta = load_checkpoint(args.checkpoint)
task = MazeTask()
recipe = task.checkpoint(meta).recipe
data = type(recipe.data).model_validate({**recipe.data.model_dump(), "large_per_size": args.per_size,
                                         "large_sizes": [int(s) for s in args.sizes.split(",")]})
threshold = recipe.halt_threshold


def run(inputs, max_steps=None):
    return predict(model, inputs, batch_size=EVAL_BATCH,
                   infer=lambda x: answer_views(model, x, data.views, threshold, max_steps=max_steps))


print(json.dumps(larger_mazes(task, run, model, data, data.canvas), indent=1))
