"""The machinery every experiment shares: arrival schedules, batched sends, draining a
queue, sampling queue depth in a thread, and seeded fault plans. Experiments and lessons
import these; what a notebook teaches stays in the notebook or its lesson module.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pandas as pd
from botocore.exceptions import ClientError

log = logging.getLogger("lab.experiments")


def arrival_times(n_messages: int, rate_per_s: float, seed: int) -> np.ndarray:
    """Poisson arrivals: send times (s from start) with exponential gaps at `rate_per_s`."""
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.exponential(1.0 / rate_per_s, n_messages))


def send_batch(sqs, url: str, entries: list[dict]) -> list[dict]:
    """SendMessageBatch (up to 10 entries); its `Successful` entries. SQS answers 200 even
    when some entries fail (`Failed`): that raises RuntimeError instead of losing them."""
    resp = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    if resp.get("Failed"):
        raise RuntimeError(f"SendMessageBatch entries failed: {resp['Failed']}")
    return resp.get("Successful", [])


def receive_all(sqs, url: str, *, hold_s: int = 30, **receive) -> list[dict]:
    """Every message `url` hands out, received 10 at a time (invisible for `hold_s`) until
    two receives in a row come back empty (one empty short poll can miss messages)."""
    out: list[dict] = []
    empty = 0
    while empty < 2:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                   VisibilityTimeout=hold_s, WaitTimeSeconds=0,
                                   **receive).get("Messages", [])
        empty = 0 if msgs else empty + 1
        out += msgs
    return out


def draw_indices(rng: np.random.Generator, n: int, fraction: float) -> set[int]:
    """`round(fraction * n)` of the indices 0..n-1, drawn without replacement from `rng`."""
    k = int(round(fraction * n))
    return set(rng.choice(n, size=k, replace=False).tolist()) if k else set()


def faulty_indices(n: int, fraction: float, seed: int) -> set[int]:
    """Which of `n` messages carry an injected fault (seeded)."""
    return draw_indices(np.random.default_rng(seed), n, fraction)


DEPTH_COLUMNS = {
    "t_s": "time since the run started (s)",
    "visible": "ApproximateNumberOfMessages of the queue (count)",
    "in_flight": "ApproximateNumberOfMessagesNotVisible of the queue (count)",
    "dlq": "ApproximateNumberOfMessages of the dead-letter queue (count; 0 without one)",
}


class DepthSampler:
    """Samples queue depth attributes in a thread (every `every_s`) until stopped."""

    def __init__(self, target, queue_url: str, dlq_url: str | None = None, every_s: float = 0.2,
                 t0: float | None = None):
        self.sqs = target.client("sqs")
        self.queue_url, self.dlq_url, self.every_s = queue_url, dlq_url, every_s
        self.t0 = t0 or time.time()
        self.rows: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _attrs(self, url: str) -> dict:
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]

    def sample(self) -> dict:
        a = self._attrs(self.queue_url)
        row = {"t_s": time.time() - self.t0, "visible": int(a["ApproximateNumberOfMessages"]),
               "in_flight": int(a["ApproximateNumberOfMessagesNotVisible"]),
               "dlq": int(self._attrs(self.dlq_url)["ApproximateNumberOfMessages"])
               if self.dlq_url else 0}
        self.rows.append(row)
        return row

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.sample()
            except ClientError as exc:  # a queue deleted under us ends the sampling
                log.info("depth sampling of %s stopped: %s", self.queue_url, exc)
                return
            self._stop.wait(self.every_s)

    def __enter__(self) -> DepthSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def frame(self, meta: dict | None = None) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=list(DEPTH_COLUMNS))
        df.attrs.update(meta or {}, columns=dict(DEPTH_COLUMNS))
        return df
