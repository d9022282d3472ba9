"""A message store for one moto SQS queue whose per-message cost does not grow with depth.

moto 5.2.5 keeps a queue's messages in one list and scans it on every send, receive,
delete and attribute read; long polls re-check only once a second. This store keeps:
- `messages` (id -> Message) and `by_handle` (every receipt handle -> Message);
- ready messages in a heap by enqueue order (standard) or, for FIFO, one heap per message
  group plus a heap of the groups that may deliver (no message of theirs in flight);
- a timer heap of the instants when in-flight messages become visible again and delayed
  messages become visible, so a waiting long poll sleeps exactly until the next one;
- counters for ApproximateNumberOfMessages / NotVisible / Delayed.
All state changes happen under the queue's Condition (moto's `_messages_lock`), and each
notifies waiting long polls. Transitions driven by the clock are applied lazily
(`advance`) but recorded with the instant they happened.

Messages are `LabMessage`s (models.py: moto `Message`s, which moto's responses
serialise, with the store's fields `lab_state` ("ready", "inflight", "delayed", "gone"),
`lab_order` and `lab_gen` declared). The store belongs to its `LabQueue` (`queue.store`).
"""

from __future__ import annotations

import base64
import binascii
import heapq
import secrets
import time
from collections import deque
from copy import copy

from moto.sqs.exceptions import InvalidParameterValue

from lab.offline.sqs.exceptions import InvalidReceiptHandle, MessageNotAvailable
from lab.offline.sqs.lifecycle import now_ms

READY, INFLIGHT, DELAYED, GONE = "ready", "inflight", "delayed", "gone"
MAX_VISIBILITY_S = 43_200


def new_receipt_handle(queue_arn: str, message_id: str) -> str:
    """An opaque handle that, like AWS's, says which queue and message it was issued for:
    a handle of a message that is gone is told apart from one that never was a handle
    (moto draws 185 random letters one by one, ~0.1 ms, and keeps no such record)."""
    raw = f"{queue_arn} {message_id} {secrets.token_urlsafe(48)}".encode()
    return base64.urlsafe_b64encode(raw).decode()


def handle_message_id(handle: object, queue_arn: str) -> str | None:
    """The message id a handle of this queue was issued for; None if it is not one."""
    if not isinstance(handle, str) or not handle:
        return None
    try:
        parts = base64.urlsafe_b64decode(handle.encode("ascii", "strict")).decode().split(" ")
    except (binascii.Error, ValueError):
        return None
    return parts[1] if len(parts) == 3 and parts[0] == queue_arn else None


class _Group:
    __slots__ = ("ready", "inflight")

    def __init__(self) -> None:
        self.ready: list[tuple[int, str]] = []  # heap of (enqueue order, message id)
        self.inflight = 0


