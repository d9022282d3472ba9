"""Which `lab.experiments` functions `lab aws run <name>` can run, found at call time (the
same functions the notebooks call offline: one code path, two targets)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

# name -> (module, function). Entries whose module or function does not exist are skipped.
REGISTRY = {
    "latency": ("lab.experiments.latency", "pipeline_latency"),
    "cold_start": ("lab.experiments.cold_starts", "cold_vs_warm"),
    "redelivery": ("lab.experiments.redelivery", "redelivery"),
    "polling": ("lab.experiments.polling", "polling"),
}
ALIASES = {"pipeline_latency": "latency", "cold-start": "cold_start", "cold_starts": "cold_start", "cold-starts": "cold_start",
           "cold_vs_warm": "cold_start"}


def available() -> dict[str, Callable]:
    """The registered experiments that exist in this checkout."""
    out = {}
    for name, (module, function) in REGISTRY.items():
        try:
            out[name] = getattr(importlib.import_module(module), function)
        except (ImportError, AttributeError):
            continue
    return out


def resolve(name: str) -> tuple[str, Callable]:
    key = ALIASES.get(name, name.replace("-", "_"))
    found = available()
    if key not in found:
        raise KeyError(f"unknown experiment {name!r}: choose one of {', '.join(sorted(found))}")
    return key, found[key]


def run(name: str, target, **parameters):
    """Run experiment `name` on `target` (a DataFrame with run metadata in attrs)."""
    _, fn = resolve(name)
    return fn(target, **parameters)
