"""Maze datasets: training mazes and fixed held-out test sets, as canvas token splits."""

from __future__ import annotations

import hashlib

import numpy as np

from trm_hub.task import Split, TaskData
from trm_hub_plugins.maze.augment import dihedral
from trm_hub_plugins.maze.generate import MazeBatch, generate
from trm_hub_plugins.maze.schema import MazeProblem
from trm_hub_plugins.maze.recipe import MazeData, MazeRecipe, Size
from trm_hub_plugins.maze.solver import batch_distances
from trm_hub_plugins.maze.tokens import encode_batch

TRAIN_STREAM, TEST_STREAM = 0, 1


def train_rng(seed: int) -> np.random.Generator:
    """Random stream of the training mazes (never the test sets' stream)."""
    return np.random.default_rng(np.random.SeedSequence([TRAIN_STREAM, seed]))


def test_rng(test_seed: int, size: Size) -> np.random.Generator:
    """Random stream of one held-out size (never a training stream)."""
    return np.random.default_rng(np.random.SeedSequence([TEST_STREAM, test_seed, *size]))


def generator_options(data: MazeData) -> dict[str, float]:
    """The generator settings of a data section."""
    keys = ("loop_fraction", "max_loop_rate", "hard_fraction", "hard_keep", "door_fraction",
            "borderless_fraction", "rooms_fraction", "unique_fraction")
    return {k: getattr(data, k) for k in keys}


def canonical_keys(batch: MazeBatch) -> list[bytes]:
    """One key per maze that is the same for all 8 symmetric copies of it (walls, S and G)."""
    board = batch.walls.astype(np.uint8)
    rows = np.arange(len(batch))
    board[rows, batch.starts[:, 0], batch.starts[:, 1]] = 2
    board[rows, batch.goals[:, 0], batch.goals[:, 1]] = 3
    views = [np.rot90(board, k, axes=(1, 2)) for k in range(4)]
    views += [np.ascontiguousarray(v.transpose(0, 2, 1)) for v in views]
    keys = []
    for i in range(len(batch)):
        keys.append(min(hashlib.blake2b(repr(v.shape[1:]).encode() + v[i].tobytes(),
                                        digest_size=16).digest() for v in views))
    return keys


def held_out_set(data: MazeData, size: Size) -> MazeBatch:
    """The fixed held-out mazes of one size: distinct up to symmetry, same for every run."""
    rng = test_rng(data.test_seed, size)
    options = generator_options(data)
    kept: list[MazeBatch] = []
    seen: set[bytes] = set()
    total = 0
    for _ in range(20):
        batch = generate(rng, data.test_per_size - total, *size, **options)
        fresh = []
        for i, key in enumerate(canonical_keys(batch)):
            if key not in seen:
                seen.add(key)
                fresh.append(i)
        kept.append(batch.take(np.array(fresh, dtype=np.int64)))
        total += len(fresh)
        if total >= data.test_per_size:
            return MazeBatch.concat(kept)
    raise ValueError(f"only {total} distinct {size[0]}x{size[1]} mazes found for the test set; "
                     f"lower data.test_per_size or use larger data.test_sizes")


def held_out_sets(data: MazeData) -> dict[Size, MazeBatch]:
    """Every held-out size's mazes."""
    return {tuple(size): held_out_set(data, tuple(size)) for size in data.resolved_test_sizes()}


def train_shapes(data: MazeData, rng: np.random.Generator) -> dict[Size, int]:
    """How many training mazes of each size: larger sizes more often, square and oblong."""
    if data.sizes:
        sizes = [tuple(s) for s in data.sizes]
        pick = rng.integers(0, len(sizes), size=data.train_size)
        heights = np.array([sizes[i][0] for i in pick])
        widths = np.array([sizes[i][1] for i in pick])
    else:
        sides = np.arange(data.min_size, data.canvas + 1)
        weight = sides / sides.sum()
        heights = rng.choice(sides, size=data.train_size, p=weight)
        widths = np.where(rng.random(data.train_size) < data.square_fraction, heights,
                          rng.choice(sides, size=data.train_size, p=weight))
    shapes, counts = np.unique(np.stack([heights, widths], axis=1), axis=0, return_counts=True)
    return {(int(h), int(w)): int(c) for (h, w), c in zip(shapes, counts)}


def train_mazes(data: MazeData, seed: int, exclude: set[bytes]) -> list[MazeBatch]:
    """The training mazes, one batch per size, none equal (up to symmetry) to a test maze."""
    rng = train_rng(seed)
    options = generator_options(data)
    batches = []
    for (h, w), count in train_shapes(data, rng).items():
        kept: list[MazeBatch] = []
        total = 0
        for _ in range(20):
            batch = generate(rng, count - total, h, w, **options)
            keep = np.array([k not in exclude for k in canonical_keys(batch)])
            kept.append(batch.take(np.flatnonzero(keep)))
            total += int(keep.sum())
            if total >= count:
                break
        batches.append(MazeBatch.concat(kept))
    return batches


def to_split(batches: list[MazeBatch], canvas: int, rng: np.random.Generator | None = None,
             labels_kind: str = "path") -> Split:
    """Token split of mazes on the canvas, labelled as `labels_kind` says (the cells on a shortest
    path, or every open cell's distance class); with rng each maze is placed at a random offset."""
    inputs, labels = [], []
    for b in batches:
        offsets = None
        if rng is not None:
            _, h, w = b.walls.shape
            offsets = np.stack([rng.integers(0, canvas - h + 1, len(b)),
                                rng.integers(0, canvas - w + 1, len(b))], axis=1)
        to_goal = batch_distances(b.walls, b.goals) if labels_kind == "distance" else None
        x, y = encode_batch(b.walls, b.starts, b.goals, b.on_path, canvas, offsets, to_goal)
        inputs.append(x)
        labels.append(y)
    return Split(np.concatenate(inputs), np.concatenate(labels))


def to_problems(batch: MazeBatch) -> list[MazeProblem]:
    """Mazes as problems (0/1 grid with start and goal)."""
    return [MazeProblem.model_validate({"grid": batch.walls[i].astype(int).tolist(),
                                        "start": batch.starts[i].tolist(),
                                        "goal": batch.goals[i].tolist()})
            for i in range(len(batch))]


def build(cfg: MazeRecipe) -> TaskData:
    """Training and held-out splits for a run; the test problems come along for evaluation."""
    data = cfg.data
    tests = held_out_sets(data)
    exclude = {k for b in tests.values() for k in canonical_keys(b)}
    seed = cfg.seed if data.seed is None else data.seed
    train = train_mazes(data, seed, exclude)
    offsets_rng = (np.random.default_rng(np.random.SeedSequence([TRAIN_STREAM, seed, 1]))
                   if data.random_offset else None)
    test_batches = list(tests.values())
    return TaskData(
        train=to_split(train, data.canvas, offsets_rng, data.labels),
        test=to_split(test_batches, data.canvas, labels_kind=data.labels),
        augment=dihedral if data.augment else None,
        problems=[p for b in test_batches for p in to_problems(b)],
    )

