"""Dataset building: seeded, cached puzzle sets per size and band, held-out test sets, augmentation."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from trm_hub.task import Split, TaskData
from trm_hub_plugins.sudoku.augment import SudokuAugmenter, row_keys
from trm_hub_plugins.sudoku.cache import load_sequence, save_sequence, sequence_path
from trm_hub_plugins.sudoku.generate import BANDS, generate_items
from trm_hub_plugins.sudoku.recipe import STANDARD_TEST_PUZZLES, TEST_SEED, SudokuRecipe
from trm_hub_plugins.sudoku.schema import SudokuProblem
from trm_hub_plugins.sudoku.tokens import to_tokens, vocab_size

FIELDS = ("puzzles", "solutions", "guesses")
CHUNK = 250  # most puzzles per job when generating in several processes (fewer: every worker gets one)
PROGRESS_CHUNK = 10  # puzzles per progress-bar update when generating in one process


@dataclass
class PuzzleSet:
    """Puzzles and solutions as digits [N, n*n] (0 = blank), solver guesses and band per puzzle."""

    n: int
    puzzles: np.ndarray
    solutions: np.ndarray
    guesses: np.ndarray
    bands: np.ndarray

    def __len__(self) -> int:
        return len(self.puzzles)

    def take(self, index: np.ndarray) -> "PuzzleSet":
        return PuzzleSet(self.n, self.puzzles[index], self.solutions[index], self.guesses[index], self.bands[index])

    @staticmethod
    def interleave(n: int, parts: list["PuzzleSet"]) -> "PuzzleSet":
        """Rows taken in turn from each part, so every prefix mixes the parts evenly."""
        joined = PuzzleSet.concat(n, parts)
        if not parts:
            return joined
        rank = np.concatenate([np.arange(len(p)) for p in parts])
        part = np.concatenate([np.full(len(p), i) for i, p in enumerate(parts)])
        return joined.take(np.lexsort((part, rank)))

    @staticmethod
    def concat(n: int, parts: list["PuzzleSet"]) -> "PuzzleSet":
        cells = n * n
        if not parts:
            empty = np.zeros((0, cells), dtype=np.uint8)
            return PuzzleSet(n, empty, empty.copy(), np.zeros(0, np.int32), np.zeros(0, dtype="<U8"))
        return PuzzleSet(
            n,
            np.concatenate([p.puzzles for p in parts]),
            np.concatenate([p.solutions for p in parts]),
            np.concatenate([p.guesses for p in parts]),
            np.concatenate([p.bands for p in parts]),
        )


def _generate_range(
    n: int, band: str, split: str, seed: int, start: int, stop: int, workers: int
) -> dict[str, np.ndarray]:
    from tqdm import tqdm

    chunk = max(1, min(CHUNK, -(-(stop - start) // workers))) if workers > 1 else PROGRESS_CHUNK
    bounds = list(range(start, stop, chunk)) + [stop]
    jobs = [(n, band, split, seed, a, b) for a, b in zip(bounds, bounds[1:])]
    bar = tqdm(total=stop - start, desc=f"generating {split} {n}x{n} {band} puzzles", unit="puzzle",
               file=sys.stderr, disable=None, leave=False)

    def collect(made: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, ...]]:
        parts = []
        for (*_, a, b), part in zip(jobs, made):
            parts.append(part)
            bar.update(b - a)
        return parts

    with bar:
        if workers <= 1 or len(jobs) <= 1:
            parts = collect(map(generate_items, *zip(*jobs)))
        else:
            with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
                parts = collect(pool.map(generate_items, *zip(*jobs)))
    return {key: np.concatenate([p[k] for p in parts]) for k, key in enumerate(FIELDS)}


def raw_sequence(
    n: int, band: str, split: str, seed: int, count: int, workers: int = 1, cache: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Items 0..count-1 of a seeded sequence of generated puzzles (grown in the cache as needed)."""
    path = sequence_path(split, n, band, seed)
    have = load_sequence(path) if cache else None
    if have is None:
        cells = n * n
        have = {
            "puzzles": np.zeros((0, cells), np.uint8),
            "solutions": np.zeros((0, cells), np.uint8),
            "guesses": np.zeros(0, np.int32),
        }
    start = len(have["puzzles"])
    if start < count:
        new = _generate_range(n, band, split, seed, start, count, workers)
        have = {k: np.concatenate([have[k], new[k]]) for k in FIELDS}
        if cache:
            save_sequence(path, have)
    return have["puzzles"][:count], have["solutions"][:count], have["guesses"][:count]


