"""CreateEventSourceMapping & co. for SQS sources: shapes, states, validation (AWS terms).

Sources: Lambda API reference (CreateEventSourceMapping, UpdateEventSourceMapping,
ListEventSourceMappings), Lambda Developer Guide services-sqs-parameters.
"""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.fixtures.common import client_error
from tests.fixtures.esm import create_mapping, deploy, make_queue, wait_for_state


@pytest.fixture
def fn(clean_cloud):
    return deploy(clean_cloud, timeout=3)


def test_create_returns_creating_then_enabled_with_lambdas_shape(clean_cloud, fn):
    lam = clean_cloud.client("lambda")
    _, arn, _ = make_queue(clean_cloud)
    created = lam.create_event_source_mapping(FunctionName=fn.name, EventSourceArn=arn)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert created["State"] == "Creating"
    assert created["StateTransitionReason"] == "USER_INITIATED"
    assert created["BatchSize"] == 10  # default
    assert created["MaximumBatchingWindowInSeconds"] == 0  # default
    assert created["EventSourceArn"] == arn
    assert created["FunctionArn"] == fn.arn
    assert created["FunctionResponseTypes"] == []
    assert len(created["UUID"]) == 36
    assert created["LastModified"].year >= 2024  # botocore parses it as a timestamp
    enabled = wait_for_state(clean_cloud, created["UUID"], "Enabled")
    assert enabled["UUID"] == created["UUID"]


def test_create_disabled_settles_in_disabled(clean_cloud, fn):
    _, arn, _ = make_queue(clean_cloud)
    mapping = create_mapping(clean_cloud, fn, arn, Enabled=False)
    assert clean_cloud.client("lambda").get_event_source_mapping(
        UUID=mapping["UUID"])["State"] == "Disabled"


