"""Task-agnostic features of a raw JSON problem: structure, shapes, value alphabets, characters."""

from __future__ import annotations

import string
from collections import Counter
from itertools import chain
from typing import Any

TASK_KEY = "task"
FEATURES_VERSION = 1
MAX_ITEMS = 64
MAX_DEPTH = 8
MAX_PATH_DEPTH = 4
MAX_CHARS = 1024
BLANKS = frozenset({0, None, ".", "_", " ", "0", ""})
_PUNCT = frozenset(string.punctuation)
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


def _bin(n: int) -> str:
    """Small counts exactly, larger ones by power-of-two bucket."""
    if n <= 4:
        return str(n)
    top = 8
    while n > top:
        top *= 2
    return f"{top // 2 + 1}-{top}"


def _num_bin(v: float) -> str:
    """Coarse bucket of a number's value."""
    if v != v:
        return "nan"
    if v < 0:
        return "neg"
    if v == 0:
        return "0"
    if v < 1:
        return "frac"
    if v <= 32 and float(v).is_integer():
        return str(int(v))
    if v == float("inf"):
        return "inf"
    return _bin(int(v))


_KEYS: dict[str, str] = {}


def _key(k: Any) -> str:
    """Normalised dict key: lower case, at most 32 characters, digits-only keys collapsed."""
    raw = str(k)
    found = _KEYS.get(raw)
    if found is None:
        s = raw.strip().lower()[:32]
        found = "<num>" if s.isdigit() else "".join(c if c.isalnum() else "_" for c in s)
        if len(_KEYS) < 10_000:
            _KEYS[raw] = found
    return found


_KINDS = {type(None): "null", bool: "bool", int: "int", float: "float", str: "str", dict: "dict", list: "list",
          tuple: "list"}


def value_kind(v: Any) -> str:
    """One-word type of a JSON value."""
    kind = _KINDS.get(type(v))
    if kind is not None:
        return kind
    for t, name in _KINDS.items():
        if isinstance(v, t):
            return name
    return "other"


def list_kind(v: list) -> str:
    """Type signature of a list from its first items, e.g. list<int>, list<list>, list<mix>."""
    if not v:
        return "list<>"
    kinds = set(map(value_kind, v[:8]))
    return f"list<{kinds.pop()}>" if len(kinds) == 1 else "list<mix>"


