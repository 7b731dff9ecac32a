"""The trainer: learns a real tiny task, resumes exactly, and matches under DDP."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tiny_tasks import DigitSumTask, SortTask, digit_sum_config, sort_config
from trm_hub.errors import HubError
from trm_hub.model import load_checkpoint
from trm_hub.train import train
from trm_hub.train.evaluate import evaluate_split
from trm_hub.train.loop import Trainer
from trm_hub.train.losses import stablemax_log_probs, token_loss

HERE = Path(__file__).parent


def losses(run_dir: Path) -> list[float]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r["loss"] for r in rows if "loss" in r]


def test_stablemax_matches_its_definition():
    x = torch.tensor([[2.0, -1.0, 0.0, -3.0]])
    s = torch.tensor([3.0, 0.5, 1.0, 0.25], dtype=torch.float64)
    assert torch.allclose(stablemax_log_probs(x)[0], torch.log(s / s.sum()))
    labels = torch.tensor([[[0], [-100]]]).view(1, 2)
    logits = torch.stack([x[0], x[0]]).unsqueeze(0)
    assert token_loss(logits, labels, "stablemax").item() == pytest.approx(-np.log(3 / 4.75), rel=1e-6)


def test_stablemax_gradient_is_finite_at_a_logit_of_exactly_one():
    x = torch.tensor([[1.0, 0.5, -2.0, 0.0]], requires_grad=True)
    stablemax_log_probs(x)[0, 0].backward()
    s = torch.tensor([2.0, 1.5, 1 / 3, 1.0], dtype=torch.float64)
    expected = torch.tensor([1 / 2 - 1 / s.sum(), -1 / s.sum(), -(1 / 9) / s.sum(), -1 / s.sum()])
    assert torch.isfinite(x.grad).all()
    assert torch.allclose(x.grad[0], expected.float(), atol=1e-6)


def test_sort_task_trains_to_exact_accuracy_and_halts_early(tmp_path):
    task = SortTask()
    cfg = sort_config(out_dir=str(tmp_path))
    path = train(task, cfg)
    model, meta = load_checkpoint(path)
    assert meta["task"] == "sort" and meta["step"] == 1100
    test = task.build_dataset(cfg).test
    adaptive = evaluate_split(model, test)
    fixed = evaluate_split(model, test, adaptive=False)
    # Seeds 0-2 under the default, avx2 and avx512 kernels give 0.984-1.0 either way (256 lists):
    # the floor leaves three lists of room below the lowest, and halting must not cost accuracy.
    assert adaptive["exact_accuracy"] >= 0.97, adaptive
    assert fixed["exact_accuracy"] >= 0.97, fixed
    assert adaptive["exact_accuracy"] >= fixed["exact_accuracy"] - 2 / 256, (adaptive, fixed)
    assert adaptive["mean_steps"] < 1.5 < fixed["mean_steps"] == 4


def test_resume_continues_exactly(tmp_path):
    task = SortTask()
    common = {"steps": 30, "log_every": 1, "checkpoint_every": 15, "eval_every": 0, "eval_samples": 32}
    train(task, sort_config(out_dir=str(tmp_path / "whole"), **common))

    first = Trainer(task, sort_config(out_dir=str(tmp_path / "split"), **common))
    for _ in range(15):
        first.train_step()
    first.save_train_state()
    del first
    train(task, sort_config(out_dir=str(tmp_path / "split"), resume=True, **common))
    assert losses(tmp_path / "split") == losses(tmp_path / "whole")[15:]


def test_a_resumed_run_logs_each_step_once(tmp_path):
    task = SortTask()
    common = {"steps": 8, "log_every": 1, "eval_every": 0, "eval_samples": 32}
    train(task, sort_config(out_dir=str(tmp_path / "whole"), **common))
    whole = (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines(keepends=True)

    first = Trainer(task, sort_config(out_dir=str(tmp_path / "split"), **common))
    for _ in range(4):
        first.train_step()
    first.save_train_state()
    # a run stopped at step 6 has logged two steps past its last saved state
    (tmp_path / "split" / "metrics.jsonl").write_text("".join(whole[:6]))
    train(task, sort_config(out_dir=str(tmp_path / "split"), resume=True, **common))
    assert losses(tmp_path / "split") == losses(tmp_path / "whole")


def test_resume_takes_new_answering_settings_but_not_new_data(tmp_path):
    task = SortTask()
    common = {"out_dir": str(tmp_path), "eval_samples": 8, "checkpoint_every": 4}
    train(task, sort_config(steps=4, **common))
    assert Trainer(task, sort_config(steps=8, resume=True, data={"views": 3}, **common)).step == 4
    with pytest.raises(HubError, match="config differs.*data"):
        Trainer(task, sort_config(steps=8, resume=True, data={"train_size": 2000}, **common))


def test_resume_refuses_a_changed_config(tmp_path):
    task = SortTask()
    train(task, sort_config(out_dir=str(tmp_path), steps=4, eval_samples=8))
    with pytest.raises(ValueError, match="config differs.*lr"):
        Trainer(task, sort_config(out_dir=str(tmp_path), steps=8, lr=1e-4, resume=True))


def test_resume_accepts_a_run_saved_before_a_setting_existed(tmp_path):
    task = SortTask()
    common = {"out_dir": str(tmp_path), "eval_samples": 8, "checkpoint_every": 4}
    train(task, sort_config(steps=4, **common))
    state = tmp_path / "train_state.json"
    meta = json.loads(state.read_text())
    del meta["config"]["model"]["rope_theta"]
    state.write_text(json.dumps(meta))
    assert Trainer(task, sort_config(steps=8, resume=True, **common)).step == 4
    with pytest.raises(HubError, match="config differs.*weight_decay"):
        Trainer(task, sort_config(steps=8, resume=True, weight_decay=0.5, **common))


def test_ddp_two_processes_match_one(tmp_path):
    args = ["steps=12", "log_every=1", "threads=1", "eval_samples=16"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    for command in ([str(HERE / "train_sort.py"), str(tmp_path / "one")],
                    ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                     str(HERE / "train_sort.py"), str(tmp_path / "two")]):
        run = subprocess.run([sys.executable, *command, *args], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr[-3000:]
    one, two = losses(tmp_path / "one"), losses(tmp_path / "two")
    assert len(one) == len(two) == 12
    assert np.allclose(one, two, rtol=0, atol=1e-5), (one, two)


def test_regression_head_learns_far_better_than_the_mean(tmp_path):
    task = DigitSumTask()
    cfg = digit_sum_config(out_dir=str(tmp_path))
    model, _ = load_checkpoint(train(task, cfg))
    test = task.build_dataset(cfg).test
    metrics = evaluate_split(model, test)
    mean_rmse = float(np.sqrt(((test.labels - test.labels.mean()) ** 2).mean()))
    # measured 0.032 of the mean predictor's RMSE under the default, avx2 and avx512 kernels
    assert metrics["rmse"] < 0.1 * mean_rmse, (metrics, mean_rmse)


def test_keep_best_ships_the_best_evaluated_weights_across_a_resume(tmp_path):
    task = DigitSumTask()
    common = {"steps": 80, "eval_every": 10, "eval_samples": 256, "checkpoint_every": 10, "keep_best": True,
              "lr": 0.3, "ema": False, "lr_min_ratio": 1.0}
    whole, _ = load_checkpoint(train(task, digit_sum_config(out_dir=str(tmp_path / "whole"), **common)))
    train(task, digit_sum_config(out_dir=str(tmp_path / "split"), **{**common, "steps": 40}))
    path = train(task, digit_sum_config(out_dir=str(tmp_path / "split"), resume=True, **common))
    model, meta = load_checkpoint(path)

    evals = [json.loads(line) for line in (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()]
    evals = {r["step"]: r["eval"]["rmse"] for r in evals if "eval" in r}
    best_step = min(evals, key=evals.get)
    assert best_step < 80, evals
    assert meta["step"] == best_step and meta["trained_steps"] == 80
    assert meta["metrics"]["rmse"] == pytest.approx(evals[best_step])
    valid = task.build_dataset(digit_sum_config(**common)).valid
    assert evaluate_split(model, valid, limit=256)["rmse"] == pytest.approx(evals[best_step], abs=1e-5)
    for a, b in zip(model.state_dict().values(), whole.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6)


def test_keep_best_refuses_a_task_without_a_validation_split(tmp_path):
    with pytest.raises(ValueError, match="keep_best needs a validation split.*'sort'"):
        Trainer(SortTask(), sort_config(out_dir=str(tmp_path), keep_best=True))


def test_evaluation_uses_the_checkpoints_halt_threshold_unless_one_is_given():
    from trm_hub.task import halt_threshold

    meta = {"train": {"halt_threshold": 2.0}}
    assert halt_threshold(sort_config(), meta) == 2.0
    assert halt_threshold(sort_config(halt_threshold=0.5), meta) == 0.5
    assert halt_threshold(sort_config(), {"train": {}}) == 0.0


def test_init_from_starts_a_run_from_a_checkpoints_weights(tmp_path):
    from safetensors.torch import load_file

    from tiny_tasks import SortRecipe

    task = SortTask()
    first = train(task, sort_config(out_dir=str(tmp_path / "first"), steps=4, eval_samples=8))
    tuned = Trainer(task, sort_config(out_dir=str(tmp_path / "tuned"), steps=4, init_from=str(first)))
    saved = load_file(str(first))
    assert all(torch.equal(value, saved[key]) for key, value in tuned.model.state_dict().items())
    narrower = {**SortRecipe.presets["cpu"]["model"], "hidden_size": 32}
    with pytest.raises(HubError, match="does not fit this model"):
        Trainer(task, sort_config(out_dir=str(tmp_path / "other"), model=narrower, init_from=str(first)))
    with pytest.raises(HubError, match="cannot read the checkpoint"):
        Trainer(task, sort_config(out_dir=str(tmp_path / "other"), init_from=str(tmp_path / "none.safetensors")))


def test_a_diverging_run_stops_at_the_first_non_finite_loss_and_keeps_its_last_saved_state(tmp_path):
    cfg = sort_config(out_dir=str(tmp_path), steps=40, log_every=1, checkpoint_every=1, warmup_steps=0, lr=1e30)
    with pytest.raises(HubError, match="the loss became nan") as stopped:
        train(SortTask(), cfg)
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    bad = rows[-1]["step"]
    assert all(np.isfinite(r["loss"]) for r in rows[:-1]) and not np.isfinite(rows[-1]["loss"])
    saved = json.loads((tmp_path / "train_state.json").read_text())["step"]
    assert saved == bad - 1 and f"holds step {saved}" in str(stopped.value)
    assert not (tmp_path / "sort.safetensors").exists()


def test_a_snapshot_of_the_last_saved_state_is_the_finished_runs_checkpoint(tmp_path):
    from safetensors.torch import load_file

    from trm_hub.runtime.onnx_engine import OnnxEngine
    from trm_hub.train.snapshot import snapshot

    task = SortTask()
    final = train(task, sort_config(out_dir=str(tmp_path), steps=6, checkpoint_every=3, eval_samples=8))
    weights = snapshot(tmp_path)
    assert weights.name == "sort-step6.safetensors"
    made, shipped = load_file(str(weights)), load_file(str(final))
    assert made.keys() == shipped.keys() and all(torch.equal(made[k], shipped[k]) for k in made)
    _, meta = load_checkpoint(weights)
    assert (meta["task"], meta["step"], meta["planned_steps"]) == (task.name, 6, 6)
    model, _ = load_checkpoint(final)
    tokens = np.random.default_rng(0).integers(1, model.config.vocab_size, (4, model.config.seq_len))
    engine = OnnxEngine.from_checkpoint(weights.with_suffix(".onnx"), weights, meta)
    from_graph = engine.infer(tokens, adaptive=False).outputs
    from_torch = model.infer(torch.as_tensor(tokens), adaptive=False).outputs.numpy()
    assert (from_graph == from_torch).mean() > 0.95  # the same weights (kernels may round a near-tie apart)
