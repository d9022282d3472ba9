"""Lambda's SQS event source mapping rules, checked on the lab's own logic (no endpoint).

ReportBatchItemFailures (services-sqs-errorhandling): complete success for a null or
empty response and a null or empty `batchItemFailures`; complete failure for invalid JSON,
an empty or null `itemIdentifier`, a bad key name, or an id that is not in the batch.
Scaling (services-sqs-scaling, a MODEL): 5 concurrent batches at first, +300 per minute
while there is a backlog, capped by MaximumConcurrency (and 1,250 per mapping).
"""

from __future__ import annotations

import json

import pytest

from lab.offline.esm import events
from lab.offline.esm.scaling import ScalingModel, ScalingSettings

IDS = ["m-1", "m-2", "m-3"]


def outcome(payload):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return events.read_batch_response(raw, IDS)


@pytest.mark.parametrize("payload", [b"", b"null", {}, {"batchItemFailures": []},
                                     {"batchItemFailures": None}, {"other": 1}])
def test_complete_success_responses_delete_the_whole_batch(payload):
    result = outcome(payload)
    assert result.delete_ids == IDS and result.failed_ids == []


@pytest.mark.parametrize("payload", [
    b"{not json",                                         # invalid JSON
    {"batchItemFailures": [{"itemIdentifier": ""}]},      # empty itemIdentifier
    {"batchItemFailures": [{"itemIdentifier": None}]},    # null itemIdentifier
    {"batchItemFailures": [{"itemId": "m-1"}]},           # bad key name
    {"batchItemFailures": [{"itemIdentifier": "nope"}]},  # id not in the batch
    {"batchItemFailures": "m-1"},                         # not a list
    "m-1",                                                # not an EventResponse object
])
def test_malformed_responses_fail_the_whole_batch(payload):
    result = outcome(payload)
    assert result.delete_ids == [] and result.failed_ids == IDS
    assert result.reason == "malformed_response"


def test_reported_items_return_and_the_rest_are_deleted():
    result = outcome({"batchItemFailures": [{"itemIdentifier": "m-2"},
                                            {"itemIdentifier": "m-2"}]})
    assert result.delete_ids == ["m-1", "m-3"] and result.failed_ids == ["m-2"]


def test_message_attributes_use_lambdas_camel_case_shape_with_base64_binary():
    shaped = events.lambda_message_attributes({
        "s": {"DataType": "String", "StringValue": "x"},
        "n": {"DataType": "Number", "StringValue": "3"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    })
    assert shaped["s"] == {"stringValue": "x", "stringListValues": [],
                           "binaryListValues": [], "dataType": "String"}
    assert shaped["n"]["stringValue"] == "3" and shaped["n"]["dataType"] == "Number"
    assert shaped["b"] == {"binaryValue": "AAE=", "stringListValues": [],
                           "binaryListValues": [], "dataType": "Binary"}


def _model(cap=None, scale=1.0):
    settings = ScalingSettings()
    settings.time_scale = scale
    return ScalingModel(cap, settings)


def test_scaling_model_starts_at_five_batches_and_adds_300_per_minute_with_backlog():
    model = _model()
    assert model.target == 5
    for _ in range(600):  # 60 model seconds of backlog, in 0.1 s ticks
        model.tick(0.1, backlog=True, received=True, throttles=0)
    assert model.target == 5 + 300


def test_scaling_model_respects_maximum_concurrency_and_the_per_mapping_ceiling():
    capped = _model(cap=20)
    for _ in range(600):
        capped.tick(0.1, backlog=True, received=True, throttles=0)
    assert capped.target == 20
    assert _model(cap=2).target == 2  # MaximumConcurrency below 5 caps the start too
    ceiling = _model(scale=100)
    for _ in range(600):
        ceiling.tick(0.1, backlog=True, received=True, throttles=0)
    assert ceiling.target == 1250


def test_scaling_model_time_scale_compresses_the_curve():
    fast = _model(scale=60)  # one real second = one model minute
    for _ in range(10):
        fast.tick(0.1, backlog=True, received=True, throttles=0)
    assert fast.target == 5 + 300


def test_scaling_model_backs_off_on_throttles_and_scales_down_when_idle():
    model = _model(scale=10)
    for _ in range(50):
        model.tick(0.1, backlog=True, received=True, throttles=0)
    grown = model.target
    assert grown > 5
    model.tick(0.1, backlog=True, received=True, throttles=3)
    assert model.target == grown - 3
    for _ in range(200):  # 20 model seconds without a message
        model.tick(0.1, backlog=False, received=False, throttles=0)
    assert model.target == 5
