"""Which experiments `lab aws run <name>` can run: the same functions the notebooks call
offline (one code path, two targets). Names and aliases are `lab.aws.plan`'s, so `plan`
and `run` accept the same words."""

from __future__ import annotations

from collections.abc import Callable

from lab.aws.plan import UnknownExperiment, canonical

__all__ = ["REGISTRY", "UnknownExperiment", "available", "canonical", "resolve"]
from lab.experiments import cold_starts, latency, polling, redelivery

REGISTRY: dict[str, Callable] = {
    "latency": latency.pipeline_latency,
    "cold_start": cold_starts.cold_vs_warm,
    "redelivery": redelivery.redelivery,
    "polling": polling.polling,
}


def available() -> dict[str, Callable]:
    """The experiments `lab aws run` can run, by name."""
    return dict(REGISTRY)


def resolve(name: str) -> tuple[str, Callable]:
    """(experiment name, function) for `name`; UnknownExperiment if there is none."""
    key = canonical(name)
    found = available()
    if key not in found:
        raise UnknownExperiment(
            f"unknown experiment {name!r}: choose one of {', '.join(sorted(found))}")
    return key, found[key]
