"""Out-of-scope problem families shaped after the built-in tasks (chess, games, off-size latin squares,
broken ARC pairs, chemistry strings that are not SMILES, ...): near misses for `bench_router.py families`.

The router does not learn from these (its "none" class comes from generic shapes that name no task);
they measure how it rejects task-shaped problems that the tasks' schemas refuse."""

from __future__ import annotations

import base64
import random
import string
from typing import Any, Callable, Iterator

Maker = Callable[[random.Random], Any]

WORDS = (
    "the a of and to in is that it for on with as was at by be this from or an are not but have "
    "what which when how why who where please solve find compute give tell me my your our their "
    "problem answer question puzzle game board move next best value number list table order "
    "price customer report weather today tomorrow city river mountain train station coffee tea "
    "paper model data science learning network graph tree path shortest route map start goal"
).split()


def _pick(rng: random.Random, options):
    return options[rng.randrange(len(options))]


def _sentence(rng: random.Random, lo: int = 3, hi: int = 18) -> str:
    words = [_pick(rng, WORDS) for _ in range(rng.randint(lo, hi))]
    s = " ".join(words)
    return s[0].upper() + s[1:] + _pick(rng, [".", "?", "!", ""])


def _int_grid(rng: random.Random, rows: int, cols: int, lo: int, hi: int) -> list[list[int]]:
    return [[rng.randint(lo, hi) for _ in range(cols)] for _ in range(rows)]


def _as_rows(grid: list[list[Any]], sep: str = "") -> list[str]:
    return [sep.join(str(c) for c in row) for row in grid]


def _grid_key(rng: random.Random) -> str:
    return _pick(rng, ["grid", "board", "matrix", "cells", "data", "map", "puzzle", "state", "layout"])


def chess_fen(rng: random.Random) -> Any:
    pieces = "pnbrqkPNBRQK"
    rows = []
    for _ in range(8):
        row, empty = "", 0
        for _ in range(8):
            if rng.random() < 0.6:
                empty += 1
            else:
                if empty:
                    row += str(empty)
                    empty = 0
                row += _pick(rng, pieces)
        rows.append(row + (str(empty) if empty else ""))
    fen = "/".join(rows) + f" {_pick(rng, 'wb')} {_pick(rng, ['KQkq', '-', 'Kq', 'k'])} - 0 {rng.randint(1, 60)}"
    key = _pick(rng, ["fen", "position", "board", "chess"])
    extra = _pick(rng, [{}, {"depth": rng.randint(1, 20)}, {"side_to_move": "white"}])
    return {key: fen, **extra}


def chess_board(rng: random.Random) -> Any:
    cells = [[_pick(rng, "pnbrqkPNBRQK") if rng.random() < 0.35 else "." for _ in range(8)] for _ in range(8)]
    fmt = rng.randrange(3)
    board: Any = _as_rows(cells) if fmt == 0 else cells if fmt == 1 else "\n".join(_as_rows(cells))
    return {_pick(rng, ["board", "chess", "position"]): board, "to_move": _pick(rng, ["white", "black", "w", "b"])}


def tic_tac_toe(rng: random.Random) -> Any:
    n = _pick(rng, [3, 3, 3, 4, 5])
    cells = [[_pick(rng, ["X", "O", " ", " "]) for _ in range(n)] for _ in range(n)]
    fmt = rng.randrange(3)
    if fmt == 0:
        return {"board": _as_rows(cells), "player": _pick(rng, "XO")}
    if fmt == 1:
        return {_grid_key(rng): [[{"X": 1, "O": 2, " ": 0}[c] for c in row] for row in cells], "turn": rng.randint(1, 2)}
    return {"board": [[c if c != " " else "" for c in row] for row in cells]}


