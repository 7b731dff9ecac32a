"""Seeded generator of unique-solution puzzles with a chosen number of givens and solver effort."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from trm_hub_plugins.sudoku.solver import random_solution, solve

MIN_GIVENS: dict[int, int] = {4: 4, 6: 8, 9: 17}
BAND_NAMES: tuple[str, ...] = ("easy", "medium", "hard", "extreme", "hardest", "searched")


@dataclass(frozen=True)
class Band:
    """A difficulty band: an inclusive range of givens and bounds on the solver's guesses.

    A `held_out_only` band is never trained on and is not part of the standard test sets; the
    eval report judges a model on it besides them. A band that is not `standard` is used only where
    `data.train_bands` or `data.test_bands` names it. With `harden_rounds` each puzzle is searched
    for a harder one with the same solution (`harden`) before the band's bounds are checked."""

    name: str
    givens: tuple[int, int]
    min_guesses: int = 0
    max_guesses: int | None = None
    held_out_only: bool = False
    harden_rounds: int = 0
    standard: bool = True

    def accepts(self, givens: int, guesses: int) -> bool:
        lo, hi = self.givens
        if not lo <= givens <= hi or guesses < self.min_guesses:
            return False
        return self.max_guesses is None or guesses <= self.max_guesses

    def describe(self) -> str:
        """E.g. '17-24 givens, at least 8 guesses of the exact solver'."""
        guesses = f"{self.min_guesses}-{self.max_guesses}" if self.max_guesses is not None else f"at least {self.min_guesses}"
        searched = f", searched for solver effort ({self.harden_rounds} rounds)" if self.harden_rounds else ""
        return f"{self.givens[0]}-{self.givens[1]} givens, {guesses} guesses of the exact solver{searched}"


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
        "hardest": Band("hardest", (17, 24), min_guesses=30, held_out_only=True, harden_rounds=1500, standard=False),
        "searched": Band("searched", (17, 24), min_guesses=10, harden_rounds=300, standard=False),
    },
}


def standard_bands(n: int) -> list[str]:
    """The bands trained on and tested by default."""
    return [name for name, band in BANDS[n].items() if band.standard]


def judge_bands(n: int) -> list[str]:
    """The held-out-only bands of a size (9x9: `hardest`, built the way published collections of the
    hardest puzzles are: searched for solver effort, 17-24 givens, at least 30 guesses)."""
    return [name for name, band in BANDS[n].items() if band.held_out_only]


def band_for(n: int, givens: int, guesses: int) -> str | None:
    """The standard band holding a puzzle with these givens and solver guesses (they never overlap;
    every other band lies inside them)."""
    for band in BANDS[n].values():
        if band.standard and band.accepts(givens, guesses):
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


def harden(puzzle: list[int], solution: list[int], n: int, rng: random.Random, rounds: int) -> tuple[list[int], int]:
    """A hill climb on solver effort: move one given at a time to a blank cell (with the solution's
    digit), keeping a move when the puzzle stays unique and needs no fewer guesses. Returns the
    hardest puzzle found (same solution, same number of givens) and its guesses."""
    best, best_guesses = list(puzzle), solve(puzzle, n, limit=2).guesses
    for _ in range(rounds):
        candidate = list(best)
        given = [i for i, v in enumerate(candidate) if v]
        blank = [i for i, v in enumerate(candidate) if not v]
        moved, into = rng.choice(given), rng.choice(blank)
        candidate[moved], candidate[into] = 0, solution[into]
        result = solve(candidate, n, limit=2)
        if result.count == 1 and result.guesses >= best_guesses:
            best, best_guesses = candidate, result.guesses
    return best, best_guesses


def generate_puzzle(
    n: int,
    rng: random.Random,
    givens: tuple[int, int],
    min_guesses: int = 0,
    max_guesses: int | None = None,
    max_tries: int = 10_000,
    harden_rounds: int = 0,
) -> Puzzle:
    """A unique-solution puzzle with givens in the inclusive range and guesses within bounds
    (after `harden_rounds` rounds of `harden`, if any)."""
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
        if harden_rounds:
            puzzle, guesses = harden(puzzle, solution, n, rng, harden_rounds)
        else:
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
        p = generate_puzzle(n, rng, spec.givens, spec.min_guesses, spec.max_guesses, harden_rounds=spec.harden_rounds)
        puzzles.append(p.puzzle)
        solutions.append(p.solution)
        guesses.append(p.guesses)
    cells = n * n
    return (
        np.asarray(puzzles, dtype=np.uint8).reshape(-1, cells),
        np.asarray(solutions, dtype=np.uint8).reshape(-1, cells),
        np.asarray(guesses, dtype=np.int32),
    )
