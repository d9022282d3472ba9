"""Experiments: functions with explicit parameters (sizes, rates, seeds, timeouts) that
run against the target `lab.connect()` gave and return tidy DataFrames (one row per
observation; columns and units in `df.attrs["columns"]`; run metadata in `df.attrs`).

Each deploys what it needs through a `lab.stack.Stack` that is torn down in `finally`, so
an interrupted run (KeyboardInterrupt) leaves nothing behind.
"""

from lab.experiments.metadata import run_metadata
from lab.experiments.polling import polling
from lab.experiments.redelivery import redelivery

__all__ = ["polling", "redelivery", "run_metadata"]
