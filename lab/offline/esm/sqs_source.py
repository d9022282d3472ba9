"""The mapping's view of its queue: receive and delete in-process, through moto's backend.

Calls go to `sqs_backends[account][region]` (the same objects the SQS API uses, including
the lab's SQS layer, lab/offline/sqs), so receive counts, visibility timeouts, FIFO group
blocking and the RedrivePolicy move to the DLQ all stay SQS's job. With that layer
installed, `receive_message` is thread-safe, its long polls wake the instant a message
becomes visible, and `receiver=` labels the receive in the lifecycle record. Without it
(plain moto), receives are serialised per queue here (moto's list is not thread-safe) and
waits re-check every POLL_STEP.
"""

from __future__ import annotations

import inspect
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass

POLL_STEP = 0.05  # seconds between re-checks while waiting (catches visibility expiry)


class QueueGone(Exception):
    """The source queue no longer exists."""


@dataclass(frozen=True)
class QueueRef:
    arn: str
    region: str
    account: str
    name: str

    @classmethod
    def parse(cls, arn: str) -> QueueRef | None:
        parts = arn.split(":") if isinstance(arn, str) else []
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not parts[5]:
            return None
        return cls(arn=arn, region=parts[3], account=parts[4], name=parts[5])

    @property
    def fifo(self) -> bool:
        return self.name.endswith(".fifo")


def backend(ref: QueueRef):
    from moto.sqs.models import sqs_backends

    return sqs_backends[ref.account][ref.region]


def find_queue(ref: QueueRef):
    """moto's Queue object, or None."""
    from moto.sqs.models import sqs_backends

    if ref.account not in sqs_backends or ref.region not in sqs_backends[ref.account]:
        return None
    return backend(ref).queues.get(ref.name)


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(ref: QueueRef) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(ref.arn, threading.Lock())


_layer_seen = False


def lab_sqs_layer() -> bool:
    """True when lab/offline/sqs patched moto's receive (it takes `receiver=`)."""
    global _layer_seen
    if not _layer_seen:
        from moto.sqs.models import SQSBackend

        _layer_seen = "receiver" in inspect.signature(SQSBackend.receive_message).parameters
    return _layer_seen


def receive(ref: QueueRef, max_messages: int, wait_seconds: float,
            should_stop=lambda: False, receiver: str | None = None) -> list:
    """Up to `max_messages` (1..10) messages, waiting up to `wait_seconds` for the first."""
    from moto.sqs.exceptions import QueueDoesNotExist

    sqs = backend(ref)
    if lab_sqs_layer():
        if ref.name not in sqs.queues:
            raise QueueGone(ref.arn)
        try:
            return sqs.receive_message(ref.name, max_messages, max(wait_seconds, 0.0),
                                       sqs.queues[ref.name].visibility_timeout, ["All"],
                                       receiver=receiver)
        except QueueDoesNotExist:
            raise QueueGone(ref.arn) from None
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    while True:
        queue = sqs.queues.get(ref.name)
        if queue is None:
            raise QueueGone(ref.arn)
        with _lock_for(ref):
            messages = sqs.receive_message(ref.name, max_messages, 0,
                                           queue.visibility_timeout, ["All"])
        if messages:
            return messages
        remaining = deadline - time.monotonic()
        if remaining <= 0 or should_stop():
            return []
        cond = queue._messages_lock  # SendMessage calls notify_all() on it
        with cond:
            cond.wait(min(remaining, POLL_STEP))


def waiting(ref: QueueRef) -> int:
    """Visible messages waiting in the queue (ApproximateNumberOfMessages): the backlog
    the scaling model grows on while every poller is busy."""
    queue = find_queue(ref)
    if queue is None:
        return 0
    try:
        return int(queue.approximate_number_of_messages)
    except Exception:  # noqa: BLE001 - a queue being deleted: no backlog
        return 0


def delete(ref: QueueRef, receipt_handles: list[str]) -> int:
    """Delete by receipt handle; returns how many were deleted (stale handles are skipped)."""
    sqs = backend(ref)
    done = 0
    with _lock_for(ref) if not lab_sqs_layer() else nullcontext():
        for handle in receipt_handles:
            try:
                sqs.delete_message(ref.name, handle)
                done += 1
            except Exception:  # queue deleted, or a handle SQS no longer accepts
                continue
    return done
