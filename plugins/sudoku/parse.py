"""Turn every accepted puzzle shape into an n x n int grid, with messages that say what is wrong."""

from __future__ import annotations

from typing import Any

from trm_hub_plugins.sudoku.geometry import SIZES, geometry

BLANK_CHARS = frozenset(".0_")
CELL_COUNTS = {n * n: n for n in SIZES}
_COUNT_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def _symbol_error(symbol: str, row: int, col: int, n: int) -> ValueError:
    return ValueError(
        f"symbol {symbol!r} at row {row + 1}, column {col + 1} is not a digit 1-{n} "
        f"or a blank ('.', '0' or '_')"
    )


def _cell_from_char(ch: str, row: int, col: int, n: int) -> int:
    if ch in BLANK_CHARS:
        return 0
    if ch.isdigit() and ch.isascii() and 1 <= int(ch) <= n:
        return int(ch)
    raise _symbol_error(ch, row, col, n)


def _strip(text: str) -> str:
    return "".join(text.split())


def _from_string(text: str) -> list[list[int]]:
    cells = _strip(text)
    n = CELL_COUNTS.get(len(cells))
    if n is None:
        nearest = min(CELL_COUNTS, key=lambda k: (abs(k - len(cells)), k))
        size = CELL_COUNTS[nearest]
        raise ValueError(
            f"expected {nearest} cells for a {size}x{size} sudoku, got {len(cells)} "
            f"(a puzzle string has 16, 36 or 81 cells)"
        )
    return [[_cell_from_char(cells[r * n + c], r, c, n) for c in range(n)] for r in range(n)]


def _check_row_count(rows: list[Any]) -> int:
    n = len(rows)
    if n not in SIZES:
        raise ValueError(f"expected 4, 6 or 9 rows, got {n}")
    return n


def _from_row_strings(rows: list[str]) -> list[list[int]]:
    n = _check_row_count(rows)
    grid = []
    for r, text in enumerate(rows):
        cells = _strip(text)
        if len(cells) != n:
            raise ValueError(f"row {r + 1} has {len(cells)} cells, expected {n} (the grid has {n} rows)")
        grid.append([_cell_from_char(ch, r, c, n) for c, ch in enumerate(cells)])
    return grid


def _cell_from_value(value: Any, row: int, col: int, n: int) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 1:
            return _cell_from_char(text, row, col, n)
    elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= n:
        return value
    elif isinstance(value, float) and value.is_integer() and 0 <= value <= n:
        return int(value)
    raise ValueError(
        f"value {value!r} at row {row + 1}, column {col + 1} is not a digit 1-{n} "
        f"or a blank (0 or null)"
    )


def _from_int_rows(rows: list[Any]) -> list[list[int]]:
    n = _check_row_count(rows)
    grid = []
    for r, row in enumerate(rows):
        if len(row) != n:
            raise ValueError(f"row {r + 1} has {len(row)} values, expected {n} (the grid has {n} rows)")
        grid.append([_cell_from_value(v, r, c, n) for c, v in enumerate(row)])
    return grid


def parse_grid(value: Any, key: str = "puzzle") -> list[list[int]]:
    """One string, a list of row strings or a list of int rows -> n x n grid (0 = blank)."""
    if isinstance(value, str):
        return _from_string(value)
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError(f"{key!r} is empty; expected 4, 6 or 9 rows")
        if all(isinstance(row, str) for row in value):
            return _from_row_strings(list(value))
        if all(isinstance(row, (list, tuple)) for row in value):
            return _from_int_rows(list(value))
        for r, row in enumerate(value):
            if not isinstance(row, (str, list, tuple)):
                raise ValueError(
                    f"row {r + 1} of {key!r} is {type(row).__name__} {row!r}; rows must be "
                    f"strings of cells or lists of numbers"
                )
        raise ValueError(f"rows of {key!r} mix strings and lists; use one kind")
    raise ValueError(
        f"{key!r} must be a string of cells, a list of row strings or a list of rows of numbers, "
        f"not {type(value).__name__}"
    )


def find_conflict(grid: list[list[int]]) -> str | None:
    """The first repeated digit in a row, column or box, as a sentence; None if there is none."""
    n = len(grid)
    geo = geometry(n)
    flat = [v for row in grid for v in row]
    kinds = ["row"] * n + ["column"] * n + ["box"] * n
    for u, unit in enumerate(geo.units):
        seen: dict[int, int] = {}
        for i in unit:
            v = flat[i]
            if v:
                seen[v] = seen.get(v, 0) + 1
        for digit, count in seen.items():
            if count > 1:
                index = u % n
                where = f"{kinds[u]} {index + 1}"
                if kinds[u] == "box":
                    where += f" ({geo.box_label(index)})"
                return f"{where} has {_COUNT_WORDS[count]} {digit}s"
    return None
