"""What only one part of the series needs, one module per part; imported by its notebooks
and nothing else (tests/unit/test_layout.py checks it).

- `queues`: 01 (standard vs FIFO ordering) and 02 (the visibility timeout sweep);
- `functions`: 03 (a worker process vs a function) and 04 (fork vs fresh, keep-alive);
- `pipeline`: 06 (traffic, trace, batching, burst) and 07 (failure injection, accounting).

General machinery lives in `lab.experiments` (harness, tracer); what a notebook teaches
stays in the notebook's own cells.
"""
