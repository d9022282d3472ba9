"""Fixes for moto 5.2.5's SQS gaps (reference/moto-gaps.md), applied in-process.

Each `fix_*` function patches one concern and says which moto behaviour it replaces. They
patch the model layer (`moto.sqs.models`), so requests over HTTP and in-process callers
(e.g. the event source mapping pollers calling `sqs_backends[...][...].receive_message`)
get the same behaviour. `MOTO_SOURCE_SHA256` records the source of every moto function
these fixes replace or wrap, as shipped in moto 5.2.5: `changed_moto_functions()` lists
the ones a moto upgrade changed (a conformance test fails on any), so the fixes are
re-verified before they are trusted on another version.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import inspect
import logging
import time
from copy import copy

from moto.sqs import models as sqs_models
from moto.sqs import responses as sqs_responses
from moto.sqs.exceptions import BatchRequestTooLong, InvalidParameterValue, ReceiptHandleIsInvalid

from lab.offline.sqs.lifecycle import LifecycleRecorder, now_ms
from lab.offline.sqs.queues import queue_by_arn
from lab.offline.sqs.store import MessageNotInflight, QueueStore

log = logging.getLogger("lab.serve.sqs")

MOTO_VERIFIED = "5.2.5"
DEDUP_WINDOW_MS = 300_000  # AWS: 5-minute deduplication interval
MAX_BATCH_BYTES = 1_048_576  # AWS: a batch's total payload <= 1 MiB

# sha256 of inspect.getsource(...) in moto 5.2.5 of everything the fixes replace or wrap.
MOTO_SOURCE_SHA256: dict[str, str] = {}  # filled in below, see _SOURCES

Queue = sqs_models.Queue
Backend = sqs_models.SQSBackend
Response = sqs_responses.SQSResponse

# The identity of the caller of the current HTTP request (its access key id), if any.
_caller_access_key: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "lab_sqs_caller", default=None)

recorder = LifecycleRecorder()
_originals: dict[str, object] = {}
applied: list[str] = []


def store_of(queue) -> QueueStore:
    """The lab's message store of a moto Queue (created on first use)."""
    store = queue.__dict__.get("_lab_store")
    if store is None:
        with queue._messages_lock:
            store = queue.__dict__.get("_lab_store")
            if store is None:
                store = QueueStore(queue, recorder)
                # messages stored before the patches were applied (none in lab serve)
                for message in list(queue.__dict__.get("_messages", [])):
                    store.add(message)
                queue._lab_store = store
    return store


