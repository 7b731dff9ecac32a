"""`trm-hub plot`: metrics logs read as the trainer writes them, drawn as a PNG; every run record has its picture."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, one_line_error, run_cli
from trm_hub.cli import cli
from trm_hub.plot import PICTURE_FILE, PlotError, plot_runs, read_log, smooth

TRAINING = ROOT / "training"
RECORDS = sorted(path.parent for path in TRAINING.rglob("metrics.jsonl"))


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header (and check that it is one)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_a_log_is_read_as_the_trainer_writes_it() -> None:
    log_file = TRAINING / "maze" / "metrics.jsonl"
    lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]
    log = read_log(TRAINING / "maze")
    assert log.name == "maze"
    assert len(log.evals) == sum("eval" in line for line in lines) > 10
    assert len(log.train) == len(lines) - len(log.evals)
    steps, accuracy = log.series("exact_accuracy", evaluation=True)
    assert steps == [line["step"] for line in lines if "eval" in line]
    assert accuracy == [line["eval"]["exact_accuracy"] for line in lines if "eval" in line]
    steps, halting = log.series("halt_steps")
    assert len(steps) < len(log.train), "NaN values (no example halted yet) are left out"


def test_smoothing_keeps_the_length_and_averages_a_trailing_window() -> None:
    values = [float(i % 2) for i in range(600)]
    smoothed = smooth(values, points=60)
    assert len(smoothed) == 600 and smoothed[0] == 0.0
    assert all(abs(v - 0.5) < 1e-9 for v in smoothed[10:])


def test_one_run_and_several_runs_are_drawn(tmp_path: Path) -> None:
    run = tmp_path / "maze"
    shutil.copytree(TRAINING / "maze", run, ignore=lambda folder, names: [n for n in names if n != "metrics.jsonl"])
    result = CliRunner().invoke(cli, ["plot", str(run)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {run / PICTURE_FILE}\n"
    assert png_size(run / PICTURE_FILE) == (900, 594)
    several = tmp_path / "out" / "arc-trials.png"
    trials = sorted((TRAINING / "arc" / "trials").glob("*.metrics.jsonl"))
    result = CliRunner().invoke(cli, ["plot", *map(str, trials), str(TRAINING / "arc"), "--out", str(several)])
    assert result.exit_code == 0, result.output
    assert png_size(several) == (900, 594) and 20_000 < several.stat().st_size < 200_000


def test_bad_runs_are_one_line_errors(tmp_path: Path) -> None:
    assert "no metrics log at" in one_line_error(run_cli("plot", str(tmp_path / "none")))
    two = [str(TRAINING / "sudoku" / "sudoku-4x4"), str(TRAINING / "sudoku" / "sudoku-6x6")]
    assert "say where with --out FILE.png" in one_line_error(run_cli("plot", *two))
    assert "ending in .png" in one_line_error(run_cli("plot", two[0], "--out", str(tmp_path / "x.jpg")))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "metrics.jsonl").write_text('{"step": 1, "loss": 1.0}\nnot json\n{"step": 2, "loss": 0.5}\n')
    assert "line 2 is not JSON" in one_line_error(run_cli("plot", str(bad)))
    (bad / "metrics.jsonl").write_text('{"loss": 1.0}\n')
    assert "line 1 is not a metrics record" in one_line_error(run_cli("plot", str(bad)))
    assert not (bad / PICTURE_FILE).exists()


def test_a_log_cut_off_mid_line_is_drawn_without_its_last_line(tmp_path: Path) -> None:
    (tmp_path / "metrics.jsonl").write_text('{"step": 10, "loss": 1.0, "lr": 0.001}\n{"step": 20, "loss": 0.5, "l')
    log = read_log(tmp_path)
    assert [record["step"] for record in log.train] == [10]
    assert plot_runs([tmp_path], tmp_path / "c.png").is_file()
    (tmp_path / "metrics.jsonl").write_text("\n")
    with pytest.raises(PlotError, match="holds no metrics records"):
        read_log(tmp_path)


def test_tensorboard_export_needs_tensorboard(tmp_path: Path) -> None:
    result = run_cli("plot", str(TRAINING / "sudoku" / "sudoku-4x4"), "--out", str(tmp_path / "c.png"),
                     "--tensorboard", str(tmp_path / "tb"))
    if importlib.util.find_spec("tensorboard") is None:
        assert "needs the tensorboard package: pip install tensorboard" in one_line_error(result)
    else:
        assert result.returncode == 0, result.stderr
        assert list((tmp_path / "tb" / "sudoku-4x4").glob("events.out.tfevents.*"))


@pytest.mark.parametrize("record", RECORDS, ids=lambda p: p.relative_to(TRAINING).as_posix())
def test_every_training_record_has_its_picture(record: Path) -> None:
    picture = record / PICTURE_FILE
    assert picture.is_file(), f"draw it with: trm-hub plot {picture.parent.relative_to(ROOT)}"
    assert png_size(picture) == (900, 594) and picture.stat().st_size < 200_000
