"""The mapping's view of its queue: receive and delete in-process, through the lab's SQS
backend.

Calls go to `lab.offline.sqs.models.lab_backend(account, region)`: the `LabSQSBackend`
the SQS API uses too, so receive counts, visibility timeouts, FIFO group blocking and the
RedrivePolicy move to the DLQ all stay SQS's job. Its `receive_message` is thread-safe,
wakes its long polls the instant a message becomes visible, and takes `receiver=` to
label the receive in the lifecycle record. The backend is looked up on every call, never
at install, so the order of EXTENSIONS does not matter; without the lab's SQS layer the
calls raise `SQSLayerNotInstalled`, which says what to install.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from moto.sqs.exceptions import QueueDoesNotExist, ReceiptHandleIsInvalid

from lab.offline.sqs.models import LabSQSBackend, lab_backend

log = logging.getLogger("lab.offline.esm")


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


def backend(ref: QueueRef) -> LabSQSBackend:
    """The lab's SQS backend of the queue's account and region (SQSLayerNotInstalled if
    the lab's SQS layer is not registered)."""
    return lab_backend(ref.account, ref.region, needed_by="an SQS event source mapping")


def find_queue(ref: QueueRef):
    """The queue (a LabQueue), or None."""
    from moto.sqs.models import sqs_backends

    if ref.account not in sqs_backends or ref.region not in sqs_backends[ref.account]:
        return None
    return backend(ref).queues.get(ref.name)


def receive(ref: QueueRef, max_messages: int, wait_seconds: float,
            receiver: str | None = None) -> list:
    """Up to `max_messages` (1..10) messages, waiting up to `wait_seconds` for the first."""
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
    return 0 if queue is None else queue.approximate_number_of_messages


def delete(ref: QueueRef, receipt_handles: list[str], stats=None) -> int:
    """Delete by receipt handle; returns how many were deleted.

    A handle SQS refuses (stale, or the queue was deleted) is skipped, logged with the
    mapping's queue and counted as `delete_errors` in `stats` (a MappingStats) if given:
    its message comes back after the visibility timeout, as on AWS."""
    sqs = backend(ref)
    done = 0
    for handle in receipt_handles:
        try:
            sqs.delete_message(ref.name, handle)
            done += 1
        except (QueueDoesNotExist, ReceiptHandleIsInvalid) as exc:
            log.warning("esm: DeleteMessage on %s failed (%s: %s), receipt handle %s...",
                        ref.arn, type(exc).__name__, getattr(exc, "message", exc), handle[:16])
            if stats is not None:
                stats.add(delete_errors=1)
    return done