# ---------------------------------------------------------------------------------------
def fix_message_store() -> None:
    """Per-message cost independent of queue depth; exact long-poll wake-ups; no busy FIFO
    long poll; FIFO redelivery in order.

    Replaces moto's list scans (`Queue.messages`, `Queue.approximate_number_of_*`,
    `Queue.delete_message`, `SQSBackend.change_message_visibility`) and its receive loop
    (`SQSBackend.receive_message` waits in 1-second steps and spins while every visible
    FIFO group is blocked; it walks the list in storage order, so A2 was redelivered
    before A1) with `QueueStore`. `receive_message` gains `receiver=` (a label recorded in
    the lifecycle, e.g. an event source mapping's poller id).
    """

    def messages(self):
        store = store_of(self)
        with store.cond:
            store.advance()
            return [m for m in store.messages.values() if m._lab_state == "ready"]

    def counter(state):
        def read(self):
            store = store_of(self)
            with store.cond:
                store.advance()
                return store.counts[state]
        return property(read)

    def add_message(self, message) -> None:
        store = store_of(self)
        delay = 1 if message.delayed_until > now_ms() else 0
        with store.cond:
            store.add(message, delay)

    def queue_delete_message(self, receipt_handle: str) -> None:
        store = store_of(self)
        with store.cond:
            store.delete(receipt_handle)

    def wait_for_messages(self, timeout: int) -> None:
        store = store_of(self)
        with store.cond:
            store.cond.wait_for(lambda: (store.advance() or store.counts["ready"]),
                                timeout=timeout)

    def receive_message(self, queue_name, count, wait_seconds_timeout, visibility_timeout,
                        message_attribute_names=None, receiver=None):
        queue = self.get_queue(queue_name)
        store = store_of(queue)
        names = message_attribute_names or []
        wait = float(wait_seconds_timeout or 0)
        deadline = time.monotonic() + wait
        if receiver is None and _caller_access_key.get() is not None:
            receiver = f"http:{_sender_id(queue)}"  # the caller's principal id
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
                move_to_dlq(queue, message)
            if result or not wait or time.monotonic() >= deadline:
                return result

    def delete_message(self, queue_name: str, receipt_handle: str) -> None:
        self.get_queue(queue_name).delete_message(receipt_handle)

    def change_message_visibility(self, queue_name, receipt_handle, visibility_timeout):
        store = store_of(self.get_queue(queue_name))
        with store.cond:
            store.change_visibility(receipt_handle, visibility_timeout)

    def change_message_visibility_batch(self, queue_name, entries):
        """As moto's, but every per-entry error (MessageNotInflight too) stays per entry."""
        success, failed = [], []
        for entry in entries:
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
                self.change_message_visibility(queue_name, entry["ReceiptHandle"], timeout)
                success.append(entry["Id"])
            except (ReceiptHandleIsInvalid, MessageNotInflight, InvalidParameterValue) as exc:
                failed.append({"Id": entry["Id"], "SenderFault": True,
                               "Code": exc.code.rsplit(".", 1)[-1], "Message": exc.message})
        return success, failed

    def purge_queue(self, queue_name: str) -> None:
        _originals["SQSBackend.purge_queue"](self, queue_name)  # the 60-second rule
        store = store_of(self.get_queue(queue_name))
        with store.cond:
            store.purge()

    _replace(Queue, "messages", property(messages))
    _replace(Queue, "approximate_number_of_messages", counter("ready"))
    _replace(Queue, "approximate_number_of_messages_not_visible", counter("inflight"))
    _replace(Queue, "approximate_number_of_messages_delayed", counter("delayed"))
    _replace(Queue, "add_message", add_message)
    _replace(Queue, "delete_message", queue_delete_message)
    _replace(Queue, "wait_for_messages", wait_for_messages)
    _replace(Backend, "receive_message", receive_message)
    _replace(Backend, "delete_message", delete_message)
    _replace(Backend, "change_message_visibility", change_message_visibility)
    _replace(Backend, "change_message_visibility_batch", change_message_visibility_batch)
    _replace(Backend, "purge_queue", purge_queue)


def advance_all(name: str | None = None) -> None:
    """Apply due clock transitions on every queue (or those named `name`), so the
    lifecycle record shows `visible_again` / `delay_ended` even if nobody polled since."""
    for regions in list(sqs_models.sqs_backends.values()):
        for backend in list(regions.values()):
            for queue in list(backend.queues.values()):
                if name is None or queue.name == name:
                    store = store_of(queue)
                    with store.cond:
                        store.advance()


def move_to_dlq(source, message) -> None:
    """Move `message` (already removed from `source`'s store) to source's DLQ."""
    dlq = source.dead_letter_queue
    recorder.record("moved_to_dlq", source, message.id, group_id=message.group_id,
                    receive_count=message.approximate_receive_count, dlq_arn=dlq.queue_arn)
    message._lab_dlq_source = source.queue_arn
    store = store_of(dlq)
    with store.cond:
        store.add(message, 0, event="arrived_from_source", from_queue_arn=source.queue_arn,
                  receive_count=message.approximate_receive_count)


# ---------------------------------------------------------------------------------------
def _utf8_len(text: str) -> int:
    # str.isascii() is O(1) in CPython (a flag of the string): no encoding for ASCII text
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def message_size(body: str, attributes: dict | None) -> int:
    """AWS: the message size is the UTF-8 bytes of the body plus, for every message
    attribute, its name, its data type and its value."""
    size = _utf8_len(body)
    for name, attr in (attributes or {}).items():
        size += _utf8_len(name) + _utf8_len(str(attr.get("DataType", "")))
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


def _too_large(queue) -> InvalidParameterValue:
    return InvalidParameterValue(
        "One or more parameters are invalid. Reason: Message must be shorter than "
        f"{queue.maximum_message_size} bytes.")


