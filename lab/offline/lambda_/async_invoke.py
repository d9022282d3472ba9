"""Asynchronous invocation (InvocationType=Event): Lambda's internal event queue.

Invoke answers 202 at once; the event waits in a queue and runs like a synchronous
invocation. A function error is retried twice (MaximumRetryAttempts, default 2), after
about one and then two minutes on AWS (delays: Settings.async_retry_delays_s). A throttled
attempt goes back to the queue until MaximumEventAgeInSeconds (default 6 h). When the
event finally fails or succeeds, an OnFailure / OnSuccess destination (SQS queue, Lambda
function) from PutFunctionEventInvokeConfig receives Lambda's invocation record.
The same request id is kept across retries, as on AWS.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from lab.offline.errors import LabAwsError
from lab.offline.lambda_ import functions, logs

log = logging.getLogger("lab.offline.lambda")
THROTTLE_RETRY_S = 1.0  # a MODEL: AWS retries throttled events with backoff, unpublished


@dataclass
class AsyncEvent:
    function: str
    qualifier: str | None
    region: str
    payload: bytes
    request_id: str
    queued_at: float = field(default_factory=time.time)
    attempts: int = 0  # attempts that ran (throttled ones do not count)
    history: list[dict] = field(default_factory=list)


class AsyncInvoker:
    """A scheduler thread with a heap of due events; each attempt runs in its own thread."""

    def __init__(self, service):
        self.service = service
        self._heap: list = []
        self._seq = itertools.count()
        self._cv = threading.Condition()
        self._stop = False
        self._generation = 0  # bumped by clear(): attempts of an older one are dropped
        self.finished: deque[dict] = deque(maxlen=2000)  # latest finished events
        self._thread = threading.Thread(target=self._run, name="lambda-async", daemon=True)
        self._thread.start()

    def submit(self, function, qualifier, region, payload, request_id) -> None:
        self._schedule(AsyncEvent(function, qualifier, region, payload, request_id), 0.0)

    def _schedule(self, event: AsyncEvent, delay_s: float) -> None:
        with self._cv:
            heapq.heappush(self._heap, (time.monotonic() + delay_s, next(self._seq),
                                        self._generation, event))
            self._cv.notify()

    def pending(self) -> int:
        with self._cv:
            return len(self._heap)

    def finished_events(self, limit: int = 200) -> list[dict]:
        """The latest `limit` events that finished (succeeded or failed for good)."""
        with self._cv:
            return list(self.finished)[-limit:]

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._stop and (not self._heap
                                          or self._heap[0][0] > time.monotonic()):
                    timeout = (self._heap[0][0] - time.monotonic()) if self._heap else None
                    self._cv.wait(timeout)
                if self._stop:
                    return
                _, _, generation, event = heapq.heappop(self._heap)
            threading.Thread(target=self._attempt, args=(event, generation), daemon=True,
                             name=f"lambda-async-{event.request_id[:8]}").start()

    def _attempt(self, event: AsyncEvent, generation: int) -> None:
        svc = self.service
        try:
            spec, invoked_arn, fn = svc.resolve(event.function, event.qualifier, event.region)
        except LabAwsError:
            self._done(event, "function deleted", None, None, None)
            return
        config = functions.event_invoke_config(fn)
        max_retries = int(config.get("MaximumRetryAttempts", 2))
        max_age = float(config.get("MaximumEventAgeInSeconds", 21600))
        try:
            result = svc.invoke_sync(spec, invoked_arn, fn, event.payload, event.request_id,
                                     source="async")
        except LabAwsError as exc:
            if generation != self._generation:
                return
            if exc.status == 429 and time.time() - event.queued_at < max_age:
                event.history.append({"at_ms": logs.now_ms(), "outcome": "throttled"})
                self._schedule(event, THROTTLE_RETRY_S)
            else:
                self._done(event, "EventAgeExceeded" if exc.status == 429 else exc.code,
                           None, spec, config)
            return
        except Exception:
            log.exception("async invocation %s failed", event.request_id)
            return
        if generation != self._generation:
            return
        event.attempts += 1
        event.history.append({"at_ms": logs.now_ms(), "outcome": result.function_error
                              and f"error:{result.error_type}" or "success"})
        if result.function_error is None:
            self._done(event, "Success", result, spec, config)
        elif event.attempts <= max_retries and time.time() - event.queued_at < max_age:
            delays = svc.settings.async_retry_delays_s or [0.0]
            delay = delays[min(event.attempts - 1, len(delays) - 1)]
            self._schedule(event, delay)
        else:
            self._done(event, "RetriesExhausted", result, spec, config)

    def _done(self, event: AsyncEvent, condition: str, result, spec, config) -> None:
        with self._cv:
            self.finished.append({"request_id": event.request_id, "function": event.function,
                                  "condition": condition, "attempts": event.attempts,
                                  "history": event.history})
        if spec is None or not config:
            return
        key = "OnSuccess" if condition == "Success" else "OnFailure"
        destination = (config.get("DestinationConfig") or {}).get(key, {}).get("Destination")
        if not destination:
            return
        record = self._record(event, condition, result, spec)
        try:
            self._deliver(destination, record)
        except Exception:
            log.exception("async destination %s failed for %s", destination, event.request_id)

    def _record(self, event: AsyncEvent, condition: str, result, spec) -> dict:
        """Lambda's invocation record for destinations (version 1.0)."""
        try:
            request_payload = json.loads(event.payload)
        except ValueError:
            request_payload = event.payload.decode(errors="replace")
        response: dict = {"statusCode": 200, "executedVersion": spec.version}
        if result is not None and result.function_error:
            response["functionError"] = result.function_error
        try:
            response_payload = json.loads(result.payload) if result is not None else None
        except ValueError:
            response_payload = result.payload.decode(errors="replace")
        return {
            "version": "1.0",
            "timestamp": logs.iso_ms(logs.now_ms()),
            "requestContext": {
                "requestId": event.request_id,
                "functionArn": f"{spec.arn}:{spec.version}",
                "condition": condition,
                "approximateInvokeCount": max(event.attempts, 1),
            },
            "requestPayload": request_payload,
            "responseContext": response,
            "responsePayload": response_payload,
        }

    def _deliver(self, arn: str, record: dict) -> None:
        parts = arn.split(":")
        service, region, account = parts[2], parts[3], parts[4]
        body = json.dumps(record)
        if service == "sqs":
            from moto.sqs.models import sqs_backends

            sqs_backends[account][region].send_message(parts[5], body)
        elif service == "lambda":
            self.service.invoke(arn, body.encode(), invocation_type="Event", region=region)
        else:
            log.warning("async destination %s: only SQS and Lambda destinations are "
                        "emulated offline", arn)

    def clear(self) -> None:
        with self._cv:
            self._heap.clear()
            self._generation += 1
            self.finished.clear()

    def stop(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()