class _Featurizer:
    """Walks one JSON value and collects named features.

    Every feature is an indicator (1.0) except names starting with '~' (a fraction in [0, 1]);
    names starting with '#' (counts, sizes, key-and-type pairs) are left out of the novelty check.
    """

    def __init__(self) -> None:
        self.f: dict[str, float] = {}
        self.depth = 0
        self.n_str = 0
        self.n_num = 0
        self.n_grid = 0
        self.n_leaf = 0
        self.chars: dict[str, int] = {"digit": 0, "upper": 0, "lower": 0, "space": 0, "punct": 0, "other": 0}
        self.n_chars = 0

    def on(self, name: str) -> None:
        self.f[name] = 1.0

    def run(self, obj: Any) -> dict[str, float]:
        self.on("top=" + value_kind(obj))
        if isinstance(obj, dict):
            self.on("#top:nk=" + _bin(len(obj)))
            for k, v in obj.items():
                kk = _key(k)
                self.on("K=" + kk)
                self.on(f"#K={kk}:{list_kind(v) if isinstance(v, list) else value_kind(v)}")
        self.visit(obj, "", 0)
        f = self.f
        f["#depth=" + str(min(self.depth, MAX_DEPTH))] = 1.0
        f["#nstr=" + _bin(self.n_str)] = 1.0
        f["#nnum=" + _bin(self.n_num)] = 1.0
        f["#ngrid=" + _bin(self.n_grid)] = 1.0
        f["#nleaf=" + _bin(self.n_leaf)] = 1.0
        if self.n_chars:
            for cls, count in self.chars.items():
                if count:
                    f["~cc:" + cls] = count / self.n_chars
                    f["cc:" + cls] = 1.0
            f["#nchars=" + _bin(self.n_chars)] = 1.0
        return f

    def visit(self, v: Any, path: str, depth: int) -> None:
        self.depth = max(self.depth, depth)
        if depth > MAX_DEPTH:
            return
        if depth and depth <= MAX_PATH_DEPTH:
            kind = list_kind(v) if isinstance(v, list) else value_kind(v)
            self.on(f"#p={path}:{kind}")
        if isinstance(v, dict):
            self.dict_(v, path, depth)
        elif isinstance(v, (list, tuple)):
            self.list_(list(v), path, depth)
        elif isinstance(v, str):
            self.str_(v)
        elif isinstance(v, bool):
            self.n_leaf += 1
            self.on("n:bool")
        elif isinstance(v, (int, float)):
            self.n_leaf += 1
            self.n_num += 1
            self.on("n:" + value_kind(v))
            self.on("#n:v=" + _num_bin(v))
        elif v is None:
            self.n_leaf += 1
            self.on("n:null")

    def dict_(self, d: dict, path: str, depth: int) -> None:
        self.on("#d:nk=" + _bin(len(d)))
        if not d:
            self.on("d:empty")
        for i, (k, v) in enumerate(d.items()):
            if i >= MAX_ITEMS:
                break
            kk = _key(k)
            if depth:
                self.on("k=" + kk)
            self.visit(v, f"{path}/{kk}" if path else kk, depth + 1)

    def list_(self, items: list, path: str, depth: int) -> None:
        n = len(items)
        self.on("#L:n=" + _bin(n))
        if not n:
            self.on("L:empty")
            return
        head = items[:MAX_ITEMS]
        types = set(map(type, head))
        kinds = {"list"} if types <= {list, tuple} else {value_kind(x) for x in head}
        sub = f"{path}/[]"
        if kinds == {"list"}:
            if set(map(type, chain.from_iterable(head))) <= _SCALAR_TYPES:
                self.grid(items)
                return
            self.on("L:nested")
            self.on("#L:nested_n=" + _bin(n))
            inner = {len(r) for r in head}
            if len(inner) == 1:
                self.on("#L:nested_inner=" + _bin(inner.pop()))
            for x in head[:8]:
                self.visit(x, sub, depth + 1)
            return
        if kinds == {"str"}:
            lens = {len(s) for s in head}
            if n >= 2 and max(lens) >= 2 and (len(lens) == 1 or n >= 4) and max(lens) <= 256:
                self.on("ls:rows")
                self.grid(items, from_text=True)
                return
            self.on("#ls:n=" + _bin(n))
            for s in head:
                self.str_(s)
            return
        if kinds <= {"int", "float", "bool", "null"}:
            self.on("#l1:n=" + _bin(n))
            if n <= 8:
                self.on(f"#l1:len={n}")
            for k in kinds:
                self.on("l1:" + k)
            nums = [x for x in head if isinstance(x, (int, float)) and not isinstance(x, bool)]
            self.n_num += len(nums)
            self.n_leaf += n
            if nums:
                self.on("#l1:min=" + _num_bin(min(nums)))
                self.on("#l1:max=" + _num_bin(max(nums)))
            return
        if len(kinds) > 1:
            self.on("L:mix")
        if kinds == {"dict"}:
            self.on("#ld:n=" + _bin(n))
        for x in head[:16]:
            self.visit(x, sub, depth + 1)

    def str_(self, s: str) -> None:
        self.n_str += 1
        self.n_leaf += 1
        n = len(s)
        self.on("#s:len=" + (str(n) if n <= 100 else _bin(n)))
        r = int(round(n**0.5))
        if n >= 4 and r * r == n:
            self.on("s:lensq")
        if not n:
            self.on("s:empty")
            return
        if "\n" in s:
            lines = s.strip("\n").split("\n")
            if len(lines) >= 2:
                self.on("s:multiline")
                self.grid(lines, from_text=True)
                return
        words = len(s.split())
        self.on("#s:words=" + _bin(words))
        self.count_chars(s[:MAX_CHARS], "sc=")

    def count_chars(self, s: str, prefix: str) -> None:
        cc = self.chars
        for ch in set(s):
            c = s.count(ch)
            if ch.isdigit():
                cc["digit"] += c
            elif ch.isspace():
                cc["space"] += c
            elif ch.isupper():
                cc["upper"] += c
            elif ch.islower():
                cc["lower"] += c
            elif ch in _PUNCT:
                cc["punct"] += c
            else:
                cc["other"] += c
            self.on(prefix + (ch if ch.isascii() and ch.isprintable() else "<u>"))
        self.n_chars += len(s)
        self.on("#" + prefix + "n=" + _bin(len(set(s))))

    def grid(self, rows: list, from_text: bool = False) -> None:
        """Features of a 2-D grid of scalar cells (a list of rows, or text lines)."""
        self.n_grid += 1
        nr = len(rows)
        lens = {len(r) for r in rows}
        nc = max(lens)
        self.on("g")
        self.on("g:text" if from_text else "g:list")
        self.on("g:rect" if len(lens) == 1 else "g:ragged")
        self.on("#g:r=" + (str(nr) if nr <= 32 else _bin(nr)))
        self.on("#g:c=" + (str(nc) if nc <= 32 else _bin(nc)))
        if len(lens) == 1 and nr == nc:
            self.on("g:sq")
            self.on("#g:side=" + (str(nr) if nr <= 32 else _bin(nr)))
        head = rows[:MAX_ITEMS]
        wide = any(len(r) > MAX_ITEMS for r in head)
        counts: Counter = Counter(chain.from_iterable(r[:MAX_ITEMS] for r in head) if wide else chain.from_iterable(head))
        n_cells = sum(counts.values())
        self.n_leaf += n_cells
        types = set(map(type, counts))
        kinds = set(map(value_kind, counts)) if types - {int, str} else {_KINDS[t] for t in types}
        values: set = set()
        texts: list[str] = []
        if types == {int}:
            values = set(counts)
        else:
            for c in counts:
                if isinstance(c, bool):
                    continue
                if isinstance(c, int):
                    values.add(c)
                elif isinstance(c, str) and len(c) == 1 and c.isdigit():
                    values.add(int(c))
                elif isinstance(c, str):
                    texts.append(c)
        if "str" in kinds:
            self.on("g:cell=str1" if all(len(c) <= 1 for c in counts if isinstance(c, str)) else "g:cell=str")
        for k in kinds - {"str"}:
            self.on("g:cell=" + k)
        if "int" in kinds:
            self.n_num += n_cells
        blanks = sum(counts[b] for b in BLANKS if b in counts)
        self.f["~g:blank"] = max(self.f.get("~g:blank", 0.0), blanks / max(n_cells, 1))
        if blanks:
            self.on("g:blanks")
        if values:
            lo, hi = min(values), max(values)
            self.on("#g:vmin=" + _num_bin(lo))
            self.on("#g:vmax=" + _num_bin(hi))
            self.on("#g:nv=" + _bin(len(values)))
            if values <= {0, 1}:
                self.on("g:01")
            self.on("g:vmax<=side" if 0 <= lo and hi <= max(nr, nc) else "g:vmax>side")
            self.dup_check(head)
        if texts:
            self.count_chars("".join(texts)[:MAX_CHARS], "gc=")

    def dup_check(self, rows: list) -> None:
        """Whether non-blank values repeat within a row or a column."""

        def dup(lines) -> bool:
            for line in lines:
                distinct = set(line)
                blank = distinct & BLANKS
                filled = len(line) - sum(line.count(b) for b in blank)
                if len(distinct) - len(blank) != filled:
                    return True
            return False

        rows = [r[:32] for r in rows[:32]]
        self.on("g:rowdup" if dup(rows) else "g:rowuniq")
        if len({len(r) for r in rows}) == 1:
            self.on("g:coldup" if dup(list(zip(*rows))) else "g:coluniq")


def without_task_key(problem: Any) -> Any:
    """The problem without its routing-only "task" key (a new dict); anything else is unchanged."""
    if isinstance(problem, dict) and TASK_KEY in problem:
        return {k: v for k, v in problem.items() if k != TASK_KEY}
    return problem


def featurize(obj: Any) -> dict[str, float]:
    """Named features of one raw problem (any JSON value); no task is known by name."""
    return _Featurizer().run(obj)
