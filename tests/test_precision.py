"""bfloat16 where it pays: the automatic choice, its override, and answers kept on held-out problems."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from conftest import ROOT
from trm_hub.model.trm import BF16_CPU_ROWS, cpu_has_bf16, fastest_precision
from trm_hub.registry import Registry

sys.path.insert(0, str(ROOT / "benchmarks"))
from held_out import held_out  # noqa: E402

CPU = torch.device("cpu")


def test_auto_takes_bfloat16_only_for_large_passes_on_a_cpu_that_has_it(monkeypatch):
    monkeypatch.delenv("TRM_HUB_PRECISION", raising=False)
    assert fastest_precision(CPU, 1) == "float32"
    assert fastest_precision(CPU, BF16_CPU_ROWS - 1) == "float32"
    assert fastest_precision(CPU, BF16_CPU_ROWS) == ("bfloat16" if cpu_has_bf16() else "float32")
    assert fastest_precision(torch.device("cuda"), 1) == "bfloat16"
    monkeypatch.setenv("TRM_HUB_PRECISION", "float32")
    assert fastest_precision(CPU, 4 * BF16_CPU_ROWS) == "float32"


def test_kernels_below_avx512_never_choose_bfloat16():
    import subprocess

    for level in ("default", "avx2"):
        probe = subprocess.run([sys.executable, "-c", "from trm_hub.model.trm import cpu_has_bf16; print(cpu_has_bf16())"],
                               capture_output=True, text=True, env={"ATEN_CPU_CAPABILITY": level, "PATH": "/usr/bin"})
        assert probe.returncode == 0, probe.stderr
        assert probe.stdout.strip() == "False"


def test_a_precision_that_does_not_exist_is_a_clear_error(monkeypatch):
    task, problems = held_out("sudoku-4x4", 2)
    engine, checkpoint = task.load_engine(Registry.load(), "sudoku-4x4", "cpu", "torch")
    x = torch.as_tensor(np.stack([task.encode(p, checkpoint.recipe) for p in problems]))
    with pytest.raises(ValueError, match="precision must be one of auto, float32, bfloat16"):
        engine.model.infer(x, precision="float16")
    monkeypatch.setenv("TRM_HUB_PRECISION", "half")
    with pytest.raises(ValueError, match="got 'half'"):
        engine.model.infer(x)


@pytest.mark.parametrize("model_name, n", [("sudoku-6x6", 64), ("maze", 32)])
def test_bfloat16_keeps_the_held_out_answers(model_name, n, monkeypatch):
    """Measured on this project's machines (256 held-out problems each, every view): sudoku-6x6 and
    maze gave the same answers in both precisions; sudoku-9x9 252 of 256 (solved 253 vs 251)."""
    task, problems = held_out(model_name, n)
    answers = {}
    for precision in ("float32", "bfloat16"):
        monkeypatch.setenv("TRM_HUB_PRECISION", precision)
        answers[precision] = task.solve(problems, device="cpu", runtime="torch")
    same = sum(a.solution == b.solution for a, b in zip(answers["float32"], answers["bfloat16"]))
    solved = {k: sum(bool(a.verified) for a in v) for k, v in answers.items()}
    assert same >= n - 1 and solved["bfloat16"] >= solved["float32"] - 1
