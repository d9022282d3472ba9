"""Event filtering and the mapping's own lifecycle, in AWS terms.

Sources: Lambda Developer Guide invocation-eventfiltering ("Filter rule syntax", the
"Properly formatted messages" table) and with-sqs-filtering ("Lambda automatically deletes
messages that don't match"); the Lambda API reference CreateEventSourceMapping
(FilterCriteria, at most 5 filters by default quota).
"""

from __future__ import annotations

import json

import pytest

from lab.offline.esm import filtering
from tests.fixtures.common import client_error
from tests.fixtures.esm import create_mapping, deploy, drained, make_queue, stats, wait_until


def record(body, attributes=None, message_attributes=None) -> dict:
    return {"messageId": "m", "body": body, "attributes": attributes or {},
            "messageAttributes": message_attributes or {}}


def matches(pattern: dict, rec: dict) -> bool:
    return filtering.matches_record(filtering.parse(
        {"Filters": [{"Pattern": json.dumps(pattern)}]}), rec)


@pytest.mark.parametrize("pattern,body,expected", [
    ({"body": {"kind": ["photo"]}}, {"kind": "photo"}, True),  # exact value
    ({"body": {"kind": ["photo"]}}, {"kind": "video"}, False),
    ({"body": {"kind": [{"prefix": "ph"}]}}, {"kind": "photo"}, True),
    ({"body": {"kind": [{"anything-but": ["photo"]}]}}, {"kind": "video"}, True),
    ({"body": {"kind": [{"anything-but": ["photo"]}]}}, {"kind": "photo"}, False),
    ({"body": {"size": [{"numeric": [">", 0, "<=", 5]}]}}, {"size": 5}, True),
    ({"body": {"size": [{"numeric": [">", 0, "<=", 5]}]}}, {"size": 6}, False),
    ({"body": {"tag": [{"exists": True}]}}, {"tag": "x"}, True),
    ({"body": {"tag": [{"exists": False}]}}, {"other": 1}, True),
    ({"body": {"meta": {"id": ["a"]}}}, {"meta": {"id": "a"}}, True),  # nested
    ({"body": {"tags": ["red"]}}, {"tags": ["blue", "red"]}, True),  # any array element
])
def test_filter_rules_on_a_json_body(pattern, body, expected):
    assert matches(pattern, record(json.dumps(body))) is expected


def test_plain_string_bodies_match_plain_patterns_and_never_json_ones():
    """invocation-eventfiltering, "Properly formatted messages": a JSON body pattern drops
    a plain-string body; a plain-string pattern filters the body as a string."""
    assert matches({"body": ["hello"]}, record("hello"))
    assert not matches({"body": {"kind": ["photo"]}}, record("hello"))


def test_attribute_and_message_attribute_filters():
    rec = record("x", {"SenderId": "AIDA1"}, {"kind": {"stringValue": "photo",
                                                       "dataType": "String"}})
    assert matches({"attributes": {"SenderId": [{"prefix": "AIDA"}]}}, rec)
    assert matches({"messageAttributes": {"kind": {"stringValue": ["photo"]}}}, rec)
    assert not matches({"messageAttributes": {"kind": {"stringValue": ["video"]}}}, rec)


def test_filters_are_ored_and_at_most_five():
    patterns = filtering.parse({"Filters": [
        {"Pattern": json.dumps({"body": {"k": ["a"]}})},
        {"Pattern": json.dumps({"body": {"k": ["b"]}})}]})
    assert filtering.matches_record(patterns, record('{"k": "b"}'))
    assert not filtering.matches_record(patterns, record('{"k": "c"}'))
    with pytest.raises(filtering.InvalidParameterValue):
        filtering.parse({"Filters": [{"Pattern": "{}"}] * 6})
    with pytest.raises(filtering.InvalidParameterValue) as err:
        filtering.parse({"Filters": [{"Pattern": "not json"}]})
    assert err.value.message == "Invalid filter pattern definition."


def test_messages_matching_no_filter_are_deleted_without_an_invocation(clean_cloud):
    fn = deploy(clean_cloud)
    url, arn, _ = make_queue(clean_cloud, visibility=10)
    criteria = {"Filters": [{"Pattern": json.dumps({"body": {"kind": ["photo"]}})}]}
    mapping = create_mapping(clean_cloud, fn, arn, BatchSize=10, FilterCriteria=criteria)
    assert mapping["FilterCriteria"] == criteria
    sqs = clean_cloud.client("sqs")
    for kind in ("photo", "video", "photo", "text"):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": kind}))
    sqs.send_message(QueueUrl=url, MessageBody="plain text")
    wait_until(lambda: drained(clean_cloud, url), 20, what="queue drained")
    bodies = [json.loads(b)["kind"] for inv in fn.invocations() for b in inv["bodies"]]
    assert bodies == ["photo", "photo"] or sorted(bodies) == ["photo", "photo"]
    assert stats(clean_cloud, mapping["UUID"])["counters"]["messages_filtered"] == 3


def test_a_mapping_whose_function_is_deleted_stops_polling(clean_cloud):
    fn = deploy(clean_cloud)
    url, arn, _ = make_queue(clean_cloud, visibility=5)
    mapping = create_mapping(clean_cloud, fn, arn)
    lam = clean_cloud.client("lambda")
    lam.delete_function(FunctionName=fn.name)
    clean_cloud.client("sqs").send_message(QueueUrl=url, MessageBody="{}")
    got = wait_until(lambda: (m := lam.get_event_source_mapping(UUID=mapping["UUID"]))[
        "State"] == "Disabled" and m, 20, what="mapping disabled")
    assert got["StateTransitionReason"] == "PROBLEM: Function not found."
    assert not drained(clean_cloud, url), "the message stays in the queue"


def test_a_mapping_for_a_queue_that_does_not_exist_is_refused_in_lambdas_words(clean_cloud):
    fn = deploy(clean_cloud)
    err = client_error(clean_cloud.client("lambda").create_event_source_mapping,
                       FunctionName=fn.name,
                       EventSourceArn="arn:aws:sqs:us-east-1:123456789012:no-such-queue")
    assert err == ("InvalidParameterValueException",
                   "Error occurred while ReceiveMessage. SQS Error Code: "
                   "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified "
                   "queue does not exist for this wsdl version.", 400)