def fix_message_size() -> None:
    """Size limit in UTF-8 bytes including message attributes; batch total <= 1 MiB.

    moto 5.2.5 compares `len(body)` (Python characters, attributes ignored) with
    MaximumMessageSize, and the batch total counts bodies only. moto's
    `SQSBackend._validate_message` stays in use for its FIFO checks (MessageGroupId,
    deduplication id, DelaySeconds); its size check is weaker than `message_size`
    (characters <= UTF-8 bytes), so the size checks here (and in the patched
    `send_message`) decide.
    """
    original_batch = _originals.setdefault("SQSBackend.send_message_batch",
                                           Backend.send_message_batch)

    def send_message_batch(self, queue_name, entries):
        queue = self.get_queue(queue_name)
        sizes = [message_size(e["MessageBody"], e.get("MessageAttributes"))
                 for e in entries.values()]
        if sum(sizes) > MAX_BATCH_BYTES:
            raise BatchRequestTooLong(sum(sizes))
        if any(size > queue.maximum_message_size for size in sizes):
            raise _too_large(queue)
        return original_batch(self, queue_name, entries)

    _replace(Backend, "send_message_batch", send_message_batch)


# ---------------------------------------------------------------------------------------
def _sender_id(queue) -> str:
    """AWS: SenderId is the caller's principal id (an IAM user's `AIDA...`, an assumed
    role's `AROA...:session`): the same id `sts get-caller-identity` returns offline."""
    access_key = _caller_access_key.get()
    if not access_key:
        return sqs_models.DEFAULT_SENDER_ID
    try:
        from moto.sts.models import sts_backends
        from moto.utilities.utils import get_partition

        sts = sts_backends[queue.account_id][get_partition(queue.region)]
        return sts.get_caller_identity(access_key, queue.region)[0]
    except Exception:  # an identity lookup must never fail a send
        return access_key


