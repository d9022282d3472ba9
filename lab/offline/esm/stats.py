"""Per-mapping measurements for the lessons: concurrency over time, invocations, batches."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque

SAMPLE_EVERY = 0.05  # seconds between concurrency samples while anything changes
QUIET_SAMPLE_EVERY = 1.0


class MappingStats:
    def __init__(self, uuid: str):
        self.uuid = uuid
        self.created_at = time.time()
        self._t0 = time.monotonic()
        self._lock = threading.Lock()
        self.samples: deque[dict] = deque(maxlen=50_000)
        self.invocations: deque[dict] = deque(maxlen=100_000)
        self.counters: Counter = Counter()
        self.batch_sizes: Counter = Counter()
        self.in_flight = 0
        self.peak_in_flight = 0
        self._last_sample = -1e9
        self._last_key: tuple | None = None

    def now(self) -> float:
        return time.monotonic() - self._t0

    def add(self, **counts: int) -> None:
        with self._lock:
            self.counters.update(counts)

    def invoke_started(self) -> float:
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            return self.now()

    def invoke_finished(self, started: float, record: dict) -> None:
        with self._lock:
            self.in_flight -= 1
            record.update(t_start=round(started, 4), t_end=round(self.now(), 4))
            self.invocations.append(record)
            self.batch_sizes[record["batch_size"]] += 1
            self.counters["invocations"] += 1
            self.counters[f"outcome_{record['outcome']}"] += 1

    def sample(self, pollers: int, target: int) -> None:
        with self._lock:
            t = self.now()
            key = (self.in_flight, pollers, target)
            wait = SAMPLE_EVERY if key != self._last_key else QUIET_SAMPLE_EVERY
            if t - self._last_sample < wait:
                return
            self._last_sample, self._last_key = t, key
            self.samples.append({"t": round(t, 4), "concurrency": self.in_flight,
                                 "pollers": pollers, "target": target})

    def as_dict(self, include_invocations: bool = True) -> dict:
        with self._lock:
            body = {
                "uuid": self.uuid,
                "created_at": self.created_at,
                "elapsed_s": round(self.now(), 4),
                "in_flight": self.in_flight,
                "peak_concurrency": self.peak_in_flight,
                "counters": dict(self.counters),
                "batch_sizes": {str(k): v for k, v in sorted(self.batch_sizes.items())},
                "concurrency": list(self.samples),
                "scaling_note": "pollers/target come from a MODEL of Lambda's documented "
                                "SQS scaling (see /_lab/esm/config)",
            }
            if include_invocations:
                body["invocations"] = list(self.invocations)
            return body
