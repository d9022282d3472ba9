"""StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask (DLQ redrive).

moto 5.2.5 does not implement them (HTTP 500). `responses.LabSQSResponse` serves them on
both protocols, JSON and query (XML), through `manager`; errors are SQSExceptions, which
moto's serialiser shapes per protocol. Shapes, validation and error messages follow the
SQS API reference and responses recorded against AWS (LocalStack's snapshot tests).
Behaviour:
- the source must be a dead-letter queue of some queue; one RUNNING task per source;
- messages go to `DestinationArn`, or, without it, each back to the queue it was
  dead-lettered from;
- a moved message is a new message in the destination (new MessageId, SentTimestamp and
  receive count, same body, attributes and group), as third-party reports describe AWS;
- `MaxNumberOfMessagesPerSecond` (1..500) paces the moves; without it AWS "optimizes the
  rate": the lab *models* that as up to 500 messages per 10 ms;
- `ApproximateNumberOfMessagesToMove` is the source's visible count at start; the task
  completes when that many moved or no visible message is left; a missing destination
  fails it (`FailureReason` AWS.SimpleQueueService.NonExistentQueue).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field

from moto.sqs.exceptions import InvalidParameterValue

from lab.offline.sqs.exceptions import ResourceNotFound
from lab.offline.sqs.lifecycle import now_ms
from lab.offline.sqs.models import LabMessage, lab_backend, lifecycle
from lab.offline.sqs.queues import queue_by_arn

log = logging.getLogger("lab.offline.sqs")

MAX_RATE = 500


def _not_found(param: str) -> ResourceNotFound:
    return ResourceNotFound(
        f"The resource that you specified for the {param} parameter doesn't exist.")


def _invalid(message: str) -> InvalidParameterValue:
    return InvalidParameterValue(message)


def encode_handle(task_id: str, source_arn: str) -> str:
    raw = json.dumps({"taskId": task_id, "sourceArn": source_arn}).encode()
    return base64.b64encode(raw).decode()


def decode_handle(handle: str) -> tuple[str, str]:
    try:
        data = json.loads(base64.b64decode(handle, validate=True))
        return data["taskId"], data["sourceArn"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise _invalid("Value for parameter TaskHandle is invalid.") from None


@dataclass
class MoveTask:
    task_id: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    to_move: int
    started_ms: int = field(default_factory=lambda: int(now_ms()))
    status: str = "RUNNING"
    moved: int = 0
    failure: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    @property
    def handle(self) -> str:
        return encode_handle(self.task_id, self.source_arn)

    def describe(self) -> dict:
        out = {"Status": self.status, "SourceArn": self.source_arn,
               "ApproximateNumberOfMessagesMoved": self.moved,
               "ApproximateNumberOfMessagesToMove": self.to_move,
               "StartedTimestamp": self.started_ms}
        if self.status == "RUNNING":
            out["TaskHandle"] = self.handle
        if self.destination_arn:
            out["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            out["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure:
            out["FailureReason"] = self.failure
        return out


class MoveTaskManager:
    """The running and finished move tasks, most recent first per source queue."""

    def __init__(self, recorder):
        self.recorder = recorder
        self._lock = threading.Lock()
        self._tasks: dict[str, list[MoveTask]] = {}

    # -- API ----------------------------------------------------------------------------
    def start(self, source_arn: str, destination_arn: str | None = None,
              rate: int | None = None) -> str:
        source = queue_by_arn(source_arn)
        if source is None:
            raise _not_found("SourceArn")
        backend = lab_backend(source.account_id, source.region, "a message move task")
        if not any(q.dead_letter_queue is source for q in backend.queues.values()):
            raise _invalid("Source queue must be configured as a Dead Letter Queue.")
        if destination_arn is not None and queue_by_arn(destination_arn) is None:
            raise _not_found("DestinationArn")
        if rate is not None and (not isinstance(rate, int) or not 1 <= rate <= MAX_RATE):
            raise _invalid("Value for parameter MaxNumberOfMessagesPerSecond is invalid. "
                           f"Reason: You must enter a number that's between 1 and {MAX_RATE}.")
        with self._lock:
            tasks = self._tasks.setdefault(source_arn, [])
            if any(t.status == "RUNNING" for t in tasks):
                raise _invalid("There is already a task running. Only one active task is "
                               "allowed for a source queue arn at a given time.")
            to_move = source.approximate_number_of_messages
            task = MoveTask(str(uuid.uuid4()), source_arn, destination_arn, rate, to_move)
            tasks.insert(0, task)
        task.thread = threading.Thread(target=self._run, args=(task,), daemon=True,
                                       name=f"sqs-move-{task.task_id[:8]}")
        task.thread.start()
        return task.handle

    def list(self, source_arn: str, max_results: int | None = None) -> list[dict]:
        if queue_by_arn(source_arn) is None:
            raise _not_found("SourceArn")
        limit = 1 if max_results is None else max_results
        if not isinstance(limit, int) or not 1 <= limit <= 10:
            raise _invalid("Value for parameter MaxResults is invalid. "
                           "Reason: You must enter a number that's between 1 and 10.")
        with self._lock:
            return [t.describe() for t in self._tasks.get(source_arn, [])[:limit]]

    def cancel(self, handle: str) -> int:
        task_id, source_arn = decode_handle(handle)
        if queue_by_arn(source_arn) is None:
            raise _not_found("SourceArn")
        with self._lock:
            task = next((t for t in self._tasks.get(source_arn, []) if t.task_id == task_id),
                        None)
            if task is None:
                raise ResourceNotFound("Task does not exist.")
            if task.status != "RUNNING":  # wording is the lab's
                raise _invalid(f"Only a RUNNING task can be cancelled; this one is {task.status}.")
            task.status = "CANCELLED"
            task.stop.set()
            return task.moved

    def shutdown(self) -> None:
        with self._lock:
            tasks = [t for ts in self._tasks.values() for t in ts]
        for task in tasks:
            task.stop.set()
        for task in tasks:
            if task.thread is not None:
                task.thread.join(timeout=2)

    def reset(self) -> None:
        self.shutdown()
        with self._lock:
            self._tasks.clear()

    # -- the mover ----------------------------------------------------------------------
    def _run(self, task: MoveTask) -> None:
        interval = 1.0 / task.rate if task.rate else 0.01
        chunk = 1 if task.rate else MAX_RATE
        next_at = time.monotonic()
        try:
            while not task.stop.is_set() and task.moved < task.to_move:
                if not self._move_some(task, min(chunk, task.to_move - task.moved)):
                    break
                next_at += interval
                task.stop.wait(max(0.0, next_at - time.monotonic()))
        except Exception as exc:  # a task fails (FailureReason); the server goes on
            log.exception("message move task %s from %s failed", task.task_id,
                          task.source_arn)
            self._finish(task, "FAILED", f"lab: {exc}")
            return
        self._finish(task, "COMPLETED")

    def _finish(self, task: MoveTask, status: str, failure: str | None = None) -> None:
        with self._lock:
            if task.status == "RUNNING":
                task.status, task.failure = status, failure

    def _move_some(self, task: MoveTask, limit: int) -> bool:
        """Move up to `limit` messages; False when the task must stop."""
        source = queue_by_arn(task.source_arn)
        if source is None:
            self._finish(task, "FAILED", "AWS.SimpleQueueService.NonExistentQueue")
            return False
        store = source.store
        with store.cond:
            taken = store.take_for_move(limit)
        if not taken:
            return False
        for i, message in enumerate(taken):
            dest_arn = task.destination_arn or message.dlq_source_arn
            destination = queue_by_arn(dest_arn)
            if destination is None:
                with store.cond:  # put back what was not moved, then fail
                    for back in taken[i:]:
                        store.add(back, 0, event="arrived_from_source",
                                  note="returned by a failed move task")
                self._finish(task, "FAILED", "AWS.SimpleQueueService.NonExistentQueue")
                return False
            self._send_moved(task, source, destination, message)
        return True

    def _send_moved(self, task, source, destination, message) -> None:
        moved = LabMessage(str(uuid.uuid4()), message.body, message.system_attributes)
        moved.message_attributes = message.message_attributes
        moved.group_id = message.group_id
        moved.deduplication_id = message.deduplication_id
        moved.sender_id = message.sender_id
        moved.sent_timestamp = int(now_ms())
        dest_store = destination.store
        with dest_store.cond:
            if destination.fifo_queue:
                moved.sequence_number = dest_store.next_sequence_number()
            dest_store.add(moved, 0, event="moved_in", original_message_id=message.id,
                           from_queue_arn=source.queue_arn, task_handle=task.handle)
        self.recorder.record("moved_out", source, message.id, group_id=message.group_id,
                             new_message_id=moved.id, destination_arn=destination.queue_arn,
                             task_handle=task.handle)
        with self._lock:
            task.moved += 1


# The move tasks of this process, like moto's state (served by responses.LabSQSResponse).
manager = MoveTaskManager(lifecycle)
