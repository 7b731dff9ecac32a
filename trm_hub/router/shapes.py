"""Generic JSON shapes that name no task: what the router's "none" class is learnt from."""

from __future__ import annotations

import random
import string
from typing import Any, Callable, Iterator

WORDS = ("id name value data items text type count values rows cols grid matrix table image board map list "
         "input output query result score size width height start end source target state level field cells "
         "label tags config options user price date time note title body message content key index mask "
         "points edges nodes weights pixels numbers digits code seq pattern layout puzzle problem").split()


def _word(rng: random.Random) -> str:
    return rng.choice(WORDS) if rng.random() < 0.8 else "".join(rng.choices(string.ascii_lowercase, k=rng.randint(1, 9)))


def _text(rng: random.Random) -> str:
    return " ".join(_word(rng) for _ in range(rng.randint(1, 20))).capitalize() + rng.choice([".", "?", ""])


def _token(rng: random.Random) -> str:
    alphabet = rng.choice([string.ascii_letters, string.digits, string.ascii_uppercase + string.digits,
                           string.ascii_letters + string.digits + "+/=", string.printable[:94], "ACGT", "#. @*"])
    return "".join(rng.choices(alphabet, k=rng.randint(1, 120)))


def _scalar(rng: random.Random) -> Any:
    return rng.choice([lambda: rng.randint(-5, 100), lambda: round(rng.uniform(-50, 50), 3), lambda: _text(rng),
                       lambda: _token(rng), lambda: rng.random() < 0.5, lambda: None])()


def _nested(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random() if depth < 3 else 1.0
    if roll < 0.4:
        return {_word(rng): _nested(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    if roll < 0.6:
        return [_nested(rng, depth + 1) for _ in range(rng.randint(0, 6))]
    return _scalar(rng)


def _table(rng: random.Random, hi: int) -> list[list[int]]:
    rows, cols = rng.randint(1, 30), rng.randint(1, 30)
    if rng.random() < 0.4:
        cols = rows
    return [[rng.randint(0, hi) for _ in range(cols)] for _ in range(rows)]


def _text_grid(rng: random.Random) -> Any:
    alphabet = rng.choice([string.ascii_uppercase, string.digits, "#. ", "XO .", "01", "~SHM", string.punctuation])
    width = rng.randint(2, 30)
    rows = ["".join(rng.choices(alphabet, k=width)) for _ in range(rng.randint(2, 30))]
    return rows if rng.random() < 0.5 else "\n".join(rows)


def _with_extras(rng: random.Random, value: Any) -> dict[str, Any]:
    out = {_word(rng): value}
    for _ in range(rng.choice([0, 0, 1, 2])):
        out[_word(rng)] = rng.choice([_scalar(rng), [rng.randint(0, 30), rng.randint(0, 30)]])
    return out


SHAPES: dict[str, Callable[[random.Random], Any]] = {
    "nested": lambda rng: _nested(rng),
    "text": lambda rng: rng.choice([_text(rng), {_word(rng): _text(rng)}, [_text(rng) for _ in range(3)]]),
    "token": lambda rng: _with_extras(rng, _token(rng)),
    "numbers": lambda rng: _with_extras(rng, [round(rng.gauss(0, 50), rng.choice([0, 2])) for _ in range(rng.randint(1, 40))]),
    "bitmap": lambda rng: _with_extras(rng, _table(rng, 1)),
    "small_ints": lambda rng: _with_extras(rng, _table(rng, rng.randint(2, 12))),
    "big_ints": lambda rng: _with_extras(rng, _table(rng, rng.choice([20, 99, 255, 1000]))),
    "text_grid": lambda rng: _with_extras(rng, _text_grid(rng)),
    "records": lambda rng: {_word(rng): [{_word(rng): _scalar(rng) for _ in range(3)} for _ in range(rng.randint(1, 6))]},
    "pairs": lambda rng: {_word(rng): [{_word(rng): _table(rng, 9), _word(rng): _table(rng, 9)} for _ in range(2)]},
    "empty": lambda rng: rng.choice([{}, [], "", None, 0, {_word(rng): rng.choice([None, "", [], {}, [[]]])}]),
}
"""The kinds of shape, each a function of a seeded random.Random."""
HELD_OUT = ("records", "pairs")
"""Shapes kept out of fitting, to measure rejection of kinds of input never seen."""


def generic_shapes(n: int, seed: int, kinds: tuple[str, ...] | None = None) -> Iterator[tuple[str, Any]]:
    """n (kind, problem) pairs of generic shapes, cycling through the kinds (default: all but HELD_OUT)."""
    names = [k for k in SHAPES if k not in HELD_OUT] if kinds is None else list(kinds)
    rng = random.Random(seed)
    for i in range(n):
        yield names[i % len(names)], SHAPES[names[i % len(names)]](rng)
