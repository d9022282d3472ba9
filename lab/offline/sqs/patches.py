"""Former home of the SQS fixes, which no longer patch moto: see models.py (the subclasses
and `register()`) and guard.py (moto's version).

Kept only for callers outside lab/offline that still import it (benchmarks/bench_sqs.py);
move them to `lab.offline.sqs.models.register()` / `lab.offline.sqs.guard`, then delete
this module.
"""

from __future__ import annotations

from lab.offline.sqs.guard import (  # noqa: F401 - re-exported
    _SOURCES,
    MOTO_SOURCE_SHA256,
    MOTO_VERIFIED,
    changed_moto_functions,
)
from lab.offline.sqs.models import FIXES, register


def apply() -> list[str]:
    """`models.register()`; returns the names of the lab's SQS fixes."""
    register()
    return list(FIXES)
