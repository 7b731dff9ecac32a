"""Uncertainty from validation data: a standard deviation built from the spread over SMILES, and interval coverage."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

META_KEY = "calibration"


@dataclass(frozen=True)
class Calibration:
    """sd = sqrt((spread_scale * spread)^2 + floor^2), fitted by maximum likelihood on validation errors.

    `spread` is the standard deviation of a model's predictions over several SMILES of a
    molecule; `floor` (in the property's unit) is the error that spread does not show.
    """

    spread_scale: float
    floor: float
    fitted_on: str = ""

    def sd(self, spread: np.ndarray) -> np.ndarray:
        spread = np.asarray(spread, dtype=np.float64)
        return np.sqrt((self.spread_scale * spread) ** 2 + self.floor**2)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def fit_calibration(spread: np.ndarray, errors: np.ndarray, fitted_on: str = "") -> Calibration:
    """The Gaussian maximum-likelihood (spread_scale, floor) for signed errors given the spreads."""
    from scipy.optimize import minimize

    spread = np.asarray(spread, dtype=np.float64)
    errors = np.asarray(errors, dtype=np.float64)
    scale0 = float(np.sqrt(np.mean(errors**2))) or 1.0

    def loss(params: np.ndarray) -> float:
        a, b = np.exp(params)
        var = (a * spread) ** 2 + b**2
        return float(np.mean(np.log(var) + errors**2 / var))

    best = minimize(loss, np.log([1.0, scale0 / 2]), method="Nelder-Mead", options={"xatol": 1e-4, "fatol": 1e-6})
    a, b = np.exp(best.x)
    return Calibration(round(float(a), 4), round(float(b), 4), fitted_on)


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
