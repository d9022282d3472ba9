"""One SQS event source mapping as Lambda's API shows it."""

from __future__ import annotations

import time
import uuid as uuidlib
from dataclasses import dataclass, field

from lab.offline.esm.sqs_source import QueueRef

# States a mapping moves through (Lambda API reference, EventSourceMappingConfiguration).
CREATING, ENABLING, ENABLED = "Creating", "Enabling", "Enabled"
DISABLING, DISABLED, UPDATING, DELETING = "Disabling", "Disabled", "Updating", "Deleting"
TRANSITIONAL = {CREATING, ENABLING, DISABLING, UPDATING, DELETING}
USER_INITIATED = "USER_INITIATED"
# Lambda disables a mapping whose function was deleted (a MODEL of its wording).
FUNCTION_NOT_FOUND = "PROBLEM: Function not found."


@dataclass
class Mapping:
    queue: QueueRef
    function_arn: str
    batch_size: int = 10
    window: int = 0
    enabled: bool = True
    response_types: list[str] = field(default_factory=list)
    max_concurrency: int | None = None
    filter_criteria: dict | None = None  # as given; `filters` parsed (filtering.py)
    filters: list[dict] = field(default_factory=list)
    uuid: str = field(default_factory=lambda: str(uuidlib.uuid4()))
    state: str = CREATING
    state_reason: str = USER_INITIATED
    last_modified: float = field(default_factory=time.time)

    @property
    def region(self) -> str:
        return self.queue.region

    @property
    def account(self) -> str:
        return self.queue.account

    @property
    def function_name(self) -> str:
        return self.function_arn.split(":")[6]

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:event-source-mapping:{self.uuid}"

    def to_api(self) -> dict:
        body = {
            "UUID": self.uuid,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.window,
            "EventSourceArn": self.queue.arn,
            "FunctionArn": self.function_arn,
            "LastModified": round(self.last_modified, 3),
            "State": self.state,
            "StateTransitionReason": self.state_reason,
            "FunctionResponseTypes": list(self.response_types),
            "EventSourceMappingArn": self.arn,
        }
        if self.filter_criteria:
            body["FilterCriteria"] = self.filter_criteria
        if self.max_concurrency is not None:
            body["ScalingConfig"] = {"MaximumConcurrency": self.max_concurrency}
        return body
