"""Lambda's checks on CreateEventSourceMapping / UpdateEventSourceMapping for SQS sources.

Two kinds of error, as Lambda returns them: `ValidationException` for values outside the
API model's ranges ("1 validation error detected: ..."), `InvalidParameterValueException`
for rules about the SQS source (batch window, FIFO limits, visibility timeout).
"""

from __future__ import annotations

from lab.offline.errors import LabAwsError
from lab.offline.esm.events import REPORT_BATCH_ITEM_FAILURES
from lab.offline.esm.exceptions import InvalidParameterValue, Validation

BATCH_MAX_STANDARD = 10_000
BATCH_MAX_FIFO = 10
WINDOW_MAX = 300
CONCURRENCY_MIN, CONCURRENCY_MAX = 2, 1_000
RESPONSE_TYPES = (REPORT_BATCH_ITEM_FAILURES,)
NOT_SQS_FIELDS = ("StartingPosition", "StartingPositionTimestamp", "ParallelizationFactor",
                  "BisectBatchOnFunctionError", "MaximumRetryAttempts",
                  "MaximumRecordAgeInSeconds", "TumblingWindowInSeconds")


def model_error(member: str, value, constraint: str) -> LabAwsError:
    return Validation(member, value, constraint)


def invalid(message: str) -> LabAwsError:
    return InvalidParameterValue(message)


def _int(member: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise model_error(member, value, "Member must be an integer")
    if value < low:
        raise model_error(member, value, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise model_error(member, value, f"Member must have value less than or equal to {high}")
    return value


def batch_size(value) -> int:
    return _int("batchSize", value, 1, BATCH_MAX_STANDARD)


def window(value) -> int:
    return _int("maximumBatchingWindowInSeconds", value, 0, WINDOW_MAX)


def response_types(value) -> list[str]:
    if not isinstance(value, list) or any(v not in RESPONSE_TYPES for v in value):
        raise model_error("functionResponseTypes", value,
                          "Member must satisfy constraint: [Member must satisfy enum value "
                          f"set: [{', '.join(RESPONSE_TYPES)}]]")
    return list(dict.fromkeys(value))


def max_concurrency(scaling) -> int | None:
    if scaling is None:
        return None
    if not isinstance(scaling, dict):
        raise invalid("ScalingConfig must be an object")
    if scaling.get("MaximumConcurrency") is None:
        return None
    return _int("scalingConfig.maximumConcurrency", scaling["MaximumConcurrency"],
                CONCURRENCY_MIN, CONCURRENCY_MAX)


def enabled(value) -> bool:
    if not isinstance(value, bool):
        raise model_error("enabled", value, "Member must be a boolean")
    return value


def source_rules(*, fifo: bool, batch: int, window_s: int) -> None:
    """Rules that depend on the queue type and on BatchSize and the window together."""
    if fifo and window_s > 0:
        raise invalid("Batching window is not supported for FIFO queues")
    if fifo and batch > BATCH_MAX_FIFO:
        raise invalid("Maximum batch size must be between 1 and 10 inclusive for FIFO queues")
    if batch > 10 and window_s < 1:
        raise invalid("Maximum batch window in seconds must be greater than 0 if maximum "
                      "batch size is greater than 10")


def visibility_rule(*, visibility_timeout: int, function_timeout: int) -> None:
    if function_timeout > visibility_timeout:
        raise invalid(f"Queue visibility timeout: {visibility_timeout} seconds is less than "
                      f"Function timeout: {function_timeout} seconds")


# Real SQS mapping features the lab does not emulate: refused loudly rather than accepted
# and ignored, so a lesson never shows behaviour AWS would not have.
NOT_EMULATED_FIELDS = ("ProvisionedPollerConfig", "MetricsConfig", "KMSKeyArn")


def no_stream_fields(body: dict) -> None:
    for name in NOT_EMULATED_FIELDS:
        if body.get(name) not in (None, {}, ""):
            raise invalid(f"{name} is valid for SQS event sources on AWS but lab serve does "
                          "not emulate it; remove it offline, or run on LAB_TARGET=aws.")
    for name in NOT_SQS_FIELDS:
        if body.get(name) is not None:
            if name.startswith("StartingPosition"):
                raise invalid("StartingPosition is not valid for SQS event sources.")
            raise invalid(f"Unsupported parameter for SQS event sources: {name}")