def connect_four(rng: random.Random) -> Any:
    rows, cols = _pick(rng, [(6, 7), (6, 7), (5, 6), (7, 8)])
    grid = [[0] * cols for _ in range(rows)]
    for c in range(cols):
        for r in range(rows - 1, rows - 1 - rng.randint(0, rows), -1):
            grid[r][c] = rng.randint(1, 2)
    out: dict[str, Any] = {_grid_key(rng): grid}
    if rng.random() < 0.7:
        out[_pick(rng, ["player", "turn", "to_move"])] = rng.randint(1, 2)
    return out


def go_board(rng: random.Random) -> Any:
    n = _pick(rng, [9, 13, 19])
    grid = [[_pick(rng, [0, 0, 0, 1, 2]) for _ in range(n)] for _ in range(n)]
    fmt = rng.randrange(3)
    if fmt == 0:
        return {"board": grid, "komi": _pick(rng, [6.5, 7.5, 0.5]), "to_play": _pick(rng, ["b", "w"])}
    if fmt == 1:
        return {"go": _as_rows([[".XO"[c] for c in row] for row in grid]), "komi": 6.5}
    return {"stones": {"black": [[rng.randrange(n), rng.randrange(n)] for _ in range(rng.randint(1, 20))],
                       "white": [[rng.randrange(n), rng.randrange(n)] for _ in range(rng.randint(1, 20))]},
            "size": n}


def sliding_puzzle(rng: random.Random) -> Any:
    n = _pick(rng, [3, 4, 4, 5])
    tiles = list(range(n * n))
    rng.shuffle(tiles)
    grid = [tiles[i * n:(i + 1) * n] for i in range(n)]
    fmt = rng.randrange(3)
    if fmt == 0:
        return {_pick(rng, ["tiles", "puzzle", "board", "grid", "state"]): grid}
    if fmt == 1:
        return {"start": grid, "goal": [sorted(tiles)[i * n:(i + 1) * n] for i in range(n)]}
    return {"puzzle": " ".join(map(str, tiles)), "size": n}


def game_2048(rng: random.Random) -> Any:
    grid = [[_pick(rng, [0, 0, 2, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]) for _ in range(4)] for _ in range(4)]
    return {_pick(rng, ["board", "grid", "tiles"]): grid, **_pick(rng, [{}, {"score": rng.randint(0, 20000)}])}


def minesweeper(rng: random.Random) -> Any:
    r, c = rng.randint(5, 16), rng.randint(5, 30)
    cells = [[_pick(rng, ["*", ".", ".", "1", "2", "3", "#", "#"]) for _ in range(c)] for _ in range(r)]
    fmt = rng.randrange(3)
    if fmt == 0:
        return {"field": _as_rows(cells), "mines": rng.randint(5, 40)}
    if fmt == 1:
        return {"grid": [[-1 if x == "*" else (int(x) if x.isdigit() else 0) for x in row] for row in cells]}
    return {"minefield": "\n".join(_as_rows(cells))}


def nonogram(rng: random.Random) -> Any:
    n = rng.randint(5, 15)
    clue = lambda: [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]  # noqa: E731
    return {"rows": [clue() for _ in range(n)], "cols": [clue() for _ in range(n)]}


def word_search(rng: random.Random) -> Any:
    n = rng.randint(6, 15)
    letters = [[_pick(rng, string.ascii_uppercase) for _ in range(n)] for _ in range(n)]
    words = ["".join(_pick(rng, string.ascii_uppercase) for _ in range(rng.randint(3, 8))) for _ in range(rng.randint(2, 8))]
    fmt = rng.randrange(2)
    return {"letters" if fmt else "grid": _as_rows(letters) if fmt else letters, "words": words}


def crossword(rng: random.Random) -> Any:
    n = rng.randint(5, 15)
    rows = ["".join(_pick(rng, "#...." + string.ascii_uppercase[:3]) for _ in range(n)) for _ in range(n)]
    clues = {"across": {str(i): _sentence(rng, 2, 6) for i in range(1, rng.randint(3, 8))},
             "down": {str(i): _sentence(rng, 2, 6) for i in range(1, rng.randint(3, 8))}}
    return {"grid": rows, "clues": clues}


