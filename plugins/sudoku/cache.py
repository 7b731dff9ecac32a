"""On-disk cache of generated puzzle sequences, under the user's cache folder (never the repo)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from trm_hub.files import atomic_write

CACHE_VERSION = "gen-v1"


def cache_dir() -> Path:
    """$TRM_HUB_CACHE, else $XDG_CACHE_HOME/trm-hub, else ~/.cache/trm-hub; plus sudoku/<version>."""
    root = os.environ.get("TRM_HUB_CACHE")
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "trm-hub"
    return base / "sudoku" / CACHE_VERSION


def sequence_path(split: str, n: int, band: str, seed: int) -> Path:
    return cache_dir() / f"{split}-{n}x{n}-{band}-seed{seed}.npz"


def load_sequence(path: Path) -> dict[str, np.ndarray] | None:
    """The cached arrays, or None when absent or unreadable."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in ("puzzles", "solutions", "guesses")}
    except (OSError, ValueError, KeyError):
        return None


def save_sequence(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write arrays atomically (concurrent writers of the same content are harmless)."""
    atomic_write(path, lambda tmp: _savez(tmp, arrays))


def _savez(path: str, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as f:
        np.savez(f, **arrays)