def puzzle_set(
    n: int,
    band: str,
    split: str,
    seed: int,
    count: int,
    exclude: Iterable[bytes] = (),
    workers: int = 1,
    cache: bool = True,
) -> PuzzleSet:
    """The first `count` distinct puzzles of a seeded sequence whose token keys are not in `exclude`."""
    blocked = set(exclude)
    want = count
    while True:
        puzzles, solutions, guesses = raw_sequence(n, band, split, seed, want, workers, cache)
        keep, seen = [], set(blocked)
        for i, key in enumerate(row_keys(to_tokens(puzzles))):
            if key not in seen:
                seen.add(key)
                keep.append(i)
                if len(keep) == count:
                    break
        if len(keep) == count:
            idx = np.asarray(keep)
            bands = np.full(count, band, dtype="<U8")
            return PuzzleSet(n, puzzles[idx], solutions[idx], guesses[idx], bands)
        want += (count - len(keep)) * 2 + 16


def worker_count(value: int | None) -> int:
    return value if value is not None else (os.cpu_count() or 1)


def held_out_set(
    n: int, bands: list[str], per_band: int, workers: int = 1, cache: bool = True, seed: int = TEST_SEED
) -> PuzzleSet:
    """The fixed held-out puzzles: the first `per_band` of each band's test sequence, bands in turn
    (another `seed` than TEST_SEED gives validation puzzles)."""
    parts = [puzzle_set(n, b, "test", seed, per_band, workers=workers, cache=cache) for b in bands]
    return PuzzleSet.interleave(n, parts)


def training_set(
    n: int,
    bands: list[str],
    total: int,
    seed: int,
    exclude: Iterable[bytes],
    workers: int = 1,
    cache: bool = True,
) -> PuzzleSet:
    """Training puzzles split evenly over bands, from a seed stream disjoint from the test sets'."""
    blocked = frozenset(exclude)
    counts = [total // len(bands) + (i < total % len(bands)) for i in range(len(bands))]
    parts = [
        puzzle_set(n, b, "train", seed, k, blocked, workers, cache)
        for b, k in zip(bands, counts)
        if k
    ]
    return PuzzleSet.concat(n, parts)


def held_out_keys(n: int, test: PuzzleSet, workers: int = 1, cache: bool = True) -> set[bytes]:
    """Token keys of every puzzle training must never see.

    For 4x4 and 6x6 that is the full standard test set of every band (cheap, and small grids
    make collisions possible); for 9x9 the test puzzles of this run (collisions cannot happen
    in practice).
    """
    keys = set(row_keys(to_tokens(test.puzzles)))
    if n in (4, 6):
        full = held_out_set(n, list(BANDS[n]), STANDARD_TEST_PUZZLES, workers, cache)
        keys |= set(row_keys(to_tokens(full.puzzles)))
    return keys


def to_split(puzzles: PuzzleSet) -> Split:
    """Digits -> token split: inputs blank = 1, labels = the solution's tokens on every cell."""
    inputs = to_tokens(puzzles.puzzles)
    labels = to_tokens(puzzles.solutions)
    return Split(inputs=inputs, labels=labels, puzzle_ids=np.zeros(len(inputs), dtype=np.int64))


def materialise(split: Split, augmenter: SudokuAugmenter, copies: int, seed: int) -> Split:
    """The split followed by `copies` randomly transformed copies of every example."""
    rng = np.random.default_rng([seed, 0xA06])
    size = len(split.inputs)
    inputs = np.empty(((copies + 1) * size, *split.inputs.shape[1:]), dtype=split.inputs.dtype)
    labels = np.empty(((copies + 1) * size, *split.labels.shape[1:]), dtype=split.labels.dtype)
    inputs[:size], labels[:size] = split.inputs, split.labels
    for k in range(1, copies + 1):
        rows = slice(k * size, (k + 1) * size)
        inputs[rows], labels[rows] = augmenter(split.inputs, split.labels, rng)
    return Split(inputs=inputs, labels=labels, puzzle_ids=np.zeros(len(inputs), dtype=np.int64))


def build_dataset(cfg: SudokuRecipe) -> TaskData:
    """Train and held-out test splits for the size in cfg.data, with the batch augmenter."""
    d = cfg.data
    n = d.size
    workers = worker_count(d.workers)
    test = held_out_set(n, d.bands("test"), d.test_puzzles, workers, d.cache, d.test_seed)
    keys = held_out_keys(n, test, workers, d.cache)
    train = training_set(n, d.bands("train"), d.train_puzzles, d.seed, keys, workers, d.cache)
    augmenter = SudokuAugmenter(n, vocab_size(n), keys)
    train_split = to_split(train)
    if d.augmentations:
        train_split = materialise(train_split, augmenter, d.augmentations, d.seed)
    problems = [SudokuProblem.from_cells(p.tolist(), n) for p in test.puzzles]
    return TaskData(
        train=train_split,
        test=to_split(test),
        augment=augmenter if d.augment else None,
        problems=problems,
    )
