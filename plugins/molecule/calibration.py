"""Uncertainty from validation data: a standard deviation built from the spread over SMILES and the
distance to the training molecules, and interval coverage."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

META_KEY = "calibration"


@dataclass(frozen=True)
class Calibration:
    """sd = sqrt((spread_scale * spread)^2 + floor^2 + (distance_scale * (1 - similarity))^2),
    fitted by maximum likelihood on validation errors.

    `spread` is the standard deviation of a model's predictions over several SMILES of a
    molecule; `similarity` its nearest Tanimoto similarity to the training molecules (so the sd
    grows for a molecule unlike any trained on); `floor` (in the property's unit) is the error
    that neither shows. A calibration without `distance_scale` (older checkpoints) uses the
    spread alone.
    """

    spread_scale: float
    floor: float
    fitted_on: str = ""
    distance_scale: float = 0.0

    def sd(self, spread: np.ndarray, similarity: np.ndarray | None = None) -> np.ndarray:
        spread = np.asarray(spread, dtype=np.float64)
        var = (self.spread_scale * spread) ** 2 + self.floor**2
        if similarity is not None and self.distance_scale:
            var = var + (self.distance_scale * (1.0 - np.asarray(similarity, dtype=np.float64))) ** 2
        return np.sqrt(var)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def fit_calibration(spread: np.ndarray, errors: np.ndarray, fitted_on: str = "",
                    similarity: np.ndarray | None = None) -> Calibration:
    """The Gaussian maximum-likelihood (spread_scale, floor[, distance_scale]) for signed errors
    given the spreads (and, when given, the nearest similarities to the training molecules)."""
    from scipy.optimize import minimize

    spread = np.asarray(spread, dtype=np.float64)
    errors = np.asarray(errors, dtype=np.float64)
    distance = None if similarity is None else 1.0 - np.asarray(similarity, dtype=np.float64)
    scale0 = float(np.sqrt(np.mean(errors**2))) or 1.0

    def loss(params: np.ndarray) -> float:
        a, b, *c = np.exp(params)
        var = (a * spread) ** 2 + b**2
        if c:
            var = var + (c[0] * distance) ** 2
        return float(np.mean(np.log(var) + errors**2 / var))

    start = [1.0, scale0 / 2] + ([scale0] if distance is not None else [])
    best = minimize(loss, np.log(start), method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-6})
    a, b, *c = np.exp(best.x)
    return Calibration(round(float(a), 4), round(float(b), 4), fitted_on, round(float(c[0]), 4) if c else 0.0)


def coverage(errors: np.ndarray, sd: np.ndarray, width: float = 2.0) -> float:
    """Fraction of molecules whose true value lies within +-width standard deviations of the prediction."""
    errors = np.abs(np.asarray(errors, dtype=np.float64))
    if errors.size == 0:
        return float("nan")
    return float(np.mean(errors <= width * np.asarray(sd, dtype=np.float64)))


def checkpoint_calibration(meta: dict[str, Any]) -> Calibration | None:
    """The calibration recorded in a checkpoint's JSON, or None."""
    saved = meta.get(META_KEY)
    return Calibration(**saved) if saved else None
