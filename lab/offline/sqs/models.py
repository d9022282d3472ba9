"""The lab's SQS backend: moto 5.2.5's SQS model, subclassed where the lab fixes a gap.

Shaped like moto's own extensions (`moto/awslambda_simple/models.py`): subclasses of
moto's `Message`, `Queue` and `SQSBackend` override only the behaviours the fixes change
(reference/moto-gaps.md, SQS 1-9), and `register()` makes moto build them.

Registration - the one place moto is touched (`register()`):
    moto keeps SQS state in one `BackendDict`, `moto.sqs.models.sqs_backends`. moto's
    SQSResponse (`self.sqs_backend` -> `sqs_backends[account][region]`), its Queue (DLQ
    lookup) and other services (SNS, EventBridge, S3 notifications, Lambda) all index
    that same object, most through a name they imported at import time. A BackendDict
    builds each region's backend lazily from its `backend` class (`BackendDict.backend`,
    handed to every `AccountSpecificBackend`), so `register()` sets that class to
    `LabSQSBackend`: every lookup, by anyone, yields the lab's backend, and moto's reset
    rebuilds lab backends. A second BackendDict bound to a new name would miss the
    references moto took at import time.
    URL dispatch follows by construction: moto's werkzeug app reads a backend's routes
    from the `urls` module next to its class's module (`BaseBackend._url_module`), so
    `LabSQSBackend` serves SQS requests through `lab/offline/sqs/urls.py` ->
    `responses.LabSQSResponse` (which only adds the caller's identity).

Per-message state lives in the queue's `QueueStore` (`LabQueue.store`, store.py), owned
by the queue; the lifecycle record is `lifecycle` (one per process, like moto's state).
In-process callers (event source mappings) use `lab_backend(account, region)`, which
returns a `LabSQSBackend` or raises `SQSLayerNotInstalled`.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import json
import logging
import time
from copy import copy
from typing import Any

from moto.core.base_backend import backend_lock
from moto.sqs import models as sqs_models
from moto.sqs.exceptions import (
    BatchRequestTooLong,
    InvalidParameterValue,
    QueueAlreadyExists,
    SQSException,
)

from lab.offline.sqs import validation
from lab.offline.sqs.exceptions import SQSLayerNotInstalled, SQSRegistrationError
from lab.offline.sqs.lifecycle import LifecycleRecorder, now_ms
from lab.offline.sqs.queues import queue_by_arn
from lab.offline.sqs.store import QueueStore

log = logging.getLogger("lab.offline.sqs")

DEDUP_WINDOW_MS = 300_000  # AWS: 5-minute deduplication interval
MAX_BATCH_BYTES = 1_048_576  # AWS: a batch's total payload <= 1 MiB
REDRIVE_PERMISSIONS = ("allowAll", "denyAll", "byQueue")

# What the lab's backend changes against moto 5.2.5 (shown by /_lab/health).
FIXES = {
    "message_store": "depth-independent send/receive/delete; long polls wake when a "
                     "message becomes visible; FIFO long poll without busy spin; FIFO "
                     "redelivery in order",
    "send_message": "FIFO dedup 5 min incl. after delete, DeduplicationScope; SequenceNumber "
                    "always; size incl. attributes; SenderId of the caller",
    "message_size": "UTF-8 bytes incl. attributes; batch total <= 1 MiB",
    "batches": "a bad entry fails alone (Failed: Id, Code, Message, SenderFault); entry Ids "
               "checked for every batch action; FIFO entries without MessageGroupId refused",
    "receipt_handles": "a gone message's handle told apart from a malformed one; "
                       "ChangeMessageVisibility after the timeout expired answers 200",
    "dead_letter_source": "DeadLetterQueueSourceArn on messages moved to a DLQ",
    "redrive_allow_policy": "returned, validated and enforced",
    "caller_identity": "caller's principal id as SenderId",
}

# The access key id of the caller of the current HTTP request (set by LabSQSResponse).
caller_access_key: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "lab_sqs_caller", default=None)

# Every lab queue's events (app.services["sqs_lifecycle"]).
lifecycle = LifecycleRecorder()


# -- sizes and policies ---------------------------------------------------------------
def _utf8_len(text: str) -> int:
    # str.isascii() is O(1) in CPython (a flag of the string): no encoding for ASCII text
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def message_size(body: str, attributes: dict | None) -> int:
    """AWS: the message size is the UTF-8 bytes of the body plus, for every message
    attribute, its name, its data type and its value."""
    size = _utf8_len(body if isinstance(body, str) else "")
    for name, attr in (attributes.items() if isinstance(attributes, dict) else ()):
        if not isinstance(attr, dict):
            continue
        size += _utf8_len(str(name)) + _utf8_len(str(attr.get("DataType", "")))
        if attr.get("StringValue") is not None:
            size += _utf8_len(str(attr["StringValue"]))
        binary = attr.get("BinaryValue")
        if binary is not None:
            if isinstance(binary, str):  # base64 text on the wire
                try:
                    binary = base64.b64decode(binary)
                except ValueError:
                    binary = binary.encode("utf-8")
            size += len(binary)
    return size


def _too_large(queue, batch: bool = False) -> InvalidParameterValue:
    """AWS's words differ: "are invalid" for SendMessage, "cannot be validated" for a
    SendMessageBatch entry (LocalStack's snapshots test_send_message_with_updated_maximum_
    message_size and test_send_batch_message_size, both recorded against AWS)."""
    verb = "cannot be validated" if batch else "are invalid"
    return InvalidParameterValue(
        f"One or more parameters {verb}. Reason: Message must be shorter than "
        f"{queue.maximum_message_size} bytes.")


def _failed(entry_id: str, exc: SQSException) -> dict:
    """A batch result's `Failed` entry for an entry SQS refused (SenderFault: the caller's)."""
    return {"Id": entry_id, "SenderFault": True, "Code": exc.code, "Message": exc.message}


def parse_allow_policy(value) -> dict:
    """A RedriveAllowPolicy (JSON text or dict), validated as AWS does."""
    def invalid(reason):
        return InvalidParameterValue(
            f"Value {value} for parameter RedriveAllowPolicy is invalid. Reason: {reason}")
    try:
        policy = value if isinstance(value, dict) else json.loads(value)
    except ValueError:
        raise invalid("Invalid JSON.") from None
    if not isinstance(policy, dict) or policy.get("redrivePermission") not in REDRIVE_PERMISSIONS:
        raise invalid("redrivePermission must be one of allowAll, denyAll, byQueue.")
    arns = policy.get("sourceQueueArns")
    if policy["redrivePermission"] == "byQueue":
        if not isinstance(arns, list) or not 1 <= len(arns) <= 10:
            raise invalid("sourceQueueArns must list 1 to 10 queue ARNs when "
                          "redrivePermission is byQueue.")
    elif arns is not None:
        raise invalid("sourceQueueArns is allowed only when redrivePermission is byQueue.")
    return policy


def redrive_allowed(dlq, source_arn: str) -> bool:
    """AWS: may the queue `source_arn` use `dlq` as its dead-letter queue?"""
    raw = getattr(dlq, "redrive_allow_policy", None)
    if not raw:
        return True  # default: allowAll
    policy = parse_allow_policy(raw)
    if policy["redrivePermission"] == "allowAll":
        return True
    if policy["redrivePermission"] == "denyAll":
        return False
    return source_arn in policy["sourceQueueArns"]


def caller_sender_id(queue) -> str:
    """AWS: SenderId is the caller's principal id (an IAM user's `AIDA...`, an assumed
    role's `AROA...:session`): the same id `sts get-caller-identity` returns offline."""
    access_key = caller_access_key.get()
    if not access_key:
        return sqs_models.DEFAULT_SENDER_ID
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    try:
        sts = sts_backends[queue.account_id][get_partition(queue.region)]
        return sts.get_caller_identity(access_key, queue.region)[0]
    except Exception:  # noqa: BLE001 - an identity lookup must never fail a send
        log.warning("SenderId: no STS identity for access key %s; using the key itself",
                    access_key, exc_info=True)
        return access_key