def cage_puzzle(rng: random.Random) -> Any:
    n = _pick(rng, [4, 5, 6, 9])
    cages = [{"cells": [[rng.randrange(n), rng.randrange(n)] for _ in range(rng.randint(1, 4))],
              "op": _pick(rng, ["+", "-", "*", "/"]), "target": rng.randint(1, 40)} for _ in range(rng.randint(3, 12))]
    return {"size": n, "cages": cages}


def sokoban(rng: random.Random) -> Any:
    r, c = rng.randint(5, 12), rng.randint(5, 16)
    rows = []
    for i in range(r):
        if i in (0, r - 1):
            rows.append("#" * c)
        else:
            rows.append("#" + "".join(_pick(rng, "    #$.") for _ in range(c - 2)) + "#")
    i = rng.randint(1, r - 2)
    rows[i] = rows[i][:1] + "@" + rows[i][2:]
    return _pick(rng, [{"level": rows}, {"map": "\n".join(rows)}, {"grid": rows}, {"sokoban": rows}])


def rubiks(rng: random.Random) -> Any:
    faces = list("U" * 9 + "R" * 9 + "F" * 9 + "D" * 9 + "L" * 9 + "B" * 9)
    rng.shuffle(faces)
    s = "".join(faces)
    return _pick(rng, [{"cube": s}, {"state": s}, {"scramble": " ".join(_pick(rng, ["R", "U'", "F2", "L", "D'", "B"]) for _ in range(20))}])


def queens(rng: random.Random) -> Any:
    n = rng.randint(4, 12)
    return _pick(rng, [{"n": n}, {"queens": [[i, rng.randrange(n)] for i in range(rng.randint(1, n))], "n": n},
                       {"problem": "n-queens", "size": n}])


def graph_problem(rng: random.Random) -> Any:
    n = rng.randint(4, 30)
    edges = [[rng.randrange(n), rng.randrange(n)] for _ in range(rng.randint(n, 3 * n))]
    fmt = rng.randrange(3)
    if fmt == 0:
        return {"nodes": list(range(n)), "edges": edges, "start": 0, "goal": n - 1}
    if fmt == 1:
        return {"edges": [[a, b, round(rng.uniform(1, 10), 2)] for a, b in edges], "source": 0, "target": n - 1}
    return {"adjacency": [[rng.randint(0, 1) for _ in range(n)] for _ in range(n)], "start": [0], "goal": [n - 1]}


def magic_square(rng: random.Random) -> Any:
    n = _pick(rng, [3, 4, 5])
    vals = list(range(1, n * n + 1))
    rng.shuffle(vals)
    return {_pick(rng, ["square", "grid", "magic"]): [vals[i * n:(i + 1) * n] for i in range(n)]}


def off_size_latin(rng: random.Random) -> Any:
    """Sudoku-like digit grids of sizes no Sudoku task serves (5, 7, 8, 10..16)."""
    n = _pick(rng, [5, 7, 8, 10, 12, 16])
    grid = [[(r + c) % n + 1 if rng.random() < 0.4 else 0 for c in range(n)] for r in range(n)]
    fmt = rng.randrange(3)
    if fmt == 0:
        return {_pick(rng, ["puzzle", "grid", "sudoku"]): grid}
    if fmt == 1 and n <= 9:
        return {_pick(rng, ["puzzle", "grid", "sudoku"]): _as_rows([[x or "." for x in row] for row in grid])}
    alphabet = "0123456789ABCDEFG"
    return {_pick(rng, ["puzzle", "sudoku"]): "".join(alphabet[x] if x < len(alphabet) else "." for row in grid for x in row)}


