"""The pollers behind one enabled mapping: gather a batch, invoke, delete what succeeded.

One runner per enabled mapping: a controller thread asks the scaling MODEL for a target
number of concurrent batches and keeps that many poller threads alive; each poller
long-polls the queue, gathers a batch (full, window over, or the 6 MB synchronous payload
limit), invokes the function synchronously through `services["lambda"]`, then deletes the
batch on success, nothing on a function error, timeout, crash or throttle (the messages
return after the visibility timeout), or all but the reported items with
ReportBatchItemFailures. After a failure or a throttle the poller backs off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from lab.offline.errors import LabAwsError
from lab.offline.esm import events, filtering, sqs_source
from lab.offline.esm.exceptions import NoLambdaService
from lab.offline.esm.mapping import Mapping
from lab.offline.esm.scaling import ScalingModel
from lab.offline.esm.stats import MappingStats
from lab.offline.lambda_.service import SYNC_PAYLOAD_LIMIT  # a batch is one sync invoke

log = logging.getLogger("lab.offline.esm")

TICK = 0.05  # controller period, seconds
LONG_POLL = 1.0  # seconds per wait step while the queue is empty (stop and scale-down
#                   are checked between)
# Back-off after a failed or throttled batch: a MODEL (AWS says Lambda backs off but does
# not publish the schedule). Doubles from BACKOFF_MIN up to BACKOFF_MAX, reset on success.
BACKOFF_MIN, BACKOFF_MAX = 0.05, 1.0


class Invoker:
    """Calls `services["lambda"].invoke`, looked up at call time (install order is free)."""

    def __init__(self, services: dict):
        self.services = services

    def __call__(self, function_arn: str, payload: bytes, region: str):
        lam = self.services.get("lambda")
        if lam is None:
            raise NoLambdaService()
        return lam.invoke(function=function_arn, payload=payload,
                          invocation_type="RequestResponse", region=region)


class MappingRunner:
    def __init__(self, mapping: Mapping, invoke: Callable, stats: MappingStats,
                 labeler=None, on_function_gone: Callable[[str], None] | None = None):
        self.mapping = mapping
        self.on_function_gone = on_function_gone
        self.invoke = invoke
        self.stats = stats
        self.labeler = labeler  # optional: tells the SQS lifecycle recorder who received
        self.model = ScalingModel(mapping.max_concurrency)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pollers: dict[int, threading.Thread] = {}
        self._next_id = 0
        self._controller: threading.Thread | None = None
        # With a batching window the mapping fills one batch at a time: pollers take turns
        # gathering (so a trickle becomes one batch per window, and a backlog fills each
        # batch to BatchSize), while the invocations themselves still run concurrently.
        self._gather_turn = threading.Lock()
        # signals from pollers to the controller, reset each tick
        self._sig_received = False
        self._sig_full = False
        self._sig_empty = False
        self._sig_throttles = 0

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        self._controller = threading.Thread(target=self._control, daemon=True,
                                            name=f"esm-{self.mapping.uuid[:8]}-ctl")
        self._controller.start()

    def stop(self) -> None:
        """Stop polling; batches being processed finish (their messages are not dropped)."""
        self._stop.set()

    def join(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        threads = [self._controller] if self._controller else []
        with self._lock:
            threads += list(self._pollers.values())
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads)

    def alive_pollers(self) -> int:
        with self._lock:
            return sum(1 for t in self._pollers.values() if t.is_alive())

    def receiver_label(self, pid: int) -> str:
        """Who received, in the SQS lifecycle record: the mapping and its poller."""
        return f"esm-{self.mapping.uuid}/poller-{pid}"

    def reconfigure(self) -> None:
        self.model.set_cap(self.mapping.max_concurrency)

    # -- controller ---------------------------------------------------------------------
    def _control(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(TICK):
            now = time.monotonic()
            with self._lock:
                received, full, empty = self._sig_received, self._sig_full, self._sig_empty
                throttles = self._sig_throttles
                self._sig_received = self._sig_full = self._sig_empty = False
                self._sig_throttles = 0
            # Backlog: messages wait in the queue (busy pollers receive nothing, so their
            # own signals alone would stall growth), or a receive came back full.
            backlog = sqs_source.waiting(self.mapping.queue) > 0 or (full and not empty)
            target = self.model.tick(now - last, backlog=backlog,
                                     received=received, throttles=throttles)
            last = now
            self._ensure_pollers(target)
            self.stats.sample(self.alive_pollers(), target)

    def _ensure_pollers(self, target: int) -> None:
        with self._lock:
            for pid in [p for p, t in self._pollers.items() if not t.is_alive()]:
                del self._pollers[pid]
            while len(self._pollers) < target and not self._stop.is_set():
                pid = self._next_id
                self._next_id += 1
                thread = threading.Thread(target=self._poll, args=(pid,), daemon=True,
                                          name=f"esm-{self.mapping.uuid[:8]}-p{pid}")
                self._pollers[pid] = thread
                thread.start()

    def _should_exit(self, pid: int) -> bool:
        if self._stop.is_set():
            return True
        with self._lock:  # scale down: the newest pollers leave first
            alive = sorted(p for p, t in self._pollers.items() if t.is_alive())
            return pid in alive[self.model.target:]

    # -- pollers ------------------------------------------------------------------------
    def _poll(self, pid: int) -> None:
        backoff = 0.0
        carry: list = []
        while not self._should_exit(pid):
            try:
                batch, carry = self._gather(pid, carry)
            except sqs_source.QueueGone:
                log.warning("esm %s: source queue %s is gone", self.mapping.uuid,
                            self.mapping.queue.arn)
                self._stop.wait(1.0)
                continue
            except Exception:
                log.exception("esm %s: receive failed", self.mapping.uuid)
                self._stop.wait(0.5)
                continue
            if not batch:
                continue
            ok = self._process(pid, batch)
            if ok:
                backoff = 0.0
            else:
                backoff = min(BACKOFF_MAX, max(BACKOFF_MIN, backoff * 2))
                time.sleep(backoff)  # in-flight work is done; a short, bounded pause

    def _receive(self, pid: int, max_messages: int, wait: float) -> list:
        msgs = sqs_source.receive(self.mapping.queue, max_messages, wait,
                                  receiver=self.receiver_label(pid))
        with self._lock:
            if msgs:
                self._sig_received = True
                if len(msgs) >= max_messages:
                    self._sig_full = True
            else:
                self._sig_empty = True
        if msgs:
            self.stats.add(messages_received=len(msgs), receives=1)
        return msgs

    def _gather(self, pid: int, carry: list) -> tuple[list, list]:
        # Messages carried past a 6 MB batch are in hand: they make the next batch at once
        # (no receive, so no turn; waiting for one left them to the visibility timeout).
        if self.mapping.window <= 0 or carry:
            return self._gather_batch(pid, carry)
        while not self._gather_turn.acquire(timeout=LONG_POLL):
            if self._should_exit(pid):
                return [], carry
        try:
            return self._gather_batch(pid, carry)
        finally:
            self._gather_turn.release()

    def _gather_batch(self, pid: int, carry: list) -> tuple[list, list]:
        """A batch of (message, record) pairs; messages past 6 MB carry to the next batch."""
        m = self.mapping
        batch: list = []
        size = len(events.event_payload([]))
        deadline = None
        pending = list(carry)
        while len(batch) < m.batch_size:
            if not pending:
                want = min(10, m.batch_size - len(batch))
                if not batch:
                    msgs = self._receive(pid, want, LONG_POLL)
                    if not msgs:
                        if self._should_exit(pid):  # stopped, or scaled down while idle
                            break
                        continue
                    deadline = time.monotonic() + m.window
                else:
                    remaining = deadline - time.monotonic() if deadline else 0.0
                    if remaining <= 0:
                        break
                    msgs = self._receive(pid, want, remaining)
                    if not msgs:
                        continue
                pending = list(msgs)
            msg = pending.pop(0)
            record = events.sqs_record(msg, queue_arn=m.queue.arn, region=m.region,
                                       fifo=m.queue.fifo)
            rsize = events.record_size(record)
            if batch and size + rsize > SYNC_PAYLOAD_LIMIT:
                pending.insert(0, msg)
                break
            batch.append((msg, record))
            size += rsize
            if m.window == 0 and not pending:
                break  # window 0: one ReceiveMessage call makes the batch
        return batch, pending

    def _filtered(self, batch: list) -> list:
        """The batch without the records no filter matches; those are deleted now, never
        invoked ("Lambda automatically deletes messages that don't match", with-sqs-filtering)."""
        filters = self.mapping.filters
        if not filters:
            return batch
        kept = [(msg, rec) for msg, rec in batch if filtering.matches_record(filters, rec)]
        dropped = [rec["receiptHandle"] for _, rec in batch
                   if not filtering.matches_record(filters, rec)]
        if dropped:
            deleted = sqs_source.delete(self.mapping.queue, dropped)
            self.stats.add(messages_deleted=deleted, messages_filtered=len(dropped))
        return kept

    def _process(self, pid: int, batch: list) -> bool:
        m = self.mapping
        batch = self._filtered(batch)
        if not batch:
            return True
        records = [r for _, r in batch]
        ids = [r["messageId"] for r in records]
        handles = {r["messageId"]: r["receiptHandle"] for r in records}
        record = {"poller": pid, "batch_size": len(records), "message_ids": ids,
                  "receive_counts": [int(r["attributes"]["ApproximateReceiveCount"])
                                     for r in records]}
        started = self.stats.invoke_started()
        outcome = "success"
        to_delete: list[str] = []
        try:
            result = self.invoke(m.function_arn, events.event_payload(records), m.region)
            record["request_id"] = getattr(result, "request_id", None)
            if getattr(result, "function_error", None):
                outcome = "function_error"
                record["error_type"] = getattr(result, "error_type", None)
            elif events.REPORT_BATCH_ITEM_FAILURES in m.response_types:
                answer = events.read_batch_response(getattr(result, "payload", b""), ids)
                to_delete, outcome = answer.delete_ids, answer.reason
                record["failed_ids"] = answer.failed_ids
            else:
                to_delete = ids
        except LabAwsError as exc:
            outcome = "throttled" if exc.status == 429 else "invoke_error"
            record["error_type"] = exc.code
            if exc.code == "ResourceNotFoundException" and self.on_function_gone:
                self.on_function_gone(m.uuid)
            if exc.status == 429:
                with self._lock:
                    self._sig_throttles += 1
        except Exception as exc:  # never lose messages: they return after the timeout
            log.exception("esm %s: invoke failed", m.uuid)
            outcome, record["error_type"] = "invoke_error", type(exc).__name__
        if self.labeler is not None and record.get("request_id"):
            try:
                for mid in ids:
                    self.labeler.annotate(mid, invocation_request_id=record["request_id"],
                                          esm_uuid=m.uuid, poller=self.receiver_label(pid))
            except Exception:  # the record is for the lessons; never fail the batch on it
                log.exception("esm %s: lifecycle annotate failed", m.uuid)
        deleted = sqs_source.delete(m.queue, [handles[i] for i in to_delete],
                                     stats=self.stats) if to_delete else 0
        record.update(outcome=outcome, deleted=deleted)
        self.stats.add(messages_deleted=deleted)
        self.stats.invoke_finished(started, record)
        return outcome in ("success", "partial")
