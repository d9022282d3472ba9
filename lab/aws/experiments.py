"""Which `lab.experiments` functions `lab aws run <name>` can run, found at call time (the
same functions the notebooks call offline: one code path, two targets). `lab aws plan` and
`lab aws run` resolve names through the one alias table here."""

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
# Other spellings (after "-" -> "_") of a REGISTRY name.
ALIASES = {"pipeline_latency": "latency", "cold_starts": "cold_start", "coldstart": "cold_start",
           "cold_vs_warm": "cold_start"}


class UnknownExperiment(ValueError):
    """An experiment name neither `lab aws plan` nor `lab aws run` knows."""


def canonical(name: str) -> str:
    """The REGISTRY name `name` stands for (dashes or underscores, any alias)."""
    key = name.replace("-", "_")
    return ALIASES.get(key, key)


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
    """(REGISTRY name, experiment function) for `name`; UnknownExperiment if there is none."""
    key = canonical(name)
    found = available()
    if key not in found:
        raise UnknownExperiment(
            f"unknown experiment {name!r}: choose one of {', '.join(sorted(found))}")
    return key, found[key]
