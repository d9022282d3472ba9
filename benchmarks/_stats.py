"""Summary statistics the benchmarks print (the notebooks' conventions)."""

from __future__ import annotations

import numpy as np


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) with linear interpolation, as the notebooks' np.quantile."""
    return float(np.quantile(values, q))