def out_of_range_grid(rng: random.Random) -> Any:
    """Square grids of Sudoku sizes holding numbers above the Sudoku range."""
    n = _pick(rng, [4, 6, 9])
    hi = _pick(rng, [n + 1, n + 3, 2 * n, 20, 50, 99])
    grid = [[rng.randint(0, hi) if rng.random() < 0.6 else 0 for _ in range(n)] for _ in range(n)]
    grid[rng.randrange(n)][rng.randrange(n)] = hi
    fmt = rng.randrange(3)
    if fmt == 2:
        return {_pick(rng, ["puzzle", "grid", "sudoku"]): [" ".join(map(str, row)) for row in grid]}
    return {_pick(rng, ["puzzle", "grid", "sudoku", "board", "matrix"]): grid}


def letter_grid(rng: random.Random) -> Any:
    n = _pick(rng, [4, 6, 9])
    alphabet = _pick(rng, [string.ascii_uppercase, string.ascii_lowercase, "ABCDEFGHI"])
    cells = "".join(_pick(rng, alphabet + "..") for _ in range(n * n))
    return {_pick(rng, ["puzzle", "grid", "sudoku"]): cells if rng.random() < 0.5 else [cells[i * n:(i + 1) * n] for i in range(n)]}


def binary_grid_no_endpoints(rng: random.Random) -> Any:
    """0/1 occupancy grids (maze-like) with no start or goal."""
    r = rng.randint(5, 30)
    c = r if rng.random() < 0.5 else rng.randint(5, 30)
    grid = [[1 if rng.random() < 0.35 else 0 for _ in range(c)] for _ in range(r)]
    key = _pick(rng, ["grid", "maze", "map", "occupancy", "mask", "walls"])
    extra = _pick(rng, [{}, {}, {"start": [0, 0]}, {"goal": [r - 1, c - 1]}, {"resolution": 0.05}])
    return {key: grid, **extra}


def wall_text_no_endpoints(rng: random.Random) -> Any:
    """Mazes drawn in text with walls but no start or goal marks."""
    r, c = rng.randint(5, 25), rng.randint(5, 40)
    wall, open_ = _pick(rng, [("#", " "), ("#", "."), ("1", "0"), ("X", " "), ("█", " ")])
    rows = ["".join(wall if rng.random() < 0.35 else open_ for _ in range(c)) for _ in range(r)]
    key = _pick(rng, ["maze", "grid", "map", "level"])
    return {key: rows} if rng.random() < 0.5 else {key: "\n".join(rows)}


def arc_like_broken(rng: random.Random) -> Any:
    """Input/output grid pairs that are not the ARC task format, or out of its colour range."""
    def g(hi: int) -> list[list[int]]:
        return _int_grid(rng, rng.randint(2, 12), rng.randint(2, 12), 0, hi)

    fmt = rng.randrange(4)
    if fmt == 0:
        return {"input": g(9), "output": g(9)}
    if fmt == 1:
        return {"train": [{"input": g(9), "output": g(9)} for _ in range(rng.randint(1, 4))]}
    if fmt == 2:
        return {"train": [{"input": g(255), "output": g(255)} for _ in range(rng.randint(1, 4))], "test": [{"input": g(255)}]}
    return {"examples": [{"x": g(9), "y": g(9)} for _ in range(rng.randint(1, 4))], "query": g(9)}


def chemistry_other(rng: random.Random) -> Any:
    """Chemical or biological strings that are not a SMILES query."""
    fmt = rng.randrange(5)
    if fmt == 0:
        return {"formula": "".join(_pick(rng, ["C", "H", "O", "N", "S", "Cl"]) + str(rng.randint(1, 12)) for _ in range(rng.randint(1, 4)))}
    if fmt == 1:
        return {"inchi": "InChI=1S/C" + str(rng.randint(1, 20)) + "H" + str(rng.randint(1, 40)) + "O" + str(rng.randint(1, 6)) + "/c1-2-3/h3H,2H2,1H3"}
    if fmt == 2:
        return {"sequence": "".join(_pick(rng, "ACDEFGHIKLMNPQRSTVWY") for _ in range(rng.randint(20, 300)))}
    if fmt == 3:
        return {"dna": "".join(_pick(rng, "ACGT") for _ in range(rng.randint(20, 300)))}
    return {"name": _pick(rng, ["aspirin", "caffeine", "ethanol", "benzene", "glucose"]), "question": _sentence(rng)}


