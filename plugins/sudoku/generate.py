"""Seeded generator of unique-solution puzzles with a chosen number of givens and solver effort."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from trm_hub_plugins.sudoku.solver import random_solution, solve

MIN_GIVENS: dict[int, int] = {4: 4, 6: 8, 9: 17}
BAND_NAMES: tuple[str, ...] = ("easy", "medium", "hard", "extreme")


@dataclass(frozen=True)
class Band:
    """A difficulty band: an inclusive range of givens and bounds on the solver's guesses."""

    name: str
    givens: tuple[int, int]
    min_guesses: int = 0
    max_guesses: int | None = None

    def accepts(self, givens: int, guesses: int) -> bool:
        lo, hi = self.givens
        if not lo <= givens <= hi or guesses < self.min_guesses:
            return False
        return self.max_guesses is None or guesses <= self.max_guesses


BANDS: dict[int, dict[str, Band]] = {
    4: {
        "easy": Band("easy", (10, 12)),
        "medium": Band("medium", (7, 9)),
        "hard": Band("hard", (4, 6)),
    },
    6: {
        "easy": Band("easy", (22, 28)),
        "medium": Band("medium", (15, 21)),
        "hard": Band("hard", (8, 14)),
    },
    9: {
        "easy": Band("easy", (36, 45), max_guesses=0),
        "medium": Band("medium", (28, 35)),
        "hard": Band("hard", (17, 27), min_guesses=1, max_guesses=4),
        "extreme": Band("extreme", (17, 27), min_guesses=5),
    },
}


def band_for(n: int, givens: int, guesses: int) -> str | None:
    """The band holding a puzzle with these givens and solver guesses (bands never overlap)."""
    for band in BANDS[n].values():
        if band.accepts(givens, guesses):
            return band.name
    return None


@dataclass
class Puzzle:
    """A generated puzzle (flat, 0 = blank), its unique solution and the solver's guesses."""

    puzzle: list[int]
    solution: list[int]
    guesses: int

    @property
    def givens(self) -> int:
        return sum(1 for v in self.puzzle if v)


def remove_clues(solution: list[int], n: int, target: int, rng: random.Random) -> list[int]:
    """Blank cells of a full grid in random order, keeping the solution unique, down to `target` givens."""
    puzzle = list(solution)
    order = list(range(n * n))
    rng.shuffle(order)
    givens = n * n
    for cell in order:
        if givens <= target:
            break
        digit = puzzle[cell]
        puzzle[cell] = 0
        if solve(puzzle, n, limit=1, exclude=(cell, digit)).count:
            puzzle[cell] = digit
        else:
            givens -= 1
    return puzzle


def generate_puzzle(
    n: int,
    rng: random.Random,
    givens: tuple[int, int],
    min_guesses: int = 0,
    max_guesses: int | None = None,
    max_tries: int = 10_000,
) -> Puzzle:
    """A unique-solution puzzle with givens in the inclusive range and guesses within bounds."""
    if givens[1] < MIN_GIVENS[n] or givens[0] > givens[1] or givens[0] > n * n:
        raise ValueError(
            f"no {n}x{n} puzzle has {givens[0]}-{givens[1]} givens and a unique solution "
            f"(the fewest possible is {MIN_GIVENS[n]}, the most {n * n})"
        )
    band = Band("custom", givens, min_guesses, max_guesses)
    for _ in range(max_tries):
        solution = random_solution(n, rng)
        puzzle = remove_clues(solution, n, rng.randint(*givens), rng)
        count = sum(1 for v in puzzle if v)
        if not givens[0] <= count <= givens[1]:
            continue
        guesses = solve(puzzle, n, limit=2).guesses
        if band.accepts(count, guesses):
            return Puzzle(puzzle, solution, guesses)
    raise RuntimeError(
        f"no {n}x{n} puzzle with {givens[0]}-{givens[1]} givens and the requested solver effort "
        f"after {max_tries} tries"
    )


_SPLIT_TAGS = {"test": 1, "train": 2}


def item_seed(split: str, n: int, band: str, seed: int, index: int) -> int:
    """The seed of one generated item: split, size, band, run seed and index each change it."""
    entropy = [0x5D0C, _SPLIT_TAGS[split], n, BAND_NAMES.index(band), seed, index]
    return int(np.random.SeedSequence(entropy).generate_state(2, dtype=np.uint64)[0])


def generate_items(
    n: int, band: str, split: str, seed: int, start: int, stop: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Items start..stop-1 of a seeded sequence: puzzles [k, n*n], solutions, guesses [k]."""
    spec = BANDS[n][band]
    puzzles, solutions, guesses = [], [], []
    for index in range(start, stop):
        rng = random.Random(item_seed(split, n, band, seed, index))
        p = generate_puzzle(n, rng, spec.givens, spec.min_guesses, spec.max_guesses)
        puzzles.append(p.puzzle)
        solutions.append(p.solution)
        guesses.append(p.guesses)
    cells = n * n
    return (
        np.asarray(puzzles, dtype=np.uint8).reshape(-1, cells),
        np.asarray(solutions, dtype=np.uint8).reshape(-1, cells),
        np.asarray(guesses, dtype=np.int32),
    )
