"""How a shipped model answers the first N problems of its held-out set: verified count and a
digest of every answer, to show that a change to the code left the answers as they were.

Run: python benchmarks/answers_digest.py maze 600   (also sudoku-9x9, sudoku-4x4, ...; onnxruntime)
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from held_out import held_out  # noqa: E402


def main(model_name: str, limit: int) -> None:
    task, problems = held_out(model_name, limit)
    began = time.perf_counter()
    answers = task.solve(problems, runtime="onnx")
    seconds = time.perf_counter() - began
    solutions = json.dumps([a.solution.model_dump(mode="json") for a in answers], sort_keys=True)
    verified = sum(bool(a.verified) for a in answers)
    print(f"{model_name}: {len(problems)} problems, {verified} verified, answers sha256 "
          f"{hashlib.sha256(solutions.encode()).hexdigest()[:16]}, {1000 * seconds / len(problems):.0f} ms/problem")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 600)