def plain_text(rng: random.Random) -> Any:
    fmt = rng.randrange(6)
    if fmt == 0:
        return {"text": _sentence(rng, 5, 40)}
    if fmt == 1:
        return {"question": _sentence(rng)}
    if fmt == 2:
        return {"prompt": _sentence(rng, 5, 30), "max_tokens": rng.randint(16, 512)}
    if fmt == 3:
        return {"messages": [{"role": _pick(rng, ["user", "assistant", "system"]), "content": _sentence(rng)} for _ in range(rng.randint(1, 5))]}
    if fmt == 4:
        return _sentence(rng)
    return {"title": _sentence(rng, 2, 6), "body": "\n".join(_sentence(rng) for _ in range(rng.randint(2, 6)))}


def numbers(rng: random.Random) -> Any:
    fmt = rng.randrange(7)
    if fmt == 0:
        return {_pick(rng, ["x", "value", "n", "number"]): _pick(rng, [rng.randint(-1000, 1000), round(rng.uniform(-100, 100), 3)])}
    if fmt == 1:
        return {_pick(rng, ["values", "numbers", "data", "xs"]): [round(rng.gauss(0, 10), 2) for _ in range(rng.randint(1, 50))]}
    if fmt == 2:
        return {"a": rng.randint(0, 99), "b": rng.randint(0, 99), "op": _pick(rng, ["+", "-", "*", "/"])}
    if fmt == 3:
        return {"equation": f"{rng.randint(1, 9)}x + {rng.randint(0, 9)} = {rng.randint(0, 50)}"}
    if fmt == 4:
        n = rng.randint(2, 8)
        return {"matrix": [[round(rng.uniform(-5, 5), 2) for _ in range(n)] for _ in range(n)]}
    if fmt == 5:
        return _pick(rng, [rng.randint(0, 10**6), [rng.randint(0, 100) for _ in range(rng.randint(1, 20))], 3.14])
    return {"expression": " ".join(str(rng.randint(1, 99)) + _pick(rng, [" +", " *", " -"]) for _ in range(3)) + " 1"}


def image_array(rng: random.Random) -> Any:
    h, w = rng.randint(4, 32), rng.randint(4, 32)
    fmt = rng.randrange(4)
    if fmt == 0:
        return {_pick(rng, ["image", "img", "pixels"]): [[[rng.randint(0, 255) for _ in range(3)] for _ in range(w)] for _ in range(h)]}
    if fmt == 1:
        return {_pick(rng, ["image", "pixels", "gray"]): _int_grid(rng, h, w, 0, 255)}
    if fmt == 2:
        return {"image": [[round(rng.random(), 3) for _ in range(w)] for _ in range(h)], "label": rng.randint(0, 9)}
    raw = bytes(rng.randrange(256) for _ in range(rng.randint(30, 300)))
    return {"image": "data:image/png;base64," + base64.b64encode(b"\x89PNG" + raw).decode()}


def empty_like(rng: random.Random) -> Any:
    return _pick(rng, [
        {}, [], {"grid": []}, {"puzzle": ""}, {"data": None}, {"train": [], "test": []}, {"smiles": ""},
        {"maze": ""}, {"grid": [[]]}, {"input": None}, {"problem": {}}, {"smiles": []}, "", None,
        {"sudoku": None}, {"maze": []}, {"task": None},
    ])