# -- models ---------------------------------------------------------------------------
class LabMessage(sqs_models.Message):
    """moto's Message plus the fields the queue's `QueueStore` keeps on it."""

    def __init__(self, message_id: str, body: str,
                 system_attributes: dict[str, Any] | None = None):
        super().__init__(message_id, body, system_attributes)
        self.lab_state: str | None = None  # ready / inflight / delayed / gone
        self.lab_order = 0                  # enqueue order in its queue
        self.lab_gen = 0                    # invalidates stale visibility timers
        self.dlq_source_arn: str | None = None  # set when moved to a DLQ

    @classmethod
    def from_moto(cls, message: sqs_models.Message) -> LabMessage:
        """A LabMessage with the fields of a plain moto Message (sent by moto code)."""
        lab = cls(message.id, message.body, message.system_attributes)
        for name, value in vars(message).items():
            setattr(lab, name, value)
        return lab


class LabQueue(sqs_models.Queue):
    """moto's Queue whose messages live in a `QueueStore` (`self.store`), and which returns,
    validates and enforces RedriveAllowPolicy.

    moto 5.2.5 keeps messages in one list scanned on every send, receive, delete and
    attribute read (`messages`, `approximate_number_of_*`, `delete_message`), and its
    `wait_for_messages` re-checks once a second; it stores RedriveAllowPolicy but neither
    returns nor checks it. moto's Lambda trigger inside `add_message` never runs here:
    event source mappings are lab.offline.esm's job.
    """

    BASE_ATTRIBUTES = [*sqs_models.Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
    redrive_allow_policy = None  # queues without one: allowAll

    def __init__(self, name: str, region: str, account_id: str, **kwargs: Any):
        super().__init__(name, region, account_id, **kwargs)
        self.store = QueueStore(self, lifecycle)

    @property
    def attributes(self) -> dict:
        """moto's attributes, with RedrivePolicy as SQS returns it: compact JSON
        (`{"deadLetterTargetArn":"arn:...","maxReceiveCount":3}`, GetQueueAttributes example).
        moto's `json.dumps` spacing makes text comparisons (Terraform's second plan) see a
        change that is not one."""
        result = super().attributes
        if self.redrive_policy and "RedrivePolicy" in result:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    @property
    def messages(self) -> list:
        store = self.store
        with store.cond:
            store.advance()
            return [m for m in store.messages.values() if m.lab_state == "ready"]

    def _count(self, state: str) -> int:
        store = self.store
        with store.cond:
            store.advance()
            return store.counts[state]

    @property
    def approximate_number_of_messages(self) -> int:
        return self._count("ready")

    @property
    def approximate_number_of_messages_not_visible(self) -> int:
        return self._count("inflight")

    @property
    def approximate_number_of_messages_delayed(self) -> int:
        return self._count("delayed")

    def add_message(self, message) -> None:
        if not isinstance(message, LabMessage):
            message = LabMessage.from_moto(message)
        delay = 1 if message.delayed_until > now_ms() else 0
        with self.store.cond:
            self.store.add(message, delay)

    def delete_message(self, receipt_handle: str) -> None:
        with self.store.cond:
            self.store.delete(receipt_handle)

    def wait_for_messages(self, timeout: int) -> None:
        store = self.store
        with store.cond:
            store.cond.wait_for(lambda: (store.advance() or store.counts["ready"]),
                                timeout=timeout)

    def _set_attributes(self, attributes: dict[str, Any], now: float | None = None) -> None:
        if attributes.get("RedriveAllowPolicy"):
            parse_allow_policy(attributes["RedriveAllowPolicy"])
        redrive = attributes.get("RedrivePolicy")
        if redrive and not self._is_empty_redrive_policy(redrive):
            try:
                target = (redrive if isinstance(redrive, dict)
                          else json.loads(redrive)).get("deadLetterTargetArn")
            except (ValueError, AttributeError):
                target = None  # moto's own check reports the malformed policy
            dlq = queue_by_arn(target)
            if dlq is not None and not redrive_allowed(dlq, self.queue_arn):
                raise InvalidParameterValue(
                    f"Value {redrive} for parameter RedrivePolicy is invalid. Reason: "
                    f"Queue {self.queue_arn} is not allowed to use {target} as its "
                    "dead-letter queue (see the dead-letter queue's RedriveAllowPolicy).")
        super()._set_attributes(attributes, now)


class LabSQSBackend(sqs_models.SQSBackend):
    """moto's SQSBackend with the lab's queues and fixes (see FIXES). `receive_message`
    takes `receiver=`, a label recorded in the lifecycle (e.g. an ESM poller's id)."""

    def create_queue(self, name: str, tags: dict[str, str] | None = None,
                     **kwargs: Any) -> LabQueue:
        """As moto's, building a LabQueue (moto's names its module's Queue)."""
        kwargs.pop("region", None)
        queue = self.queues.get(name)
        if queue:
            new_queue = LabQueue(name, region=self.region_name, account_id=self.account_id,
                                 **kwargs)
            current, wanted = queue.attributes, new_queue.attributes
            # only the attributes sent for the creation are compared for an existing queue
            if any(current.get(key) != wanted.get(key) for key in kwargs):
                raise QueueAlreadyExists("The specified queue already exists.")
        else:
            queue = LabQueue(name, region=self.region_name, account_id=self.account_id,
                             **kwargs)
            self.queues[name] = queue
        if tags:
            queue.tags = tags
        return queue

    # -- send -----------------------------------------------------------------------------
    def send_message(self, queue_name, message_body, message_attributes=None,
                     delay_seconds=None, deduplication_id=None, group_id=None,
                     system_attributes=None, validate_group_id=True, sender_id=None):
        """FIFO deduplication for 5 minutes (even after deletion, DeduplicationScope
        honoured), SequenceNumber on every FIFO message, size in UTF-8 bytes with
        attributes, SenderId of the caller, and a `sent` lifecycle event.

        moto 5.2.5 deduplicates only against messages still queued, ignores
        DeduplicationScope, draws a SequenceNumber only when an explicit deduplication id
        was given, counts characters of the body only, and uses one constant SenderId.
        AWS accepts a duplicate (HTTP 200) without delivering it; the lab answers with the
        first copy's MessageId and SequenceNumber, so a retried send looks idempotent.
        """
        queue = self.get_queue(queue_name)
        validation.message(message_body, message_attributes)  # body, characters, attributes
        # moto's checks: FIFO MessageGroupId / deduplication id / DelaySeconds
        self._validate_message(queue, message_body=message_body,
                               delay_seconds=int(delay_seconds or 0),
                               deduplication_id=deduplication_id, group_id=group_id,
                               validate_group_id=validate_group_id)
        if message_size(message_body, message_attributes) > queue.maximum_message_size:
            raise _too_large(queue)
        delay = int(delay_seconds) if delay_seconds is not None else int(queue.delay_seconds)
        if delay > sqs_models.MAXIMUM_MESSAGE_DELAY or delay < 0:
            raise InvalidParameterValue(
                f"Value {delay} for parameter DelaySeconds is invalid. "
                "Reason: DelaySeconds must be >= 0 and <= 900.")

        message = LabMessage(str(sqs_models.random.uuid4()), message_body, system_attributes)
        if queue.fifo_queue:
            if deduplication_id is None and queue.content_based_deduplication:
                deduplication_id = hashlib.sha256(message_body.encode("utf-8")).hexdigest()
            message.deduplication_id = deduplication_id
        elif deduplication_id is not None:
            message.deduplication_id = deduplication_id
        if group_id is not None:
            message.group_id = group_id
        if message_attributes:
            message.message_attributes = message_attributes
        message.sender_id = sender_id or caller_sender_id(queue)

        store = queue.store
        with store.cond:
            now = now_ms()
            if queue.fifo_queue:
                key = ((group_id, deduplication_id)
                       if getattr(queue, "deduplication_scope", "queue") == "messageGroup"
                       else deduplication_id)
                dedup = store.dedup_table(now)
                first = dedup.get(key)
                if first is not None and first[0] > now:
                    duplicate = copy(message)
                    duplicate.id, duplicate.sequence_number = first[1], first[2]
                    lifecycle.record("duplicate_suppressed", queue, first[1], now,
                                     group_id=group_id, dedup_id=deduplication_id)
                    return duplicate
                message.sequence_number = store.next_sequence_number()
                dedup[key] = (now + DEDUP_WINDOW_MS, message.id, message.sequence_number)
                store.dedup_order.append((now + DEDUP_WINDOW_MS, key))
            message.sent_timestamp = int(now)
            if delay:
                message.delayed_until = now + delay * 1000
            store.add(message, delay, sender_id=message.sender_id)
        return message

    def send_message_batch(self, queue_name, entries):
        """Each entry is sent or fails alone, as on AWS: an entry too large for the queue,
        with characters outside SQS's set, bad attributes, a bad DelaySeconds or no body is
        reported in `Failed` (Id, Code, Message, SenderFault) and the others are sent
        (LocalStack's snapshot test_send_batch_message_size and AWS-validated
        test_batch_send_with_invalid_char_should_succeed). Refused whole, as on AWS: bad
        entry Ids (validation.batch_entries), a FIFO entry without MessageGroupId or
        deduplication id, and a total payload over 1 MiB, BatchRequestTooLong (snapshots
        test_send_batch_missing_message_group_id_for_fifo_queue,
        test_send_batch_missing_deduplication_id_for_fifo_queue,
        test_send_message_batch_with_oversized_contents).
        moto 5.2.5 fails the whole batch for most bad entries and counts characters."""
        queue = self.get_queue(queue_name)
        entries = validation.batch_entries(
            entries.values() if isinstance(entries, dict) else entries, "SendMessage")
        if queue.fifo_queue:
            for entry in entries:
                if not entry.get("MessageGroupId"):
                    raise InvalidParameterValue(
                        "The request must contain the parameter MessageGroupId.")
                if not entry.get("MessageDeduplicationId") \
                        and not queue.content_based_deduplication:
                    raise InvalidParameterValue(
                        "The queue should either have ContentBasedDeduplication enabled or "
                        "MessageDeduplicationId provided explicitly")
        sizes = [message_size(e.get("MessageBody"), e.get("MessageAttributes"))
                 for e in entries]
        if sum(sizes) > MAX_BATCH_BYTES:
            raise BatchRequestTooLong(sum(sizes))
        sent, failed = [], []
        for entry, size in zip(entries, sizes, strict=True):
            try:
                validation.message(entry.get("MessageBody"), entry.get("MessageAttributes"))
                if size > queue.maximum_message_size:
                    raise _too_large(queue, batch=True)
                message = self.send_message(
                    queue_name, entry["MessageBody"],
                    message_attributes=entry.get("MessageAttributes"),
                    delay_seconds=entry.get("DelaySeconds"),
                    deduplication_id=entry.get("MessageDeduplicationId"),
                    group_id=entry.get("MessageGroupId"),
                    system_attributes=entry.get("MessageSystemAttributes"))
            except SQSException as exc:
                failed.append(_failed(entry["Id"], exc))
                continue
            message.user_id = entry["Id"]
            sent.append(message)
        return sent, failed

    # -- receive, delete, visibility ------------------------------------------------------
    def receive_message(self, queue_name, count, wait_seconds_timeout, visibility_timeout,
                        message_attribute_names=None, receiver: str | None = None):
        """Per-call cost independent of depth; a long poll wakes the instant a message
        becomes visible (moto: 1-second steps) and never spins on blocked FIFO groups;
        FIFO redelivery in order (moto walked its list: A2 before A1). `receiver` labels
        the receive in the lifecycle (HTTP receives: `http:<caller principal id>`).
        Returns shallow copies of the messages, attributes filtered as asked."""
        queue = self.get_queue(queue_name)
        store = queue.store
        names = message_attribute_names or []
        wait = float(wait_seconds_timeout or 0)
        deadline = time.monotonic() + wait
        if receiver is None and caller_access_key.get() is not None:
            receiver = f"http:{caller_sender_id(queue)}"  # the caller's principal id
        while True:
            with store.cond:
                received, to_dlq = store.take(int(count), visibility_timeout, receiver)
                result = []
                for message in received:
                    copied = copy(message)
                    sqs_models._filter_message_attributes(copied, names)
                    result.append(copied)
                if not result and not to_dlq and wait:
                    remaining = deadline - time.monotonic()
                    if remaining > 0:
                        due = store.next_due_ms()
                        if due is not None:  # wake when the next message becomes visible
                            remaining = min(remaining, max(0.0, (due - now_ms()) / 1000)
                                            + 0.001)
                        store.cond.wait(remaining)
                        continue
            for message in to_dlq:
                self.move_to_dlq(queue, message)
            if result or not wait or time.monotonic() >= deadline:
                return result

    def move_to_dlq(self, source: LabQueue, message: LabMessage) -> None:
        """Move `message` (already removed from `source`'s store) to source's DLQ."""
        dlq = source.dead_letter_queue
        lifecycle.record("moved_to_dlq", source, message.id, group_id=message.group_id,
                         receive_count=message.approximate_receive_count,
                         dlq_arn=dlq.queue_arn)
        message.dlq_source_arn = source.queue_arn
        with dlq.store.cond:
            dlq.store.add(message, 0, event="arrived_from_source",
                          from_queue_arn=source.queue_arn,
                          receive_count=message.approximate_receive_count)

    def delete_message(self, queue_name: str, receipt_handle: str) -> None:
        self.get_queue(queue_name).delete_message(receipt_handle)

    def delete_message_batch(self, queue_name, receipts):
        """moto's, after the batch's request-level checks (moto checks no entry Id)."""
        validation.batch_entries(receipts, "DeleteMessage")
        return super().delete_message_batch(queue_name, receipts)

    def change_message_visibility(self, queue_name, receipt_handle, visibility_timeout):
        store = self.get_queue(queue_name).store
        with store.cond:
            store.change_visibility(receipt_handle, visibility_timeout)

    def change_message_visibility_batch(self, queue_name, entries):
        """As moto's, after the batch's request-level checks, and with every per-entry error
        reported per entry."""
        success, failed = [], []
        for entry in validation.batch_entries(entries, "ChangeMessageVisibility"):
            try:
                timeout = int(entry["VisibilityTimeout"])
                if not 0 <= timeout <= sqs_models.MAXIMUM_VISIBILITY_TIMEOUT:
                    raise ValueError
            except (KeyError, TypeError, ValueError):
                failed.append({"Id": entry["Id"], "SenderFault": True,
                               "Code": "InvalidParameterValue",
                               "Message": "Visibility timeout invalid"})
                continue
            try:
                self.change_message_visibility(queue_name, entry.get("ReceiptHandle"), timeout)
                success.append(entry["Id"])
            except SQSException as exc:
                failed.append(_failed(entry["Id"], exc))
        return success, failed

    def purge_queue(self, queue_name: str) -> None:
        super().purge_queue(queue_name)  # moto's 60-second rule
        store = self.get_queue(queue_name).store
        with store.cond:
            store.purge()

    # -- the lab's ------------------------------------------------------------------------
    def advance(self, name: str | None = None) -> None:
        """Apply due clock transitions on every queue (or the one named `name`), so the
        lifecycle record shows `visible_again` / `delay_ended` even if nobody polled."""
        for queue in list(self.queues.values()):
            if name is None or queue.name == name:
                with queue.store.cond:
                    queue.store.advance()


# -- registration ---------------------------------------------------------------------
def register() -> None:
    """Make moto's `sqs_backends` build `LabSQSBackend`s (idempotent; see the module
    docstring). Region backends moto already built are replaced while they hold no
    queue; one that does makes this raise SQSRegistrationError (its state would be lost).
    """
    backends = sqs_models.sqs_backends
    with backend_lock:
        if backends.backend is LabSQSBackend:
            return
        stale = [(account, region, backend)
                 for account, regions in backends.items()
                 for region, backend in regions.items()
                 if not isinstance(backend, LabSQSBackend)]
        holding = [f"{account}/{region}" for account, region, backend in stale if backend.queues]
        if holding:
            raise SQSRegistrationError(
                "moto's SQS backends already hold queues in " + ", ".join(holding)
                + ": register the lab's SQS backend before the first CreateQueue")
        backends.backend = LabSQSBackend
        for account, region, _ in stale:
            del backends[account][region]
        for regions in backends.values():
            regions.backend = LabSQSBackend
    log.info("moto's sqs_backends now build %s.LabSQSBackend", __name__)


def is_registered() -> bool:
    return sqs_models.sqs_backends.backend is LabSQSBackend


def lab_backend(account_id: str, region: str, needed_by: str = "this caller") -> LabSQSBackend:
    """The lab's SQS backend of `account_id`/`region`; SQSLayerNotInstalled if moto's
    `sqs_backends` is not building lab backends (the SQS layer was never registered)."""
    backend = sqs_models.sqs_backends[account_id][region]
    if not isinstance(backend, LabSQSBackend):
        raise SQSLayerNotInstalled(backend, needed_by)
    return backend


def lab_backends():
    """Every lab SQS backend built so far."""
    for _, _, backend in sqs_models.sqs_backends.iter_backends():
        if isinstance(backend, LabSQSBackend):
            yield backend


def advance_all(name: str | None = None) -> None:
    """`LabSQSBackend.advance(name)` on every backend (every account and region)."""
    for backend in list(lab_backends()):
        backend.advance(name)

