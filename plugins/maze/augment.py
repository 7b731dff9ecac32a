"""The 8 symmetries of the square, applied to flattened square canvases in a batch."""

from __future__ import annotations

import numpy as np

_PERMS: dict[int, np.ndarray] = {}


def dihedral_permutations(canvas: int) -> np.ndarray:
    """[8, canvas*canvas] gather indices: out[:, k] = x[:, perm[t, k]] applies symmetry t."""
    if canvas not in _PERMS:
        base = np.arange(canvas * canvas).reshape(canvas, canvas)
        views = []
        for t in range(8):
            view = np.rot90(base, k=t % 4)
            views.append((view.T if t >= 4 else view).reshape(-1))
        _PERMS[canvas] = np.stack(views)
    return _PERMS[canvas]


def dihedral(inputs: np.ndarray, labels: np.ndarray, rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray]:
    """Apply one random symmetry of the square per example to inputs and labels [B, c*c]
    (numpy arrays or torch tensors)."""
    batch, length = inputs.shape
    canvas = int(round(length ** 0.5))
    if canvas * canvas != length:
        raise ValueError(f"sequence length {length} is not a square canvas")
    perm = dihedral_permutations(canvas)[rng.integers(0, 8, size=batch)]
    if isinstance(inputs, np.ndarray):
        return np.take_along_axis(inputs, perm, axis=1), np.take_along_axis(labels, perm, axis=1)
    import torch

    index = torch.as_tensor(perm, device=inputs.device)
    return inputs.gather(1, index), labels.gather(1, index)
