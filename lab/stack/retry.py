"""Bounded retries for what AWS answers "not yet" or "slow down".

botocore's own retry mode already retries throttling inside one call; this layer is what
the lab can see and test (botocore's Stubber bypasses botocore's retries): throttling that
escapes, IAM propagation (a new role is not assumable for some seconds), a queue name reused
within 60 s of its deletion. Delays are exponential and capped, with no jitter so a test
can pin them; the number of attempts is always bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "AWS.SimpleQueueService.RequestThrottled", "TooManyRequestsException",
    "RequestLimitExceeded", "RequestThrottledException", "SlowDown",
    "PriorRequestNotComplete", "ConcurrentModificationException",
})
QUEUE_DELETED_RECENTLY = frozenset({"QueueDeletedRecently",
                                    "AWS.SimpleQueueService.QueueDeletedRecently"})
# SQS: "you must wait 60 seconds after deleting a queue before you can create another
# queue with the same name" (CreateQueue API reference).
QUEUE_NAME_REUSE_WAIT_S = 61.0


def error_code(exc: BaseException) -> str:
    return exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""


def error_message(exc: BaseException) -> str:
    return exc.response.get("Error", {}).get("Message", "") if isinstance(exc, ClientError) else ""


def is_throttling(exc: BaseException) -> bool:
    return error_code(exc) in THROTTLING_CODES


def is_iam_propagation(exc: BaseException) -> bool:
    """Lambda's answers while a just-created role (or its new policy) is not visible yet."""
    if error_code(exc) != "InvalidParameterValueException":
        return False
    msg = error_message(exc)
    return ("cannot be assumed by Lambda" in msg
            or "execution role does not have permissions" in msg)


@dataclass
class Backoff:
    """Exponential backoff: base, 2*base, ... capped at `cap`, at most `max_attempts` calls."""

    base: float = 0.5
    cap: float = 8.0
    max_attempts: int = 8
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.base * 2 ** attempt)

    def call(self, fn: Callable, *args, retry_if: Callable[[BaseException], bool] = is_throttling,
             **kwargs):
        """fn(*args, **kwargs), retried while `retry_if(error)`; the last error propagates."""
        for attempt in range(self.max_attempts):
            try:
                return fn(*args, **kwargs)
            except ClientError as exc:
                if not retry_if(exc) or attempt == self.max_attempts - 1:
                    raise
                self.sleep(self.delay(attempt))
        raise AssertionError("unreachable")


# IAM propagation typically takes a few seconds, sometimes ~10-15 s: ~60 s in all at most.
IAM_PROPAGATION = dict(base=1.0, cap=10.0, max_attempts=10)


class RetryingClient:
    """A boto3 client whose operations retry on throttling (waiters/paginators pass through)."""

    def __init__(self, client, backoff: Backoff):
        self._client = client
        self._backoff = backoff

    def __getattr__(self, name: str):
        attr = getattr(self._client, name)
        if name.startswith("_") or name in ("meta", "exceptions", "get_waiter", "get_paginator",
                                            "can_paginate", "waiter_names") or not callable(attr):
            return attr

        def call(*args, **kwargs):
            return self._backoff.call(attr, *args, **kwargs)

        call.__name__ = name
        return call
