"""Train the tiny sort task from the command line: `python tests/train_sort.py OUT_DIR [k=v ...]`.

Run under torchrun to train with DistributedDataParallel.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from tiny_tasks import SortTask, sort_config  # noqa: E402

from trm_hub.train import train  # noqa: E402

if __name__ == "__main__":
    overrides = {k: json.loads(v) for k, v in (a.split("=", 1) for a in sys.argv[2:])}
    train(SortTask(), sort_config(out_dir=sys.argv[1], **overrides))
