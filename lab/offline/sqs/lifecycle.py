"""Per-message lifecycle record for every SQS queue `lab serve` hosts.

Every state change of a message (sent, received, visibility changed, visible again,
deleted, moved to a DLQ or by a move task, expired, purged) becomes one event dict with
an epoch-millisecond timestamp. The record is what a notebook draws a message's timeline
from; it is kept by the lab (AWS has no such record: on AWS, timelines come from the
handlers' own logs).

Other extensions reach it as `app.services["sqs_lifecycle"]` (see docs/architecture.md):
- pass `receiver="<label>"` to the SQS backend's `receive_message(...)`, and
- `annotate(message_id, **fields)` adds fields (e.g. `invocation_request_id`) to the
  message's latest receive event.
"""

from __future__ import annotations

import threading
import time
from collections import deque

# A bound on memory: the oldest events are dropped first (a soak of 5,000 messages with
# retries makes ~25,000 events; ~300 bytes each, the bound caps memory near 300 MB).
MAX_EVENTS = 1_000_000

EVENTS = (
    "sent",                  # accepted and stored (time = send time)
    "duplicate_suppressed",  # FIFO: accepted (200) but not stored, dedup window
    "delay_ended",           # DelaySeconds elapsed: the message became visible
    "received",              # delivered by ReceiveMessage (attempt = receive count)
    "visibility_changed",    # ChangeMessageVisibility on an in-flight message
    "visible_again",         # visibility timeout expired (time = the expiry instant)
    "deleted",               # DeleteMessage
    "moved_to_dlq",          # receive count exceeded maxReceiveCount (source queue side)
    "arrived_from_source",   # the same message, DLQ side
    "moved_out",             # taken out of a DLQ by a message move task
    "moved_in",              # re-sent to a destination by a message move task (new id)
    "expired",               # retention period elapsed
    "purged",                # PurgeQueue
)


def now_ms() -> float:
    return time.time() * 1000.0


class LifecycleRecorder:
    """Thread-safe, append-only event store, indexed by queue ARN (and the latest receive
    by message id).

    `_events` holds every event in arrival order (bounded by `max_events`); `_by_arn` holds
    the same entries per queue ARN, also in arrival order, so a query for one queue reads
    only that queue's events. Dropping the oldest event drops it from the head of its
    queue's list too."""

    def __init__(self, max_events: int = MAX_EVENTS):
        self._lock = threading.Lock()
        self._max_events = max_events
        self._events: deque[dict] = deque()
        self._by_arn: dict[str, deque[dict]] = {}
        self._arns_by_name: dict[str, set[str]] = {}
        self._last_receive: dict[str, dict] = {}

    def record(self, event: str, queue, message_id: str, time_ms: float | None = None,
               **fields) -> dict:
        """Append one event; `queue` is moto's Queue (name, ARN and region are taken)."""
        arn = queue.queue_arn
        entry = {
            "time_ms": round(now_ms() if time_ms is None else time_ms, 3),
            "event": event,
            "queue": queue.name,
            "queue_arn": arn,
            "message_id": message_id,
        }
        entry.update({k: v for k, v in fields.items() if v is not None})
        with self._lock:
            events = self._events
            if len(events) >= self._max_events:
                self._drop_oldest()
            events.append(entry)
            per_queue = self._by_arn.get(arn)
            if per_queue is None:
                per_queue = self._by_arn[arn] = deque()
                self._arns_by_name.setdefault(entry["queue"], set()).add(arn)
            per_queue.append(entry)
            if event == "received":
                self._last_receive[message_id] = entry
        return entry

    def _drop_oldest(self) -> None:
        """Drop the oldest event, from `_events` and from the head of its queue's list."""
        oldest = self._events.popleft()
        arn = oldest["queue_arn"]
        per_queue = self._by_arn[arn]
        per_queue.popleft()
        if not per_queue:
            del self._by_arn[arn]
            names = self._arns_by_name[oldest["queue"]]
            names.discard(arn)
            if not names:
                del self._arns_by_name[oldest["queue"]]

    def annotate(self, message_id: str, **fields) -> bool:
        """Add fields (e.g. poller="esm-1/2", invocation_request_id=...) to the message's
        latest `received` event. Returns False if the message was never received."""
        with self._lock:
            entry = self._last_receive.get(message_id)
            if entry is None:
                return False
            entry.update(fields)
            return True

    def events(self, queue: str | None = None, message_id: str | None = None) -> list[dict]:
        """Events in time order; `queue` is a queue URL, ARN or name (any region)."""
        with self._lock:
            if queue:
                if queue.startswith("arn:"):
                    arns = [queue]
                else:
                    arns = self._arns_by_name.get(queue.rstrip("/").rsplit("/", 1)[-1], ())
                candidates = [e for arn in arns for e in self._by_arn.get(arn, ())]
            else:
                candidates = self._events
            selected = [dict(e) for e in candidates
                        if message_id is None or e["message_id"] == message_id]
        selected.sort(key=lambda e: e["time_ms"])
        return selected

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
            self._by_arn.clear()
            self._arns_by_name.clear()
            self._last_receive.clear()

    def __len__(self) -> int:
        return len(self._events)
