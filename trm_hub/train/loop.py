"""The one training loop: deep supervision with a carried state, halting, EMA, DDP, resume."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from trm_hub.config import TrainConfig, answering_fields
from trm_hub.errors import HubError, one_line
from trm_hub.model import TRM, resolve_device, save_checkpoint
from trm_hub.files import atomic_write, atomic_write_text
from trm_hub.plot import draw_run
from trm_hub.task import Task, TaskData
from trm_hub.train.ema import EMA
from trm_hub.train.evaluate import evaluate_split
from trm_hub.train.losses import supervision_loss, total_loss
from trm_hub.train.optim import build_optimizer, learning_rate, optimizer_step, set_learning_rate
from trm_hub.train.stream import ExampleStream


class Dist:
    """Rank and world size; initialises torch.distributed when launched by torchrun."""

    def __init__(self, device: torch.device):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.device = device
        if self.world > 1 and not dist.is_initialized():
            if device.type == "cuda":
                local = int(os.environ.get("LOCAL_RANK", "0"))
                torch.cuda.set_device(local)
                self.device = torch.device("cuda", local)
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def gather(self, t: torch.Tensor) -> torch.Tensor:
        """Concatenate every rank's rows, in rank order."""
        if self.world == 1:
            return t
        parts = [torch.empty_like(t) for _ in range(self.world)]
        dist.all_gather(parts, t.contiguous())
        return torch.cat(parts)

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()


def start_from(model: TRM, path: Path) -> None:
    """Load a checkpoint's weights into a new run's model (a fine-tune); every tensor must fit."""
    try:
        tensors = load_file(str(path.with_suffix(".safetensors")), device="cpu")
    except (OSError, ValueError) as exc:
        raise HubError(f"init_from={path}: cannot read the checkpoint ({one_line(str(exc))})") from None
    own = model.state_dict()
    wrong = sorted(k for k in own if k not in tensors or tensors[k].shape != own[k].shape)
    extra = sorted(k for k in tensors if k not in own)
    if wrong or extra:
        raise HubError(f"init_from={path} does not fit this model: {', '.join((wrong + extra)[:4])} "
                       f"differ{' and more' if len(wrong) + len(extra) > 4 else ''}")
    model.load_state_dict(tensors)


def drop_metrics_after(path: Path, step: int) -> None:
    """Keep only the metrics log's records up to `step`: a resumed run logs the steps after it again."""
    if not path.exists():
        return
    lines = path.read_text().splitlines(keepends=True)
    kept = [line for line in lines if json.loads(line).get("step", 0) <= step]
    if len(kept) < len(lines):
        atomic_write_text(path, "".join(kept))