def test_moto_never_stores_the_mapping(clean_cloud, fn):
    """The lab owns mappings: moto's trigger (one invoke per message, inside SendMessage)
    is attached to moto's own mapping objects, so it can never fire."""
    from_lab = create_mapping(clean_cloud, fn, make_queue(clean_cloud)[1])
    lam = clean_cloud.client("lambda")
    listed = lam.list_event_source_mappings()["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [from_lab["UUID"]]
    # The in-process proof (moto's stores are empty) is in test_esm_delivery.py, which
    # shows batches > 1 and real receive counts, impossible through moto's trigger.


def test_scaling_config_and_response_types_round_trip(clean_cloud, fn):
    _, arn, _ = make_queue(clean_cloud)
    m = create_mapping(clean_cloud, fn, arn, BatchSize=100, MaximumBatchingWindowInSeconds=5,
                       FunctionResponseTypes=["ReportBatchItemFailures"],
                       ScalingConfig={"MaximumConcurrency": 7})
    got = clean_cloud.client("lambda").get_event_source_mapping(UUID=m["UUID"])
    assert got["BatchSize"] == 100 and got["MaximumBatchingWindowInSeconds"] == 5
    assert got["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert got["ScalingConfig"] == {"MaximumConcurrency": 7}


@pytest.mark.parametrize("kwargs, code, message", [
    ({"BatchSize": 0}, "ValidationException",
     "1 validation error detected: Value '0' at 'batchSize' failed to satisfy constraint: "
     "Member must have value greater than or equal to 1"),
    ({"BatchSize": 10_001, "MaximumBatchingWindowInSeconds": 1}, "ValidationException",
     "1 validation error detected: Value '10001' at 'batchSize' failed to satisfy constraint: "
     "Member must have value less than or equal to 10000"),
    ({"BatchSize": 11}, "InvalidParameterValueException",
     "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
     "greater than 10"),
    ({"MaximumBatchingWindowInSeconds": 301}, "ValidationException",
     "1 validation error detected: Value '301' at 'maximumBatchingWindowInSeconds' failed to "
     "satisfy constraint: Member must have value less than or equal to 300"),
    ({"ScalingConfig": {"MaximumConcurrency": 1}}, "ValidationException",
     "1 validation error detected: Value '1' at 'scalingConfig.maximumConcurrency' failed to "
     "satisfy constraint: Member must have value greater than or equal to 2"),
    ({"ScalingConfig": {"MaximumConcurrency": 1001}}, "ValidationException",
     "1 validation error detected: Value '1001' at 'scalingConfig.maximumConcurrency' failed "
     "to satisfy constraint: Member must have value less than or equal to 1000"),
    ({"StartingPosition": "LATEST"}, "InvalidParameterValueException",
     "StartingPosition is not valid for SQS event sources."),
])
def test_create_validation_errors(clean_cloud, fn, kwargs, code, message):
    _, arn, _ = make_queue(clean_cloud)
    # the server's own checks, not botocore's client-side ones
    lam = clean_cloud.client("lambda", config=Config(parameter_validation=False))
    got = client_error(lam.create_event_source_mapping, FunctionName=fn.name,
                   EventSourceArn=arn, **kwargs)
    assert got == (code, message, 400)


def test_fifo_limits_batch_size_to_10_and_has_no_batching_window(clean_cloud, fn):
    _, arn, _ = make_queue(clean_cloud, fifo=True)
    lam = clean_cloud.client("lambda")
    code, message, status = client_error(lam.create_event_source_mapping, FunctionName=fn.name,
                                     EventSourceArn=arn, BatchSize=11)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert "10" in message
    assert client_error(lam.create_event_source_mapping, FunctionName=fn.name,
                    EventSourceArn=arn, BatchSize=5, MaximumBatchingWindowInSeconds=1) == (
        "InvalidParameterValueException", "Batching window is not supported for FIFO queues",
        400)
    assert create_mapping(clean_cloud, fn, arn, BatchSize=10)["BatchSize"] == 10


def test_function_timeout_must_not_exceed_the_queue_visibility_timeout(clean_cloud):
    slow = deploy(clean_cloud, timeout=60)
    _, arn, _ = make_queue(clean_cloud, visibility=30)
    lam = clean_cloud.client("lambda")
    assert client_error(lam.create_event_source_mapping, FunctionName=slow.name,
                    EventSourceArn=arn) == (
        "InvalidParameterValueException",
        "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds", 400)
    ok = deploy(clean_cloud, timeout=30)  # equal is allowed
    mapping = create_mapping(clean_cloud, ok, arn)
    # ... and checked again on update, against the new function
    assert client_error(lam.update_event_source_mapping, UUID=mapping["UUID"],
                    FunctionName=slow.name)[1] == (
        "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds")


def test_unknown_function_queue_and_mapping(clean_cloud, fn):
    lam = clean_cloud.client("lambda")
    _, arn, _ = make_queue(clean_cloud)
    code, message, status = client_error(lam.create_event_source_mapping,
                                     FunctionName="no-such-fn", EventSourceArn=arn)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert message == ("Function not found: arn:aws:lambda:us-east-1:123456789012:"
                       "function:no-such-fn:$LATEST")  # unqualified = $LATEST, as Lambda says
    code, _, status = client_error(lam.create_event_source_mapping, FunctionName=fn.name,
                               EventSourceArn=arn + "-missing")
    assert (code, status) == ("InvalidParameterValueException", 400)
    missing = "00000000-0000-0000-0000-000000000000"
    for call in (lam.get_event_source_mapping, lam.delete_event_source_mapping):
        assert client_error(call, UUID=missing) == (
            "ResourceNotFoundException", "The resource you requested does not exist.", 404)


def test_a_second_mapping_for_the_same_queue_and_function_conflicts(clean_cloud, fn):
    _, arn, _ = make_queue(clean_cloud)
    first = create_mapping(clean_cloud, fn, arn)
    code, message, status = client_error(clean_cloud.client("lambda").create_event_source_mapping,
                                     FunctionName=fn.name, EventSourceArn=arn)
    assert (code, status) == ("ResourceConflictException", 409)
    assert message.endswith(f"Please update or delete the existing mapping with UUID "
                            f"{first['UUID']}")


def test_list_filters_by_function_and_source_and_pages_with_marker(clean_cloud, fn):
    lam = clean_cloud.client("lambda")
    other = deploy(clean_cloud)
    queues = [make_queue(clean_cloud)[1] for _ in range(3)]
    mine = [create_mapping(clean_cloud, fn, q, wait=False)["UUID"] for q in queues]
    theirs = create_mapping(clean_cloud, other, queues[0], wait=False)["UUID"]
    by_fn = lam.list_event_source_mappings(FunctionName=fn.name)["EventSourceMappings"]
    assert sorted(m["UUID"] for m in by_fn) == sorted(mine)
    by_arn = lam.list_event_source_mappings(FunctionName=fn.arn)["EventSourceMappings"]
    assert len(by_arn) == 3
    by_source = lam.list_event_source_mappings(EventSourceArn=queues[0])["EventSourceMappings"]
    assert sorted(m["UUID"] for m in by_source) == sorted([mine[0], theirs])
    page1 = lam.list_event_source_mappings(MaxItems=2)
    assert len(page1["EventSourceMappings"]) == 2 and page1["NextMarker"]
    page2 = lam.list_event_source_mappings(MaxItems=2, Marker=page1["NextMarker"])
    assert len(page2["EventSourceMappings"]) == 2 and "NextMarker" not in page2
    seen = {m["UUID"] for m in page1["EventSourceMappings"] + page2["EventSourceMappings"]}
    assert seen == set(mine + [theirs])


def test_update_moves_through_updating_disabling_enabling(clean_cloud, fn):
    lam = clean_cloud.client("lambda")
    mapping = create_mapping(clean_cloud, fn, make_queue(clean_cloud)[1])
    uid = mapping["UUID"]
    updated = lam.update_event_source_mapping(UUID=uid, BatchSize=5)
    assert updated["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert updated["State"] == "Updating" and updated["BatchSize"] == 5
    assert client_error(lam.update_event_source_mapping, UUID=uid, BatchSize=6)[0] == \
        "ResourceInUseException"
    wait_for_state(clean_cloud, uid, "Enabled")
    assert lam.update_event_source_mapping(UUID=uid, Enabled=False)["State"] == "Disabling"
    wait_for_state(clean_cloud, uid, "Disabled")
    assert lam.update_event_source_mapping(UUID=uid, Enabled=True)["State"] == "Enabling"
    wait_for_state(clean_cloud, uid, "Enabled")
    # BatchSize > 10 needs a window on update too
    assert client_error(lam.update_event_source_mapping, UUID=uid, BatchSize=50)[1] == (
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
        "greater than 10")
    # removing the concurrency cap: ScalingConfig without MaximumConcurrency
    lam.update_event_source_mapping(UUID=uid, ScalingConfig={"MaximumConcurrency": 3})
    wait_for_state(clean_cloud, uid, "Enabled")
    lam.update_event_source_mapping(UUID=uid, ScalingConfig={})
    assert "ScalingConfig" not in wait_for_state(clean_cloud, uid, "Enabled")


def test_delete_answers_deleting_then_the_mapping_is_gone(clean_cloud, fn):
    lam = clean_cloud.client("lambda")
    uid = create_mapping(clean_cloud, fn, make_queue(clean_cloud)[1])["UUID"]
    deleted = lam.delete_event_source_mapping(UUID=uid)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert deleted["State"] == "Deleting"
    from tests.fixtures.esm import wait_until

    def gone():
        try:
            lam.get_event_source_mapping(UUID=uid)
            return False
        except ClientError as exc:
            return exc.response["Error"]["Code"] == "ResourceNotFoundException"
    wait_until(gone, 10, what="mapping deleted")
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []
