"""The mapping's view of its queue: receive and delete in-process, through moto's backend.

Calls go to `sqs_backends[account][region]` (the same objects the SQS API uses, including
the lab's SQS layer, lab/offline/sqs, always installed before this extension), so receive
counts, visibility timeouts, FIFO group blocking and the RedrivePolicy move to the DLQ all
stay SQS's job. That layer makes `receive_message` thread-safe, wakes its long polls the
instant a message becomes visible, and takes `receiver=` to label the receive in the
lifecycle record.
"""

from __future__ import annotations

from dataclasses import dataclass


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


def receive(ref: QueueRef, max_messages: int, wait_seconds: float,
            receiver: str | None = None) -> list:
    """Up to `max_messages` (1..10) messages, waiting up to `wait_seconds` for the first."""
    from moto.sqs.exceptions import QueueDoesNotExist

    sqs = backend(ref)
    queue = sqs.queues.get(ref.name)
    if queue is None:
        raise QueueGone(ref.arn)
    try:
        return sqs.receive_message(ref.name, max_messages, max(wait_seconds, 0.0),
                                   queue.visibility_timeout, ["All"], receiver=receiver)
    except QueueDoesNotExist:
        raise QueueGone(ref.arn) from None


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
    for handle in receipt_handles:
        try:
            sqs.delete_message(ref.name, handle)
            done += 1
        except Exception:  # queue deleted, or a handle SQS no longer accepts
            continue
    return done
