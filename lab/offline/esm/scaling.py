"""A MODEL of how Lambda scales the pollers of one SQS event source mapping.

AWS documents (services-sqs-scaling): a standard-queue mapping starts with 5 concurrent
batches, adds up to 300 concurrent invocations per minute while messages are waiting, and
stops at 1,250 per mapping or at `ScalingConfig.MaximumConcurrency`; it scales back down
when the queue is idle and backs off when the function is throttled. AWS does not publish
the controller itself: this is a model with the documented rates, and `time_scale` speeds
its clock up (e.g. 20 = twenty model seconds per real second) so a notebook can show the
curve in seconds. Everything it produces is labelled "model".
"""

from __future__ import annotations

import math
import os
import threading

INITIAL_CONCURRENCY = 5
ADD_PER_MINUTE = 300
MAX_PER_MAPPING = 1250
IDLE_SECONDS = 10.0  # model seconds without a received message before scaling down
THROTTLE_QUIET_SECONDS = 2.0  # model seconds without throttles before growing again
ENV_TIME_SCALE = "LAB_ESM_SCALING_TIME_SCALE"


class ScalingSettings:
    """Process-wide knobs of the model (env var LAB_ESM_SCALING_TIME_SCALE, /_lab/esm/config)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.time_scale = 1.0
        self.reset()

    def reset(self) -> None:
        raw = os.environ.get(ENV_TIME_SCALE, "1")
        try:
            scale = float(raw)
        except ValueError:
            scale = 1.0
        self.time_scale = scale if scale > 0 else 1.0

    def set_time_scale(self, value: float) -> None:
        if not (isinstance(value, (int, float)) and 0 < value <= 10_000):
            raise ValueError("time_scale must be a number in (0, 10000]")
        with self._lock:
            self.time_scale = float(value)

    def as_dict(self) -> dict:
        return {
            "model": "Lambda SQS poller scaling (model of services-sqs-scaling)",
            "time_scale": self.time_scale,
            "initial_concurrency": INITIAL_CONCURRENCY,
            "add_per_minute": ADD_PER_MINUTE,
            "max_per_mapping": MAX_PER_MAPPING,
            "idle_seconds_model_time": IDLE_SECONDS,
        }


SETTINGS = ScalingSettings()


class ScalingModel:
    """Target number of concurrent batches (pollers) for one mapping; call `tick` often."""

    def __init__(self, cap: int | None, settings: ScalingSettings = SETTINGS):
        self.settings = settings
        self.cap = self._cap(cap)
        self.target = min(INITIAL_CONCURRENCY, self.cap)
        self._credit = 0.0
        self._idle_for = 0.0
        self._since_throttle = math.inf

    @staticmethod
    def _cap(cap: int | None) -> int:
        return min(cap, MAX_PER_MAPPING) if cap else MAX_PER_MAPPING

    def set_cap(self, cap: int | None) -> None:
        self.cap = self._cap(cap)
        self.target = min(self.target, self.cap)

    @property
    def floor(self) -> int:
        return min(INITIAL_CONCURRENCY, self.cap)

    def tick(self, real_dt: float, *, backlog: bool, received: bool, throttles: int) -> int:
        """Advance the model by `real_dt` real seconds and return the new target."""
        dt = real_dt * self.settings.time_scale
        if throttles:
            # Throttled: give back one slot per throttle, never below one poller.
            self.target = max(1, self.target - throttles)
            self._since_throttle = 0.0
            self._credit = 0.0
            return self.target
        self._since_throttle += dt
        self._idle_for = 0.0 if received else self._idle_for + dt
        if backlog and self._since_throttle >= THROTTLE_QUIET_SECONDS:
            self._credit += dt * ADD_PER_MINUTE / 60.0
            whole = int(self._credit)
            if whole:
                self._credit -= whole
                self.target = min(self.cap, self.target + whole)
        elif self._idle_for >= IDLE_SECONDS:
            self.target = self.floor
            self._credit = 0.0
        elif not backlog:
            self._credit = 0.0
        return self.target