class Trainer:
    """Trains one task's model with its recipe; state is resumable from the run directory."""

    def __init__(self, task: Task, cfg: TrainConfig, model_name: str | None = None, out_dir: Path | None = None):
        self.task, self.cfg = task, cfg
        self.model_name = model_name or task.checkpoint_name(cfg)
        self.out = Path(out_dir or cfg.out_dir or Path("runs") / task.name / self.model_name)
        self.dist = Dist(resolve_device(cfg.device))
        self.device = self.dist.device
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed)
        self.data: TaskData = task.build_dataset(cfg)
        if cfg.keep_best and self.data.valid is None:
            raise HubError(f"keep_best needs a validation split, and task '{task.name}' gives none (it would select on test data)")
        self.model = TRM(cfg.model).to(self.device)
        if cfg.init_from and not (cfg.resume and (self.out / "train_state.json").exists()):
            start_from(self.model, Path(cfg.init_from))
        self.ema = EMA(self.model, cfg.ema_rate) if cfg.ema else None
        if cfg.compile:
            self.model.net = torch.compile(self.model.net)
        self.opt = build_optimizer(self.model, cfg)
        self.net: torch.nn.Module = self.model
        self.stream = ExampleStream(len(self.data.train), cfg.seed)
        self.step = 0
        self.saved_step: int | None = None
        b = cfg.batch_size
        if b % self.dist.world:
            raise HubError(f"batch_size {b} is not divisible by the {self.dist.world} processes")
        lo = self.dist.rank * (b // self.dist.world)
        self.rows = slice(lo, lo + b // self.dist.world)
        train = self.data.train
        self.inputs = np.zeros((b, *train.inputs.shape[1:]), dtype=train.inputs.dtype)
        self.labels = np.zeros((b, *train.labels.shape[1:]), dtype=train.labels.dtype)
        self.puzzle_ids = np.zeros(b, dtype=np.int64)
        self.features = np.zeros((b, cfg.model.feature_dim), dtype=np.float32)
        if cfg.model.feature_dim and (train.features is None or train.features.shape[1:] != (cfg.model.feature_dim,)):
            raise HubError(f"model.feature_dim is {cfg.model.feature_dim} but task '{task.name}' gives "
                           f"{'no' if train.features is None else train.features.shape[1]} features per example")
        self.halted = np.ones(b, dtype=bool)
        self.steps_taken = np.zeros(b, dtype=np.int64)
        self.state = self.model.initial_state(b // self.dist.world, self.device)
        self.best: dict | None = None
        if cfg.resume and (self.out / "train_state.json").exists():
            self.load_train_state()
        if self.dist.world > 1:
            self.net = torch.nn.parallel.DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None
            )

    def refill(self) -> None:
        """Replace halted examples with new ones from the stream (same on every rank)."""
        k = int(self.halted.sum())
        if k == 0:
            return
        idx = self.stream.take(k)
        train = self.data.train
        x, y = train.inputs[idx], train.labels[idx]
        if self.data.augment is not None:
            x, y = self.data.augment(x, y, self.stream.rng)
        self.inputs[self.halted], self.labels[self.halted] = x, y
        if train.puzzle_ids is not None:
            self.puzzle_ids[self.halted] = train.puzzle_ids[idx]
        if train.features is not None and self.features.shape[1]:
            self.features[self.halted] = train.features[idx]
        self.steps_taken[self.halted] = 0

    def train_step(self) -> dict[str, float]:
        cfg, rows, dev = self.cfg, self.rows, self.device
        self.refill()
        reset = torch.as_tensor(self.halted[rows], device=dev)
        self.state = self.model.reset_state(self.state, reset)
        inputs = torch.as_tensor(self.inputs[rows], device=dev)
        labels = torch.as_tensor(self.labels[rows], device=dev)
        ids = torch.as_tensor(self.puzzle_ids[rows], device=dev) if cfg.model.puzzle_emb_ndim else None
        feats = torch.as_tensor(self.features[rows], device=dev) if cfg.model.feature_dim else None
        lr = learning_rate(cfg, self.step)
        set_learning_rate(self.opt, lr)
        self.net.train()
        autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=dev.type == "cuda")
        with autocast:
            self.state, outputs, q_halt = self.net(self.state, inputs, ids, feats)
        parts = supervision_loss(cfg, outputs, labels, q_halt)
        main_loss, q_loss, correct, token_acc = parts
        optimizer_step(self.opt, self.model, total_loss(cfg, parts).sum() * (self.dist.world / cfg.batch_size), cfg)
        if self.ema is not None:
            self.ema.update(self.model)
        self.step += 1
        self.steps_taken += 1
        q_all = self.dist.gather(q_halt.detach().float()).cpu().numpy()
        halted = self.steps_taken >= cfg.model.halt_max_steps
        if cfg.model.halt_max_steps > 1:
            explore = self.stream.rng.random(len(q_all)) < cfg.model.halt_exploration_prob
            min_steps = explore * self.stream.rng.integers(2, cfg.model.halt_max_steps + 1, len(q_all))
            halted |= (q_all > 0) & (self.steps_taken >= min_steps)
        stats = torch.stack([
            main_loss.detach().sum(), q_loss.detach().sum(), correct.float().sum(), token_acc.float().sum(),
        ]).double()
        if self.dist.world > 1:
            dist.all_reduce(stats)
        stats = (stats / cfg.batch_size).tolist()
        halting = self.steps_taken[halted]
        self.halted = halted
        return {
            "step": self.step, "loss": stats[0] + cfg.q_loss_weight * stats[1], "main_loss": stats[0],
            "q_loss": stats[1], "exact": stats[2], "accuracy": stats[3], "lr": lr,
            "halt_steps": float(halting.mean()) if len(halting) else float("nan"),
        }

    def eval_model(self) -> TRM:
        return self.ema.model if self.ema is not None else self.model

    def evaluate(self) -> dict[str, float]:
        split = self.data.valid if self.data.valid is not None else self.data.test
        return evaluate_split(
            self.eval_model(), split, limit=self.cfg.eval_samples, halt_threshold=self.cfg.halt_threshold
        )

    def run(self) -> Path:
        cfg, main = self.cfg, self.dist.main
        if main:
            self.out.mkdir(parents=True, exist_ok=True)
            atomic_write(self.out / "config.json", lambda t: Path(t).write_text(cfg.model_dump_json(indent=1) + "\n"))
        if main and cfg.resume:
            drop_metrics_after(self.out / "metrics.jsonl", self.step)
        log = (self.out / "metrics.jsonl").open("a") if main else None
        bar = tqdm(total=cfg.steps, initial=self.step, desc=f"train {self.model_name}", file=sys.stderr,
                   disable=not main or None, dynamic_ncols=True)
        t0, seen = time.perf_counter(), 0
        metrics: dict[str, float] = {}
        try:
            while self.step < cfg.steps:
                rec = self.train_step()
                if not math.isfinite(rec["loss"]):
                    if log:
                        log.write(json.dumps(rec) + "\n")
                    raise HubError(self.diverged_message(rec["loss"]))
                seen += cfg.batch_size
                rec["samples_per_s"] = seen / (time.perf_counter() - t0)
                bar.update(1)
                if self.step % cfg.log_every == 0 or self.step == cfg.steps:
                    bar.set_postfix(loss=f"{rec['loss']:.3f}", acc=f"{rec['accuracy']:.3f}",
                                    exact=f"{rec['exact']:.3f}", steps=f"{rec['halt_steps']:.1f}",
                                    sps=f"{rec['samples_per_s']:.0f}")
                    if log:
                        log.write(json.dumps(rec) + "\n")
                        log.flush()
                if cfg.eval_every and self.step % cfg.eval_every == 0 and self.step < cfg.steps:
                    metrics = self.periodic_eval(log)
                if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                    self.save_train_state()
            metrics = self.periodic_eval(log)
            self.save_train_state()
        finally:
            bar.close()
            if log:
                log.close()
        stem = self.out / self.model_name
        if main:
            model, meta = self.eval_model(), {"step": self.step}
            if self.best is not None:
                model.load_state_dict(self.best["weights"])
                metrics, meta = self.best["metrics"], {"step": self.best["step"], "trained_steps": self.step}
            save_checkpoint(stem, model, {
                "task": self.task.name, "task_version": self.task.version, "model_name": self.model_name,
                "train": json.loads(cfg.model_dump_json()), "metrics": metrics, **meta,
            })
            draw_run(self.out, title=f"{self.task.name}: {self.model_name}")
        self.dist.barrier()
        return stem.with_suffix(".safetensors")

    def periodic_eval(self, log) -> dict[str, float]:
        metrics: dict[str, float] = {}
        if self.dist.main:
            metrics = self.evaluate()
            if log:
                log.write(json.dumps({"step": self.step, "eval": metrics}) + "\n")
                log.flush()
            tqdm.write(f"step {self.step} eval: " + ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()), file=sys.stderr)
            if self.cfg.keep_best:
                self.remember_if_best(metrics)
        self.dist.barrier()
        return metrics

    def remember_if_best(self, metrics: dict[str, float]) -> None:
        """Keep a copy of the evaluated weights when they beat every earlier eval."""
        score = -metrics["rmse"] if "rmse" in metrics else metrics["exact_accuracy"]
        if self.best is None or score > self.best["score"]:
            weights = {k: v.detach().cpu().clone() for k, v in self.eval_model().state_dict().items()}
            self.best = {"score": score, "step": self.step, "metrics": metrics, "weights": weights}

    def diverged_message(self, loss: float) -> str:
        """What to tell the user when the loss stops being finite: nothing of this step was saved."""
        saved = self.out / "train_state.safetensors"
        where = f"{saved} holds step {self.saved_step}" if self.saved_step is not None else "no train state was saved"
        return (f"training stopped: the loss became {loss} at step {self.step}; nothing of that step was saved "
                f"({where}; resuming it as configured repeats the same steps, so change the recipe, e.g. a lower lr, "
                f"in a new out_dir)")

    def save_train_state(self) -> None:
        """Everything needed to continue exactly: weights, EMA, optimiser, carry, randomness."""
        self.saved_step = self.step
        y, z = self.dist.gather(self.state.y), self.dist.gather(self.state.z)
        if not self.dist.main:
            return
        tensors = {f"model.{k}": v for k, v in self.model.state_dict().items()}
        if self.ema is not None:
            tensors.update({f"ema.{k}": v for k, v in self.ema.model.state_dict().items()})
        opt = self.opt.state_dict()
        for i, st in opt["state"].items():
            for k, v in st.items():
                tensors[f"opt.{i}.{k}"] = torch.as_tensor(v).reshape(-1) if k == "step" else v
        tensors.update({
            "carry.y": y, "carry.z": z, "carry.inputs": torch.as_tensor(self.inputs),
            "carry.labels": torch.as_tensor(self.labels), "carry.puzzle_ids": torch.as_tensor(self.puzzle_ids),
            "carry.features": torch.as_tensor(self.features), "carry.halted": torch.as_tensor(self.halted), "carry.steps_taken": torch.as_tensor(self.steps_taken),
            "torch_rng": torch.get_rng_state(), "stream_order": torch.as_tensor(self.stream.order),
        })
        best = None
        if self.best is not None:
            tensors.update({f"best.{k}": v for k, v in self.best["weights"].items()})
            best = {k: v for k, v in self.best.items() if k != "weights"}
        tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
        atomic_write(self.out / "train_state.safetensors", lambda t: save_file(tensors, t))
        meta = {"step": self.step, "stream": self.stream.state(), "config": json.loads(self.cfg.model_dump_json()),
                "best": best, "task": self.task.name, "task_version": self.task.version, "model_name": self.model_name}
        atomic_write(self.out / "train_state.json", lambda t: Path(t).write_text(json.dumps(meta)))

    def comparable(self, config: dict[str, Any]) -> dict[str, Any]:
        """A config as resume compares it: read through the current recipe (so settings added
        since the run was saved take their defaults), without steps, resume, out_dir and the data
        section's answering settings."""
        try:
            config = json.loads(type(self.cfg).model_validate(config).model_dump_json())
        except ValueError:
            pass
        if isinstance(config.get("data"), dict):
            answering = answering_fields(type(self.cfg).model_fields["data"].annotation)
            config = {**config, "data": {k: v for k, v in config["data"].items() if k not in answering}}
        return {k: v for k, v in config.items() if k not in {"steps", "resume", "out_dir"}}

    def load_train_state(self) -> None:
        meta = json.loads((self.out / "train_state.json").read_text())
        saved, now = self.comparable(meta["config"]), self.comparable(json.loads(self.cfg.model_dump_json()))
        if saved != now:
            changed = sorted(k for k in saved.keys() | now.keys() if saved.get(k) != now.get(k))
            raise HubError(f"cannot resume {self.out}: config differs from the saved run in {', '.join(changed)}")
        t = load_file(str(self.out / "train_state.safetensors"))
        self.model.load_state_dict({k[6:]: v for k, v in t.items() if k.startswith("model.")})
        if self.ema is not None:
            self.ema.model.load_state_dict({k[4:]: v for k, v in t.items() if k.startswith("ema.")})
        opt = self.opt.state_dict()
        for key, v in t.items():
            if key.startswith("opt."):
                _, i, name = key.split(".", 2)
                opt["state"].setdefault(int(i), {})[name] = v.reshape(()) if name == "step" else v
        self.opt.load_state_dict(opt)
        self.inputs, self.labels = t["carry.inputs"].numpy().copy(), t["carry.labels"].numpy().copy()
        self.puzzle_ids = t["carry.puzzle_ids"].numpy().copy()
        if "carry.features" in t:
            self.features = t["carry.features"].numpy().copy()
        self.halted, self.steps_taken = t["carry.halted"].numpy().copy(), t["carry.steps_taken"].numpy().copy()
        self.state = type(self.state)(t["carry.y"][self.rows].to(self.device), t["carry.z"][self.rows].to(self.device))
        torch.set_rng_state(t["torch_rng"])
        self.stream.load_state(meta["stream"], t["stream_order"].numpy())
        self.step = self.saved_step = meta["step"]
        if meta.get("best"):
            weights = {k[5:]: v for k, v in t.items() if k.startswith("best.")}
            self.best = {**meta["best"], "weights": weights}

