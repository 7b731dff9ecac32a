"""Task-agnostic features of a raw JSON problem: keys, nesting, shapes, value ranges, characters."""

from __future__ import annotations

from typing import Any

FEATURES_VERSION = 2
MAX_ITEMS = 64
MAX_DEPTH = 6
MAX_CHARS = 1024
BLANKS = frozenset({0, None, ".", "_", " ", "0", ""})


def size(n: int) -> str:
    """Small counts exactly, larger ones by power-of-two bucket (above 2**20: "huge")."""
    if n <= 10 or n > 1 << 20:
        return str(n) if n <= 10 else "huge"
    top = 16
    while n > top:
        top *= 2
    return f"{top // 2 + 1}-{top}"


def number(v: float) -> str:
    """Coarse bucket of a number's value."""
    if v != v or v in (float("inf"), float("-inf")):
        return "nan"
    if v < 0:
        return "neg"
    if isinstance(v, float) and not v.is_integer():
        return "frac" if v < 1 else "real"
    return size(int(v))


_KINDS = ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"), (dict, "dict"), (list, "list"),
          (tuple, "list"))


def kind(v: Any, deep: bool = True) -> str:
    """One-word JSON type of a value; lists also say the type of their first items."""
    if deep and isinstance(v, (list, tuple)):
        kinds = {kind(x, False) for x in v[:8]}
        return f"list<{kinds.pop() if len(kinds) == 1 else 'mix' if kinds else ''}>"
    return next((name for t, name in _KINDS if isinstance(v, t)), "null" if v is None else "other")


def key(k: Any) -> str:
    """Normalised dict key: lower case, at most 24 characters, digits-only keys collapsed."""
    s = str(k).strip().lower()[:24]
    return "<num>" if s.isdigit() else "".join(c if c.isalnum() else "_" for c in s)


def chars(s: str) -> set[str]:
    """Features of a text's characters: each ASCII one, the classes present, how many distinct."""
    distinct = set(s[:MAX_CHARS])
    out = {"c=" + (c if c.isascii() and c.isprintable() else "<u>") for c in distinct}
    for c in distinct:
        out.add("cc:" + ("digit" if c.isdigit() else "space" if c.isspace() else "upper" if c.isupper()
                         else "lower" if c.islower() else "punct" if c.isascii() else "other"))
    out.add("c:n=" + size(len(distinct)))
    return out


def grid(rows: list, text: bool) -> set[str]:
    """Features of a 2-D grid of scalar cells (a list of rows, or text lines)."""
    widths = {len(r) for r in rows}
    nr, nc = len(rows), max(widths)
    out = {"g", "g:text" if text else "g:list", "g:rect" if len(widths) == 1 else "g:ragged",
           f"g:r={size(nr)}", f"g:c={size(nc)}"}
    if widths == {nr}:
        out |= {"g:square", f"g:side={size(nr)}"}
    head = [r[:MAX_ITEMS] for r in rows[:MAX_ITEMS]]
    distinct = set().union(*head)
    out |= {"g:cell=" + kind(c) for c in {type(c): c for c in distinct}.values()}
    values = {int(c) for c in distinct if (isinstance(c, int) and not isinstance(c, bool))
              or (isinstance(c, str) and len(c) == 1 and c.isdigit())}
    if distinct & BLANKS:
        out.add("g:blanks")
    if values:
        lo, hi = min(values), max(values)
        out |= {f"g:min={number(lo)}", f"g:max={number(hi)}", f"g:nv={size(len(values))}"}
        out.add("g:01" if values <= {0, 1} else "g:max<=side" if 0 <= lo and hi <= max(nr, nc) else "g:max>side")
        out.add("g:rowdup" if any(repeats(r) for r in head) else "g:rowuniq")
    texts = "".join(c for c in distinct if isinstance(c, str) and not c.isdigit())
    if texts:
        out |= {"g" + f for f in chars(texts)}
    return out


def repeats(row: Any) -> bool:
    """Whether a value other than a blank appears twice in a row."""
    cells = set(row)
    blank = cells & BLANKS
    return len(cells) - len(blank) < len(row) - sum(row.count(b) for b in blank)


def is_grid(v: list) -> bool:
    """A list of at least two rows: lists of scalars, or strings of similar length."""
    if len(v) >= 2 and all(isinstance(r, (list, tuple)) for r in v[:MAX_ITEMS]):
        try:
            return not any(isinstance(c, tuple) for c in set().union(*(r[:MAX_ITEMS] for r in v[:MAX_ITEMS])))
        except TypeError:
            return False
    lens = {len(r) if isinstance(r, str) else -1 for r in v[:MAX_ITEMS]}
    return len(v) >= 2 and -1 not in lens and 2 <= max(lens) <= 256 and (len(lens) == 1 or len(v) >= 4)


def walk(v: Any, path: str, depth: int, out: set[str]) -> None:
    """Add the features of value `v` found at `path` (a /-joined key path)."""
    if depth > MAX_DEPTH:
        return
    out.add(f"p={path}:{kind(v)}" if depth <= 3 else "deep:" + kind(v))
    if isinstance(v, dict):
        out.add(f"d:n={size(len(v))}")
        for k, x in list(v.items())[:MAX_ITEMS]:
            out.add("k=" + key(k))
            walk(x, f"{path}/{key(k)}", depth + 1, out)
    elif isinstance(v, (list, tuple)):
        out.add(f"l:n={size(len(v))}")
        if is_grid(v):
            out |= grid(list(v), text=isinstance(v[0], str))
        else:
            for x in v[:16]:
                walk(x, path + "/[]", depth + 1, out)
    elif isinstance(v, str):
        out.add(f"s:len={size(len(v))}")
        if len(v) >= 4 and int(len(v) ** 0.5) ** 2 == len(v):
            out.add("s:square")
        lines = v.strip("\n").split("\n")
        if len(lines) >= 2:
            out |= grid(lines, text=True)
        else:
            out |= chars(v) | {f"s:words={size(len(v.split()))}"}
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        out.add("n=" + number(v))


def featurize(obj: Any) -> set[str]:
    """Names of the features of one raw problem (any JSON value); no task is known by name."""
    out: set[str] = set()
    walk(obj, "", 0, out)
    return out
