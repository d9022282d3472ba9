"""Experiments: functions with explicit parameters (sizes, rates, seeds, timeouts) that
run against the target `lab.connect()` gave and return tidy DataFrames (one row per
observation; columns and units in `df.attrs["columns"]`; run metadata in `df.attrs`).

Modules (call e.g. `lab.experiments.polling.polling(target, ...)`):
- `latency`: `queue_latency` (SQS only), `pipeline_latency` (HTTP API -> SQS -> Lambda);
- `cold_starts`: `cold_vs_warm`, `init_breakdown`, `import_costs`, `concurrency_burst`;
- `redelivery`: `redelivery` (plain SQS consumer), `redelivery_lambda` (event source
  mapping), `timeline_from_lifecycle`;
- `polling`: `polling` (short vs long), `summarize`;
- `scaling`: `esm_backlog` (concurrency under a backlog, MaximumConcurrency),
  `peak_concurrency`, `esm_samples` (offline scaling model);
- `metadata`: what every run records, progress bars, stacks torn down in `finally`;
- `harness`: arrival schedules, batched sends, draining, depth sampling, fault plans;
- `tracer`: the one pipeline tracer (joins every hop of a request into one row);
- `registry`: which experiments `lab aws run <name>` runs.

What only one notebook needs lives in `lab.lessons` (one module per part), which imports
from here and is imported by nothing but its notebooks.

Each deploys what it needs through a `lab.stack.Stack` that is torn down in `finally`, so
an interrupted run (KeyboardInterrupt) leaves nothing behind.
"""

from lab.experiments import cold_starts, latency, metadata, polling, redelivery, scaling

__all__ = ["cold_starts", "latency", "metadata", "polling", "redelivery", "scaling"]