def fix_send_message() -> None:
    """FIFO deduplication for 5 minutes (even after deletion, DeduplicationScope honoured),
    SequenceNumber on every FIFO message, size in UTF-8 bytes with attributes, SenderId
    of the caller, and a `sent` lifecycle event.

    moto 5.2.5 deduplicates only against messages still queued, ignores
    DeduplicationScope, draws a SequenceNumber only when an explicit deduplication id was
    given, counts characters of the body only, and uses one constant SenderId.
    AWS accepts a duplicate (HTTP 200) without delivering it; the lab answers with the
    first copy's MessageId and SequenceNumber, so a retried send looks idempotent.
    """

    def send_message(self, queue_name, message_body, message_attributes=None,
                     delay_seconds=None, deduplication_id=None, group_id=None,
                     system_attributes=None, validate_group_id=True, sender_id=None):
        queue = self.get_queue(queue_name)
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

        message = sqs_models.Message(str(sqs_models.random.uuid4()), message_body,
                                     system_attributes)
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
        message.sender_id = sender_id or _sender_id(queue)

        store = store_of(queue)
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
                    recorder.record("duplicate_suppressed", queue, first[1], now,
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

    _replace(Backend, "send_message", send_message)


# ---------------------------------------------------------------------------------------
REDRIVE_PERMISSIONS = ("allowAll", "denyAll", "byQueue")


def _parse_allow_policy(value) -> dict:
    def invalid(reason):
        return InvalidParameterValue(
            f"Value {value} for parameter RedriveAllowPolicy is invalid. Reason: {reason}")
    try:
        policy = value if isinstance(value, dict) else __import__("json").loads(value)
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
    policy = _parse_allow_policy(raw)
    if policy["redrivePermission"] == "allowAll":
        return True
    if policy["redrivePermission"] == "denyAll":
        return False
    return source_arn in policy["sourceQueueArns"]


def fix_redrive_allow_policy() -> None:
    """RedriveAllowPolicy returned by GetQueueAttributes, validated, and enforced when a
    source queue sets a RedrivePolicy naming that DLQ.

    moto 5.2.5 stores the attribute but neither returns nor checks it.
    """
    if "RedriveAllowPolicy" not in Queue.BASE_ATTRIBUTES:
        Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
    Queue.redrive_allow_policy = None  # class default for queues without one
    original = _originals.setdefault("Queue._set_attributes", Queue._set_attributes)

    def _set_attributes(self, attributes, now=None):
        if attributes.get("RedriveAllowPolicy"):
            _parse_allow_policy(attributes["RedriveAllowPolicy"])
        redrive = attributes.get("RedrivePolicy")
        if redrive and not Queue._is_empty_redrive_policy(redrive):
            try:
                target = (redrive if isinstance(redrive, dict)
                          else __import__("json").loads(redrive)).get("deadLetterTargetArn")
            except (ValueError, AttributeError):
                target = None
            dlq = queue_by_arn(target)
            if dlq is not None and not redrive_allowed(dlq, self.queue_arn):
                raise InvalidParameterValue(
                    f"Value {redrive} for parameter RedrivePolicy is invalid. Reason: "
                    f"Queue {self.queue_arn} is not allowed to use {target} as its "
                    "dead-letter queue (see the dead-letter queue's RedriveAllowPolicy).")
        original(self, attributes, now)

    _replace(Queue, "_set_attributes", _set_attributes)


# ---------------------------------------------------------------------------------------
def fix_caller_identity() -> None:
    """Remember the caller's access key for the duration of an SQS request, for SenderId
    and the receiver label of HTTP receives. (moto 5.2.5 never looks at the caller.)"""
    original = _originals.setdefault("SQSResponse.call_action", Response.call_action)

    def call_action(self):
        token = _caller_access_key.set(self.get_access_key())
        try:
            return original(self)
        finally:
            _caller_access_key.reset(token)

    _replace(Response, "call_action", call_action)


FIXES = {
    "message_store": (fix_message_store,
                      "depth-independent send/receive/delete; long polls wake when a "
                      "message becomes visible; FIFO long poll without busy spin; FIFO "
                      "redelivery in order"),
    "send_message": (fix_send_message,
                     "FIFO dedup 5 min incl. after delete, DeduplicationScope; SequenceNumber "
                     "always; size incl. attributes; SenderId of the caller"),
    "message_size": (fix_message_size, "UTF-8 bytes incl. attributes; batch total <= 1 MiB"),
    "redrive_allow_policy": (fix_redrive_allow_policy, "returned, validated and enforced"),
    "caller_identity": (fix_caller_identity, "caller's principal id as SenderId"),
}

# What each fix replaces, wraps or relies on in moto (checked against MOTO_SOURCE_SHA256);
# e.g. SQSBackend._validate_message is no longer patched but still checks FIFO sends.
_SOURCES = {
    "Queue.messages": lambda: Queue.messages.fget,
    "Queue.approximate_number_of_messages": lambda: Queue.approximate_number_of_messages.fget,
    "Queue.approximate_number_of_messages_not_visible":
        lambda: Queue.approximate_number_of_messages_not_visible.fget,
    "Queue.approximate_number_of_messages_delayed":
        lambda: Queue.approximate_number_of_messages_delayed.fget,
    "Queue.add_message": lambda: Queue.add_message,
    "Queue.delete_message": lambda: Queue.delete_message,
    "Queue.wait_for_messages": lambda: Queue.wait_for_messages,
    "Queue._set_attributes": lambda: Queue._set_attributes,
    "Queue.attributes": lambda: Queue.attributes.fget,
    "Queue.__init__": lambda: Queue.__init__,
    "Message.__init__": lambda: sqs_models.Message.__init__,
    "Message.mark_received": lambda: sqs_models.Message.mark_received,
    "SQSBackend.receive_message": lambda: Backend.receive_message,
    "SQSBackend.delete_message": lambda: Backend.delete_message,
    "SQSBackend.change_message_visibility": lambda: Backend.change_message_visibility,
    "SQSBackend.change_message_visibility_batch":
        lambda: Backend.change_message_visibility_batch,
    "SQSBackend.purge_queue": lambda: Backend.purge_queue,
    "SQSBackend._validate_message": lambda: Backend._validate_message,
    "SQSBackend.send_message": lambda: Backend.send_message,
    "SQSBackend.send_message_batch": lambda: Backend.send_message_batch,
    "SQSBackend.get_queue_attributes": lambda: Backend.get_queue_attributes,
    "SQSResponse.call_action": lambda: Response.call_action,
    "SQSResponse.send_message": lambda: Response.send_message,
    "SQSResponse.send_message_batch": lambda: Response.send_message_batch,
    "SQSResponse.receive_message": lambda: Response.receive_message,
}


def _replace(cls, name: str, new) -> None:
    key = f"{cls.__name__}.{name}"
    _originals.setdefault(key, cls.__dict__.get(name) or getattr(cls, name))
    setattr(cls, name, new)
    if callable(new):
        new._lab_patched = True


def _source_of(key: str):
    """moto's original object for `key` (before any patch)."""
    if key in _originals:
        obj = _originals[key]
        return obj.fget if isinstance(obj, property) else obj
    return _SOURCES[key]()


def source_sha256(key: str) -> str:
    return hashlib.sha256(inspect.getsource(_source_of(key)).encode()).hexdigest()


def changed_moto_functions() -> list[str]:
    """moto functions the fixes depend on whose source differs from moto 5.2.5's."""
    return [key for key, digest in MOTO_SOURCE_SHA256.items() if source_sha256(key) != digest]


def apply() -> list[str]:
    """Apply every fix once (idempotent); returns the names of the active fixes."""
    if not applied:
        changed = changed_moto_functions()
        if changed:
            log.warning("moto's SQS code differs from %s in %s: the lab's SQS fixes need "
                        "re-verifying", MOTO_VERIFIED, ", ".join(changed))
        for name, (fix, _) in FIXES.items():
            fix()
            applied.append(name)
    return list(applied)


MOTO_SOURCE_SHA256.update({
    "Queue.messages": "03a531dbcbcf9aee2e61c7254c08946a499f5c57f2447a8f2e534aa85b067dea",
    "Queue.approximate_number_of_messages": "d357a9506a56d2f8f9f364aa1e0a4739182106db6dbcede0e0699c00d1406eec",
    "Queue.approximate_number_of_messages_not_visible": "5dbecc4dda174358d2aefa96e4b769def47fd6bb2c315241c451e8518c3fabab",
    "Queue.approximate_number_of_messages_delayed": "c3c1dadb0c42ed5f8f5e1fddc8384de67db2df9a4055504f10903bd0b55e8d2f",
    "Queue.add_message": "f27c9231c1f2043382bc1435c4dfbab7b645389df642f050d9dda477f6535c35",
    "Queue.delete_message": "fa6fd5b9bd2cafb4aaacd79da7fc656e513e1513197c2939ff002f9ebfd4be46",
    "Queue.wait_for_messages": "58432562ccf2e13ed8841c825dd2614b6e57b71733d1ce9ba6926d38530ba1f1",
    "Queue._set_attributes": "4b7aaf3f46363f13788975ac5d49c63ee3d85c75538692d12d22f7f71cedc2f2",
    "Queue.attributes": "40cb990b121628d535cecbcd0e0d333984024633b70a097489ae8611e1a59338",
    "Queue.__init__": "0a4781ed5a21a050e0f635ea2ca8774a9aab5312d25a4dc063e0692ca331dd62",
    "Message.__init__": "4ab16d5eb16ec41c7d3907f6d30fedb903a124645f645b5ceda3b0bdcde88ea0",
    "Message.mark_received": "98e7ec115c7fcb9f34b06f42cb88a96ee9b595870bdad0105e25c4d8df462c97",
    "SQSBackend.receive_message": "065f3e5e7d2144089ce3b5d16d9306243ccd2f3ee11b44beb851292fadb7652f",
    "SQSBackend.delete_message": "9eb658afdceb6bd9de79334fb31591bc0aa44bc924c0486516165418bbfff777",
    "SQSBackend.change_message_visibility": "f0e9df5f66627114c9249020675ff5accee62a9cab5e797442538c13ac593b99",
    "SQSBackend.change_message_visibility_batch": "6194b4570c67a1a0ca8c8b323ecdbf4bf851515379a5145c8396ada0d93da963",
    "SQSBackend.purge_queue": "443ea1ae7b15230caa656fd9915e50d18868a7efc9d37c4da9a0e999c725766a",
    "SQSBackend._validate_message": "39cb57c19e596164bc306395ca3697adeea6deaa48a3277831ce6aaa99816e3a",
    "SQSBackend.send_message": "bf161af09a9e6b860e3dd5d8f58ccc802623caa86883fab9b2ffb333f8f70330",
    "SQSBackend.send_message_batch": "0707ad219481c867546327a5e0f42421187e1706202c68f9d8e87be597d3417a",
    "SQSBackend.get_queue_attributes": "58417223da457b5a0aac5ccc31b6646ed9b22c3b276a0f0d9fd5f3f13bd797ec",
    "SQSResponse.call_action": "26076963fd17fd1a40be642032b5a8d90f159c19d01b80a5f0b0c839770ee0d6",
    "SQSResponse.send_message": "f486fa48de9f0fc7abaaa99f2aec6ab64279e42a85db568a82faa3acc8f07165",
    "SQSResponse.send_message_batch": "c68cdac5e2afa47dfa9757e5f40965d902b411873fedb25506459eedb7e503e4",
    "SQSResponse.receive_message": "0027050ecd1294f80efb5cd1e2480f46608d3990c963ba5edfdaa9ab079df300",
})