def record(rng: random.Random) -> Any:
    fmt = rng.randrange(4)
    if fmt == 0:
        return {"name": _pick(rng, ["Ada", "Bob", "Chen", "Dana"]), "age": rng.randint(18, 90),
                "email": f"user{rng.randint(1, 999)}@example.com", "tags": [_pick(rng, WORDS) for _ in range(rng.randint(0, 4))]}
    if fmt == 1:
        return {"id": rng.randint(1, 10**6), "items": [{"sku": f"A{rng.randint(100, 999)}", "qty": rng.randint(1, 5),
                "price": round(rng.uniform(1, 99), 2)} for _ in range(rng.randint(1, 5))], "paid": rng.random() < 0.5}
    if fmt == 2:
        return {"user": {"id": rng.randint(1, 99), "profile": {"city": _pick(rng, WORDS), "active": True}}, "ts": "2024-05-01T12:00:00Z"}
    return {"config": {"lr": 0.001, "layers": rng.randint(1, 12), "activation": _pick(rng, ["relu", "gelu"])}}


def time_series(rng: random.Random) -> Any:
    n = rng.randint(5, 100)
    return {"timestamps": [1700000000 + 60 * i for i in range(n)], "values": [round(rng.gauss(20, 5), 2) for _ in range(n)]}


def tabular(rng: random.Random) -> Any:
    cols = rng.randint(2, 6)
    return {"columns": [_pick(rng, WORDS) for _ in range(cols)],
            "rows": [[_pick(rng, [rng.randint(0, 100), _pick(rng, WORDS), round(rng.random(), 2)]) for _ in range(cols)] for _ in range(rng.randint(1, 12))]}


def code_snippet(rng: random.Random) -> Any:
    name = _pick(rng, ["f", "solve", "main", "add"])
    return _pick(rng, [
        {"code": f"def {name}(x):\n    return x * {rng.randint(2, 9)}\n", "language": "python"},
        {"sql": f"SELECT * FROM orders WHERE total > {rng.randint(1, 500)} ORDER BY id"},
        {"source": f"int {name}(int a) {{ return a + {rng.randint(1, 9)}; }}", "lang": "c"},
    ])


def geojson(rng: random.Random) -> Any:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(rng.uniform(-180, 180), 5), round(rng.uniform(-90, 90), 5)]},
            "properties": {"name": _pick(rng, WORDS)}}


def battleship(rng: random.Random) -> Any:
    n = 10
    cells = [["~" if rng.random() < 0.8 else _pick(rng, "SHM") for _ in range(n)] for _ in range(n)]
    return {"ocean": _as_rows(cells), "shots": [[rng.randrange(n), rng.randrange(n)] for _ in range(rng.randint(1, 10))]}


def dice_cards(rng: random.Random) -> Any:
    return _pick(rng, [
        {"dice": [rng.randint(1, 6) for _ in range(5)], "rerolls": rng.randint(0, 2)},
        {"hand": [_pick(rng, "23456789TJQKA") + _pick(rng, "shdc") for _ in range(5)]},
        {"deck": rng.sample(range(52), 52)},
    ])


TRAIN_FAMILIES: dict[str, Maker] = {
    f.__name__: f for f in (
        chess_fen, chess_board, tic_tac_toe, connect_four, go_board, sliding_puzzle, game_2048,
        minesweeper, nonogram, word_search, crossword, cage_puzzle, sokoban, rubiks, queens,
        graph_problem, magic_square, off_size_latin, out_of_range_grid, letter_grid,
        binary_grid_no_endpoints, wall_text_no_endpoints, arc_like_broken, chemistry_other,
        plain_text, numbers, image_array, empty_like, record, time_series,
    )
}
"""Families the former router was fit on."""

HELD_OUT_FAMILIES: dict[str, Maker] = {f.__name__: f for f in (tabular, code_snippet, geojson, battleship, dice_cards)}
"""Families the former router kept out of fitting."""


def out_of_scope_examples(n: int, seed: int, families: dict[str, Maker] | None = None) -> Iterator[tuple[str, Any]]:
    """Yield n (family, problem) pairs, cycling through the families in a seeded order."""
    fams = list((families or TRAIN_FAMILIES).items())
    rng = random.Random(seed)
    for i in range(n):
        if i % len(fams) == 0:
            rng.shuffle(fams)
        name, make = fams[i % len(fams)]
        yield name, make(rng)
