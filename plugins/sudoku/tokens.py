"""Token layout shared by every size: 0 = pad, 1 = blank, 2..n+1 = digits 1..n (vocab n + 2)."""

from __future__ import annotations

import numpy as np

PAD = 0
BLANK = 1
DIGIT_OFFSET = 2


def vocab_size(n: int) -> int:
    """Vocabulary of an n x n model: pad, blank and n digits."""
    return n + DIGIT_OFFSET


def to_tokens(cells: np.ndarray) -> np.ndarray:
    """Digits (0 = blank) -> tokens, any shape, int64."""
    cells = np.asarray(cells, dtype=np.int64)
    return np.where(cells == 0, BLANK, cells + DIGIT_OFFSET - 1)


def to_digits(tokens: np.ndarray, n: int) -> np.ndarray:
    """Tokens -> digits 1..n; pad, blank and out-of-range tokens become 0."""
    tokens = np.asarray(tokens, dtype=np.int64)
    digits = tokens - DIGIT_OFFSET + 1
    return np.where((digits >= 1) & (digits <= n), digits, 0)