class QueueStore:
    """The messages of one queue; `queue` is moto's Queue, `recorder` the lifecycle."""

    def __init__(self, queue, recorder=None):
        self.queue = queue
        self.recorder = recorder
        self.cond = queue._messages_lock
        self.fifo = bool(queue.fifo_queue)
        self.messages: dict[str, object] = {}
        self.by_handle: dict[str, object] = {}
        self.ready: list[tuple[int, str]] = []
        self.groups: dict[str, _Group] = {}
        self.group_heap: list[tuple[int, str]] = []
        self.timers: list[tuple[float, int, str, int]] = []
        self.counts = {READY: 0, INFLIGHT: 0, DELAYED: 0}
        self._order = 0
        self.last_sequence = 0  # the latest FIFO SequenceNumber (next_sequence_number)
        # FIFO deduplication (dedup_table): key -> (expires_ms, message id, sequence
        # number), and (expires_ms, key) in the order the keys were added.
        self.dedup: dict[object, tuple[float, str, str | None]] = {}
        self.dedup_order: deque[tuple[float, object]] = deque()
        # During take(): messages received with VisibilityTimeout=0 become visible again
        # only after the call, so one ReceiveMessage never returns the same message twice.
        self._deferred: list | None = None

    # -- FIFO sequence numbers and deduplication (caller holds self.cond) --------------
    def next_sequence_number(self) -> str:
        """AWS: a large, non-consecutive number, increasing within a message group (the
        lab's increases per queue); 20 digits like AWS's."""
        self.last_sequence = max(self.last_sequence + 1, time.time_ns() * 10)
        return f"{self.last_sequence:020d}"

    def dedup_table(self, now: float) -> dict:
        """The queue's deduplication keys still inside their window at `now` (ms)."""
        order, table = self.dedup_order, self.dedup
        while order and order[0][0] <= now:
            _, key = order.popleft()
            if key in table and table[key][0] <= now:
                del table[key]
        return table

    # -- recording ----------------------------------------------------------------------
    def _record(self, event, message, time_ms=None, **fields):
        if self.recorder is not None:
            self.recorder.record(event, self.queue, message.id, time_ms,
                                 group_id=message.group_id, **fields)

    # -- state transitions (caller holds self.cond) -------------------------------------
    def _set_state(self, message, state) -> None:
        old = message.lab_state
        if old in self.counts:
            self.counts[old] -= 1
        if state in self.counts:
            self.counts[state] += 1
        message.lab_state = state
        if self.fifo and message.group_id is not None:
            group = self.groups.setdefault(message.group_id, _Group())
            if old == INFLIGHT:
                group.inflight -= 1
                if group.inflight == 0:
                    self._offer_group(message.group_id, group)
            if state == INFLIGHT:
                group.inflight += 1

    def _make_ready(self, message) -> None:
        self._set_state(message, READY)
        entry = (message.lab_order, message.id)
        if self.fifo and message.group_id is not None:
            group = self.groups.setdefault(message.group_id, _Group())
            heapq.heappush(group.ready, entry)
            if group.inflight == 0:
                heapq.heappush(self.group_heap, (group.ready[0][0], message.group_id))
        else:
            heapq.heappush(self.ready, entry)

    def _offer_group(self, group_id, group) -> None:
        head = self._group_head(group)
        if head is not None:
            heapq.heappush(self.group_heap, (head, group_id))

    def _group_head(self, group):
        while group.ready:
            order, mid = group.ready[0]
            message = self.messages.get(mid)
            if message is not None and message.lab_state == READY \
                    and message.lab_order == order:
                return order
            heapq.heappop(group.ready)
        return None

    def _schedule(self, message, due_ms: float) -> None:
        message.lab_gen += 1
        heapq.heappush(self.timers, (due_ms, self._order, message.id, message.lab_gen))

    def advance(self, now: float | None = None) -> None:
        """Apply every clock-driven transition due by `now` (ms)."""
        now = now_ms() if now is None else now
        timers = self.timers
        while timers and timers[0][0] <= now:
            due, _, mid, gen = heapq.heappop(timers)
            message = self.messages.get(mid)
            if message is None or message.lab_gen != gen:
                continue
            state = message.lab_state
            if state == INFLIGHT:
                self._make_ready(message)
                self._record("visible_again", message, due,
                             receive_count=message.approximate_receive_count)
            elif state == DELAYED:
                self._make_ready(message)
                self._record("delay_ended", message, due)

    def next_due_ms(self) -> float | None:
        return self.timers[0][0] if self.timers else None

    # -- operations (caller holds self.cond) --------------------------------------------
    def add(self, message, delay_seconds: int = 0, event: str = "sent", **fields) -> None:
        self._order += 1
        message.lab_order = self._order
        message.lab_gen = 0
        message.lab_state = None
        self.messages[message.id] = message
        if delay_seconds:
            self._set_state(message, DELAYED)
            self._schedule(message, message.delayed_until)
        else:
            self._make_ready(message)
        self._record(event, message, message.sent_timestamp if event == "sent" else None,
                     dedup_id=message.deduplication_id,
                     sequence_number=message.sequence_number,
                     delay_seconds=delay_seconds or None, **fields)
        self.cond.notify_all()

    def _pop_ready(self, heap):
        while heap:
            order, mid = heapq.heappop(heap)
            message = self.messages.get(mid)
            if message is not None and message.lab_state == READY \
                    and message.lab_order == order:
                return message
        return None

    def _remove(self, message) -> None:
        self._set_state(message, GONE)
        self.messages.pop(message.id, None)
        for handle in [message.receipt_handle, *message._old_receipt_handles]:
            if handle is not None:
                self.by_handle.pop(handle, None)

    def take(self, count: int, visibility_timeout: int, receiver=None, now=None):
        """Receive up to `count` messages. Returns (received, to_dlq): messages whose
        receive count already reached maxReceiveCount are removed here and must be added
        to the DLQ by the caller *after* releasing this queue's lock."""
        now = now_ms() if now is None else now
        self.advance(now)
        self._deferred = []
        try:
            received, to_dlq = self._take(count, visibility_timeout, receiver, now)
        finally:
            deferred, self._deferred = self._deferred, None
            for message in deferred:
                message.lab_gen += 1
                self._make_ready(message)
                self._record("visible_again", message, now,
                             receive_count=message.approximate_receive_count)
        return received, to_dlq

    def _take(self, count: int, visibility_timeout: int, receiver, now):
        received, to_dlq = [], []
        queue = self.queue
        policy = queue.redrive_policy if queue.dead_letter_queue is not None else None
        max_receives = policy["maxReceiveCount"] if policy else None
        retention_ms = int(queue.message_retention_period) * 1000

        def consider(message) -> bool:
            """Deliver `message` unless it expired or goes to the DLQ."""
            if message.sent_timestamp + retention_ms <= now:
                self._remove(message)
                self._record("expired", message, now)
                return False
            if max_receives is not None and message.approximate_receive_count >= max_receives:
                self._remove(message)
                to_dlq.append(message)
                return False
            self._deliver(message, visibility_timeout, receiver, now)
            received.append(message)
            return True

        if not self.fifo:
            while len(received) < count:
                message = self._pop_ready(self.ready)
                if message is None:
                    break
                consider(message)
        else:
            while len(received) < count and self.group_heap:
                head, group_id = heapq.heappop(self.group_heap)
                group = self.groups.get(group_id)
                if group is None or group.inflight:
                    continue
                current = self._group_head(group)
                if current is None:
                    continue
                if current != head:
                    heapq.heappush(self.group_heap, (current, group_id))
                    continue
                # AWS returns as many messages of one group as it can, then other groups.
                while len(received) < count:
                    message = self._pop_ready(group.ready)
                    if message is None:
                        break
                    consider(message)
                if not group.inflight:  # nothing delivered (all expired / to the DLQ)
                    self._offer_group(group_id, group)
        return received, to_dlq

    def _deliver(self, message, visibility_timeout, receiver, now) -> None:
        if not message.approximate_first_receive_timestamp:
            message.approximate_first_receive_timestamp = int(now)
        message.approximate_receive_count += 1
        if message.receipt_handle is not None:
            message._old_receipt_handles.append(message.receipt_handle)
        message.receipt_handle = new_receipt_handle(self.queue.queue_arn, message.id)
        self.by_handle[message.receipt_handle] = message
        vt = int(visibility_timeout or 0)
        message.visible_at = now + vt * 1000
        self._set_state(message, INFLIGHT)
        self._record("received", message, now, receive_count=message.approximate_receive_count,
                     receiver=receiver, visibility_timeout_s=vt,
                     visible_at_ms=round(message.visible_at, 3))
        if vt > 0:
            self._schedule(message, message.visible_at)
        elif self._deferred is not None:  # VisibilityTimeout=0: visible again after this call
            self._deferred.append(message)
        else:  # VisibilityTimeout=0: visible again at once
            message.lab_gen += 1
            self._make_ready(message)
            self._record("visible_again", message, now,
                         receive_count=message.approximate_receive_count)

    def _by_handle(self, receipt_handle):
        """The message `receipt_handle` was issued for, or None if that message is gone
        (deleted, moved to a DLQ, expired, purged); InvalidReceiptHandle if it never was a
        handle of this queue's messages."""
        message = self.by_handle.get(receipt_handle) if isinstance(receipt_handle, str) \
            else None
        if message is not None:
            return message
        message_id = handle_message_id(receipt_handle, self.queue.queue_arn)
        if message_id is None or message_id in self.messages:
            raise InvalidReceiptHandle(receipt_handle)
        return None

    def delete(self, receipt_handle: str) -> None:
        """AWS: deleting a message that is already gone succeeds (LocalStack's AWS-validated
        test_delete_message_with_deleted_receipt_handle)."""
        message = self._by_handle(receipt_handle)
        if message is None:
            return
        self._remove(message)
        self._record("deleted", message, receive_count=message.approximate_receive_count)
        self.cond.notify_all()  # a FIFO group may be free again

    def change_visibility(self, receipt_handle: str, visibility_timeout: int) -> None:
        """AWS: a gone message's handle is refused (MessageNotAvailable); a message whose
        visibility timeout expired and that was not received again answers 200 and stays
        visible (LocalStack's AWS-validated
        test_change_message_visibility_after_visibility_timeout_expiration; "AWS simply
        sends back an OK and does nothing", localstack/localstack#9632: the no-op is a
        MODEL of what AWS does with the message)."""
        message = self._by_handle(receipt_handle)
        if message is None:
            raise MessageNotAvailable(receipt_handle)
        now = now_ms()
        self.advance(now)
        if message.lab_state != INFLIGHT:
            return
        vt = int(visibility_timeout)
        first = message.approximate_first_receive_timestamp or now
        if now + vt * 1000 - first > MAX_VISIBILITY_S * 1000:
            raise InvalidParameterValue(
                f"Value {vt} for parameter VisibilityTimeout is invalid. Reason: Total "
                f"VisibilityTimeout for the message is beyond the limit [{MAX_VISIBILITY_S} seconds]")
        message.visible_at = now + vt * 1000
        self._record("visibility_changed", message, now, visibility_timeout_s=vt,
                     visible_at_ms=round(message.visible_at, 3),
                     receive_count=message.approximate_receive_count)
        if vt > 0:
            self._schedule(message, message.visible_at)
        else:
            message.lab_gen += 1
            self._make_ready(message)
            self._record("visible_again", message, now,
                         receive_count=message.approximate_receive_count)
        self.cond.notify_all()

    def take_for_move(self, limit: int, now=None) -> list:
        """Remove up to `limit` visible messages, oldest first (message move tasks)."""
        now = now_ms() if now is None else now
        self.advance(now)
        taken = []
        while len(taken) < limit:
            if self.fifo:
                message = None
                while self.group_heap and message is None:
                    _, group_id = heapq.heappop(self.group_heap)
                    group = self.groups.get(group_id)
                    if group is not None and not group.inflight:
                        message = self._pop_ready(group.ready)
                        self._offer_group(group_id, group)
            else:
                message = self._pop_ready(self.ready)
            if message is None:
                break
            self._remove(message)
            taken.append(message)
        return taken

    def purge(self) -> None:
        for message in list(self.messages.values()):
            self._record("purged", message)
            message.lab_state = GONE
        self.messages.clear()
        self.by_handle.clear()
        self.ready.clear()
        self.groups.clear()
        self.group_heap.clear()
        self.timers.clear()
        self.counts = {READY: 0, INFLIGHT: 0, DELAYED: 0}
        self.cond.notify_all()

    def snapshot(self) -> list:
        """Shallow copies of the stored messages, in enqueue order."""
        return [copy(m) for m in self.messages.values()]
