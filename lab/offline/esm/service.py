"""The lab's event source mappings: the store, their states, and their pollers.

Mappings live here, not in moto, so moto's own SQS trigger (which consumes messages inside
SendMessage, one invoke per message) never fires. State changes take a short, configurable
moment (LAB_ESM_TRANSITION_SECONDS, default 0.1 s) so clients see Creating -> Enabled,
Enabling, Disabling, Updating and Deleting as on AWS (where they take seconds).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from lab.offline.errors import LabAwsError
from lab.offline.esm import exceptions as exc
from lab.offline.esm import filtering, sqs_source, validation
from lab.offline.esm.mapping import (
    CREATING,
    DELETING,
    DISABLED,
    DISABLING,
    ENABLED,
    ENABLING,
    FUNCTION_NOT_FOUND,
    TRANSITIONAL,
    UPDATING,
    USER_INITIATED,
    Mapping,
)
from lab.offline.esm.poller import Invoker, MappingRunner
from lab.offline.esm.stats import MappingStats

log = logging.getLogger("lab.offline.esm")


def _transition_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("LAB_ESM_TRANSITION_SECONDS", "0.1")))
    except ValueError:
        return 0.1


def not_found() -> LabAwsError:
    return exc.ResourceNotFound()


class EsmService:
    """Create/get/list/update/delete mappings and run their pollers."""

    def __init__(self, services: dict, account_id: str, default_region: str):
        self.account_id = account_id
        self.default_region = default_region
        self.invoke = Invoker(services)
        self.services = services
        self._lock = threading.RLock()
        self.mappings: dict[str, Mapping] = {}
        self.runners: dict[str, MappingRunner] = {}
        self.stats: dict[str, MappingStats] = {}
        self._timers: set[threading.Timer] = set()
        self.transition_seconds = _transition_seconds()

    # -- helpers ------------------------------------------------------------------------
    def _function(self, name_or_arn, region: str) -> tuple:
        """(FunctionSpec, function ARN with its qualifier, if any), from Lambda's own lookup."""
        if not isinstance(name_or_arn, str) or not name_or_arn:
            raise validation.model_error("functionName", name_or_arn,
                                         "Member must not be null")
        parts = name_or_arn.split(":")
        if name_or_arn.startswith("arn:") and len(parts) >= 7:
            region = parts[3]  # a full ARN names its own region
        elif len(parts) == 3 and parts[1] == "function":  # 123456789012:function:name
            name_or_arn = f"arn:aws:lambda:{region}:{name_or_arn}"
        lam = self.services.get("lambda")
        if lam is None:
            raise exc.NoLambdaService()
        spec, invoked_arn, _ = lam.resolve(name_or_arn, None, region)
        return spec, invoked_arn

    @staticmethod
    def _queue(ref: sqs_source.QueueRef):
        queue = sqs_source.find_queue(ref)
        if queue is None:
            raise exc.NonExistentQueue()
        return queue

    def _later(self, fn) -> None:
        def run():
            with self._lock:
                self._timers.discard(timer)
            fn()
        timer = threading.Timer(self.transition_seconds, run)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()

    def get(self, uuid: str) -> Mapping:
        with self._lock:
            mapping = self.mappings.get(uuid)
        if mapping is None:
            raise not_found()
        return mapping

    # -- API ----------------------------------------------------------------------------
    def create(self, body: dict, region: str) -> Mapping:
        validation.no_stream_fields(body)
        source = body.get("EventSourceArn")
        if source is None:
            raise validation.model_error("eventSourceArn", None, "Member must not be null")
        ref = sqs_source.QueueRef.parse(source)
        if ref is None:
            raise validation.invalid(
                f"Unsupported event source: {source}. lab serve emulates event source "
                "mappings for Amazon SQS queues only.")
        fn, fn_arn = self._function(body.get("FunctionName"), ref.region)
        batch = validation.batch_size(body.get("BatchSize", 10))
        window = validation.window(body.get("MaximumBatchingWindowInSeconds", 0))
        response_types = validation.response_types(body.get("FunctionResponseTypes", []))
        cap = validation.max_concurrency(body.get("ScalingConfig"))
        enabled = validation.enabled(body.get("Enabled", True))
        filters = filtering.parse(body.get("FilterCriteria"))
        queue = self._queue(ref)
        validation.source_rules(fifo=ref.fifo, batch=batch, window_s=window)
        validation.visibility_rule(visibility_timeout=int(queue.visibility_timeout),
                                   function_timeout=int(fn.timeout_s))
        with self._lock:
            for other in self.mappings.values():
                if other.queue.arn == ref.arn and other.function_name == fn.name \
                        and other.state != DELETING:
                    raise exc.ResourceConflict(ref.arn, fn.name, other.uuid)
            mapping = Mapping(queue=ref, function_arn=fn_arn, batch_size=batch, window=window,
                              enabled=enabled, response_types=response_types,
                              max_concurrency=cap, state=CREATING,
                              filter_criteria=body.get("FilterCriteria") or None,
                              filters=filters)
            self.mappings[mapping.uuid] = mapping
            self.stats[mapping.uuid] = MappingStats(mapping.uuid)
        self._later(lambda: self._settle(mapping.uuid))
        return mapping

    def list(self, function_name: str | None, source_arn: str | None,
             region: str) -> list[Mapping]:
        wanted_fn = None
        if function_name:  # a name, name:qualifier, partial or full ARN: match on the name
            parts = function_name.split(":")
            wanted_fn = parts[6] if function_name.startswith("arn:") and len(parts) >= 7 \
                else parts[2] if len(parts) == 3 and parts[1] == "function" else parts[0]
        with self._lock:
            items = list(self.mappings.values())
        return [m for m in items
                if (wanted_fn is None or m.function_name == wanted_fn)
                and (source_arn is None or m.queue.arn == source_arn)]

    def update(self, uuid: str, body: dict) -> Mapping:
        mapping = self.get(uuid)
        validation.no_stream_fields(body)
        if mapping.state in TRANSITIONAL:
            raise exc.ResourceInUse("update")
        fn_arn = mapping.function_arn
        fn = None
        if body.get("FunctionName") is not None:
            fn, fn_arn = self._function(body["FunctionName"], mapping.region)
        batch = validation.batch_size(body["BatchSize"]) if "BatchSize" in body \
            else mapping.batch_size
        window = validation.window(body["MaximumBatchingWindowInSeconds"]) \
            if "MaximumBatchingWindowInSeconds" in body else mapping.window
        response_types = validation.response_types(body["FunctionResponseTypes"]) \
            if "FunctionResponseTypes" in body else mapping.response_types
        cap = validation.max_concurrency(body["ScalingConfig"]) if "ScalingConfig" in body \
            else mapping.max_concurrency
        enabled = validation.enabled(body["Enabled"]) if "Enabled" in body \
            else mapping.enabled
        filters = filtering.parse(body["FilterCriteria"]) if "FilterCriteria" in body \
            else mapping.filters
        queue = self._queue(mapping.queue)
        validation.source_rules(fifo=mapping.queue.fifo, batch=batch, window_s=window)
        fn = fn or self._function(mapping.function_arn, mapping.region)[0]
        validation.visibility_rule(visibility_timeout=int(queue.visibility_timeout),
                                   function_timeout=int(fn.timeout_s))
        with self._lock:
            was_enabled = mapping.enabled
            mapping.function_arn, mapping.batch_size, mapping.window = fn_arn, batch, window
            mapping.response_types, mapping.max_concurrency = response_types, cap
            mapping.enabled = enabled
            if "FilterCriteria" in body:
                mapping.filter_criteria = body["FilterCriteria"] or None
                mapping.filters = filters
            mapping.state_reason = USER_INITIATED
            mapping.last_modified = time.time()
            if enabled and not was_enabled:
                mapping.state = ENABLING
            elif was_enabled and not enabled:
                mapping.state = DISABLING
                self._stop_runner(uuid)
            else:
                mapping.state = UPDATING
            runner = self.runners.get(uuid)
            if runner is not None:
                runner.reconfigure()
        self._later(lambda: self._settle(uuid))
        return mapping

    def delete(self, uuid: str) -> Mapping:
        mapping = self.get(uuid)
        with self._lock:
            if mapping.state in (CREATING, UPDATING, ENABLING, DISABLING, DELETING):
                raise exc.ResourceInUse("delete")
            mapping.state = DELETING
            mapping.last_modified = time.time()
            self._stop_runner(uuid)
        self._later(lambda: self._forget(uuid))
        return mapping

    # -- state machine ------------------------------------------------------------------
    def _settle(self, uuid: str) -> None:
        """End a transition: Enabled (pollers running) or Disabled (pollers drained)."""
        with self._lock:
            mapping = self.mappings.get(uuid)
            if mapping is None or mapping.state == DELETING:
                return
            if mapping.enabled:
                mapping.state = ENABLED
                if uuid not in self.runners:
                    runner = MappingRunner(mapping, self.invoke, self.stats[uuid],
                                           labeler=self.services.get("sqs_lifecycle"),
                                           on_function_gone=self._function_gone)
                    self.runners[uuid] = runner
                    runner.start()
                return
            runner = self.runners.get(uuid)
        if runner is not None:  # in-flight batches finish before the mapping is Disabled
            runner.join(timeout=900)
        with self._lock:
            if self.runners.get(uuid) is runner:
                self.runners.pop(uuid, None)
            if self.mappings.get(uuid) is mapping and mapping.state != DELETING \
                    and not mapping.enabled:
                mapping.state = DISABLED

    def _function_gone(self, uuid: str) -> None:
        """The function was deleted: Lambda disables the mapping and stops polling (the
        messages stay in the queue). Called from a poller thread: no join here."""
        with self._lock:
            mapping = self.mappings.get(uuid)
            if mapping is None or mapping.state != ENABLED:
                return
            mapping.enabled = False
            mapping.state, mapping.state_reason = DISABLED, FUNCTION_NOT_FOUND
            mapping.last_modified = time.time()
            runner = self.runners.pop(uuid, None)
        if runner is not None:
            runner.stop()
        log.warning("esm %s: function %s not found; mapping disabled", uuid,
                    mapping.function_arn)

    def _stop_runner(self, uuid: str) -> None:
        runner = self.runners.get(uuid)
        if runner is not None:
            runner.stop()

    def _forget(self, uuid: str) -> None:
        with self._lock:
            runner = self.runners.pop(uuid, None)
        if runner is not None:
            runner.join(timeout=900)
        with self._lock:
            self.mappings.pop(uuid, None)

    # -- hooks --------------------------------------------------------------------------
    def stop_all(self, timeout: float = 10.0) -> None:
        """Stop every poller (reset/shutdown); in-flight batches get `timeout` to finish."""
        with self._lock:
            for timer in list(self._timers):
                timer.cancel()
            self._timers.clear()
            runners = list(self.runners.values())
            for runner in runners:
                runner.stop()
        deadline = time.monotonic() + timeout
        for runner in runners:
            runner.join(max(0.0, deadline - time.monotonic()))

    def reset(self) -> None:
        self.stop_all()
        with self._lock:
            self.mappings.clear()
            self.runners.clear()
            self.stats.clear()
