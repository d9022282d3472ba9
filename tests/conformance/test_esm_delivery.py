"""How Lambda's SQS event source mapping delivers batches, stated in AWS terms.

Sources: Lambda Developer Guide with-sqs, services-sqs-parameters (BatchSize, batching
window), services-sqs-errorhandling (whole-batch retry after the visibility timeout,
ReportBatchItemFailures), SQS Developer Guide sqs-dead-letter-queues. Functions are real
offline Lambda functions (tests/fixtures/esm/handler.py) that log what they received.
"""

from __future__ import annotations

import base64
import json
import time
from collections import Counter

import pytest

from lab.observe.lifecycle import fetch_lifecycle
from tests.fixtures.esm import (
    create_mapping,
    deploy,
    drained,
    make_queue,
    run_backlog,
    send_batch,
    stats,
    wait_until,
)


def test_batches_hold_up_to_batch_size_with_real_receive_counts(clean_cloud):
    """moto's own trigger would invoke once per message inside SendMessage with a fixed
    ApproximateReceiveCount of "1"; Lambda's mapping sends batches of up to BatchSize."""
    fn = deploy(clean_cloud)
    url, arn, _ = make_queue(clean_cloud, visibility=10)
    mapping = create_mapping(clean_cloud, fn, arn, BatchSize=4, Enabled=False)
    ids = send_batch(clean_cloud, url, [{"n": i} for i in range(22)])
    clean_cloud.client("lambda").update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    wait_until(lambda: len(fn.seen()) >= 22, 60, what="22 records")
    wait_until(lambda: drained(clean_cloud, url), 10, what="queue drained")
    invocations = fn.invocations()
    sizes = [len(inv["ids"]) for inv in invocations]
    assert max(sizes) == 4 and all(1 <= s <= 4 for s in sizes)
    assert sum(1 for s in sizes if s > 1) >= 2, "batches, not one invoke per message"
    assert sorted(i for i, _ in fn.seen()) == sorted(ids)  # each exactly once
    assert {a for _, a in fn.seen()} == {1}


def test_batching_window_gathers_until_the_window_ends(clean_cloud):
    fn = deploy(clean_cloud)
    url, arn, _ = make_queue(clean_cloud, visibility=30)
    create_mapping(clean_cloud, fn, arn, BatchSize=100, MaximumBatchingWindowInSeconds=2)
    for i in range(6):  # a trickle across ~0.6 s
        send_batch(clean_cloud, url, [{"n": i}])
        time.sleep(0.1)
    wait_until(lambda: len(fn.seen()) >= 6, 30, what="6 records")
    invocations = fn.invocations()
    assert [len(inv["ids"]) for inv in invocations] == [6], "one batch for the whole window"
    waited = invocations[0]["t"] - min(invocations[0]["first_receive_ms"]) / 1000
    assert 2.0 * 0.95 <= waited, f"the batch left {waited:.2f} s after its first receive"


def test_a_full_batch_does_not_wait_for_the_window(clean_cloud):
    fn = deploy(clean_cloud)
    url, arn, _ = make_queue(clean_cloud, visibility=60)
    window = 6  # the last 5 wait it out: short, yet far longer than sending a full batch
    mapping = create_mapping(clean_cloud, fn, arn, BatchSize=20,
                             MaximumBatchingWindowInSeconds=window, Enabled=False)
    send_batch(clean_cloud, url, [{"n": i} for i in range(25)])
    clean_cloud.client("lambda").update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    wait_until(lambda: fn.invocations(), 20, what="the first batch")
    first = fn.invocations()[0]
    assert len(first["ids"]) == 20
    assert first["t"] - min(first["first_receive_ms"]) / 1000 < window / 3, "sent when full"
    wait_until(lambda: len(fn.seen()) == 25, window + 10, what="the other 5 after their window")


@pytest.mark.parametrize("failure", ["raise", "crash", "hang"])
def test_a_function_error_returns_the_whole_batch_after_the_visibility_timeout(
        clean_cloud, failure):
    """Exception, crash (runtime exit) or timeout: Lambda deletes nothing; every message
    of the batch becomes visible again when its visibility timeout (2 s here) ends."""
    visibility = 2
    fn = deploy(clean_cloud, timeout=1)
    url, arn, _ = make_queue(clean_cloud, visibility=visibility)
    mapping = create_mapping(clean_cloud, fn, arn, BatchSize=10, Enabled=False)
    ids = send_batch(clean_cloud, url, [{"n": 0}, {"n": 1, failure: 1}, {"n": 2}])
    clean_cloud.client("lambda").update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    wait_until(lambda: {i for i, a in fn.seen() if a == 2} >= set(ids), 30,
               what="the whole batch redelivered")
    wait_until(lambda: drained(clean_cloud, url), 10, what="queue drained")
    first, *rest = fn.invocations()
    assert sorted(first["ids"]) == sorted(ids) and first["outcome"] == failure
    assert any(2 in inv["attempts"] for inv in rest)
    # SQS redelivers each message when its visibility timeout ends: the second receive
    # (the poller's, from the lifecycle record) comes within 10% of the timeout after the
    # first. (The handler's own start time would add a cold start after a crash/timeout.)
    events = fetch_lifecycle(clean_cloud, url)
    receives = events[(events["event"] == "received") & events["message_id"].isin(ids)]
    for message_id, rows in receives.groupby("message_id"):
        times = rows.set_index("receive_count")["time_ms"]
        gap = (times[2] - times[1]) / 1000
        assert visibility <= gap + 0.05 and gap <= visibility * 1.1, \
            f"{message_id} redelivered after {gap:.3f} s"
    outcomes = Counter(o["outcome"] for o in stats(clean_cloud, mapping["UUID"])["invocations"])
    assert outcomes["function_error"] == 1 and outcomes["success"] >= 1


def test_report_batch_item_failures_returns_only_the_reported_messages(clean_cloud):
    fn = deploy(clean_cloud, mode="report", timeout=1, warm=True)
    url, arn, _ = make_queue(clean_cloud, visibility=1)
    ids = run_backlog(clean_cloud, fn, url, arn, [{"n": 0}, {"n": 1, "fail": 1}, {"n": 2},
                                                  {"n": 3, "fail": 2}, {"n": 4}], 30,
                      FunctionResponseTypes=["ReportBatchItemFailures"])["message_ids"]
    deliveries = Counter(i for i, _ in fn.seen())
    assert deliveries == {ids[0]: 1, ids[1]: 2, ids[2]: 1, ids[3]: 3, ids[4]: 1}


MALFORMED = [
    ({"batchItemFailures": [{"itemIdentifier": ""}]}, "whole"),
    ({"batchItemFailures": [{"itemIdentifier": None}]}, "whole"),
    ({"batchItemFailures": [{"itemId": "x"}]}, "whole"),
    ({"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}, "whole"),
    ("a string, not an EventResponse", "whole"),
    ({"batchItemFailures": None}, "none"),
    ({"batchItemFailures": []}, "none"),
    ({}, "none"),
    (None, "none"),
]


@pytest.mark.parametrize("response, returned", MALFORMED)
def test_report_batch_item_failures_response_rules(clean_cloud, response, returned):
    """Empty/null list or response = all succeeded; empty/null/badly-keyed/unknown
    itemIdentifier or a non-object response = the whole batch failed."""
    fn = deploy(clean_cloud, mode="report", timeout=1, warm=True)
    url, arn, _ = make_queue(clean_cloud, visibility=1)
    mapping = create_mapping(clean_cloud, fn, arn, FunctionResponseTypes=[
        "ReportBatchItemFailures"], Enabled=False)
    ids = send_batch(clean_cloud, url, [{"n": 0, "response": response}, {"n": 1}])
    lam = clean_cloud.client("lambda")
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    wait_until(lambda: fn.invocations(), 20, what="first invocation")
    if returned == "whole":  # delivered again once the 1 s visibility timeout ends
        wait_until(lambda: {i for i, a in fn.seen() if a >= 2} >= set(ids), 10,
                   what="the returned batch delivered again")
    else:  # deleted: nothing left in the queue that could be delivered again
        wait_until(lambda: drained(clean_cloud, url), 10, what="the batch deleted")
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    first = fn.invocations()[0]
    assert sorted(first["ids"]) == sorted(ids)
    redelivered = {i for i, a in fn.seen() if a >= 2}
    assert redelivered == (set(ids) if returned == "whole" else set())


def test_messages_move_to_the_dlq_after_max_receive_count(clean_cloud):
    fn = deploy(clean_cloud, timeout=1, warm=True)
    url, arn, dlq = make_queue(clean_cloud, visibility=1, max_receive_count=2)
    # BatchSize 1: with bigger batches, a poison message's batch-mates fail with it and
    # reach the DLQ too (the reason ReportBatchItemFailures exists).
    mapping = create_mapping(clean_cloud, fn, arn, BatchSize=1, Enabled=False)
    [poison] = send_batch(clean_cloud, url, [{"raise": True}])
    [good] = send_batch(clean_cloud, url, [{"n": 1}])
    clean_cloud.client("lambda").update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    sqs = clean_cloud.client("sqs")

    def in_dlq():
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10,
                                  MessageSystemAttributeNames=["All"]).get("Messages", [])
        return got
    moved = wait_until(in_dlq, 30, interval=0.2, what="poison message in the DLQ")
    assert [m["MessageId"] for m in moved] == [poison]
    attempts = [a for i, a in fn.seen() if i == poison]
    assert attempts == [1, 2], "received maxReceiveCount times, then moved"
    assert Counter(i for i, _ in fn.seen())[good] == 1
    wait_until(lambda: drained(clean_cloud, url), 10, what="source drained")


def test_fifo_keeps_order_within_a_group_across_retries_and_other_groups_flow(clean_cloud):
    visibility = 2
    fn = deploy(clean_cloud, mode="fifo", timeout=1, warm=True)
    url, arn, _ = make_queue(clean_cloud, visibility=visibility, fifo=True)
    bodies = [{"g": "A", "n": n, **({"fail": 1} if n == 1 else {})} for n in range(4)]
    bodies += [{"g": "B", "n": n} for n in range(4)]
    run_backlog(clean_cloud, fn, url, arn, bodies, 30, BatchSize=1,
                FunctionResponseTypes=["ReportBatchItemFailures"],
                message={"MessageGroupId": lambda i: bodies[i]["g"],
                         "MessageDeduplicationId": lambda i: f"d{i}"})
    done: dict[str, list[int]] = {"A": [], "B": []}
    done_at: dict[str, list[float]] = {"A": [], "B": []}
    failed_at = None
    for inv in fn.invocations():
        for mid, body in zip(inv["ids"], inv["bodies"], strict=True):
            b = json.loads(body)
            if mid in inv["failed"]:
                failed_at = failed_at or inv["t"]
                continue
            done[b["g"]].append(b["n"])
            done_at[b["g"]].append(inv["t"])
    assert done == {"A": [0, 1, 2, 3], "B": [0, 1, 2, 3]}, "order kept within each group"
    assert failed_at is not None
    assert max(done_at["B"]) < failed_at + visibility, "B flowed while A waited"
    assert min(t for t, n in zip(done_at["A"], done["A"], strict=True) if n == 1) \
        >= failed_at + visibility * 0.95, "A resumed only after A1's visibility timeout"


def test_fifo_stop_at_first_failure_keeps_order_with_batches(clean_cloud):
    fn = deploy(clean_cloud, mode="fifo", timeout=1, warm=True)
    url, arn, _ = make_queue(clean_cloud, visibility=1, fifo=True)
    bodies = [{"n": n, **({"fail": 1} if n in (2, 6) else {})} for n in range(10)]
    run_backlog(clean_cloud, fn, url, arn, bodies, 30, BatchSize=10,
                FunctionResponseTypes=["ReportBatchItemFailures"],
                message={"MessageGroupId": "g", "MessageDeduplicationId": lambda i: f"d{i}"})
    processed = []
    for inv in fn.invocations():
        processed += [json.loads(b)["n"] for i, b in zip(inv["ids"], inv["bodies"],
                                                          strict=True)
                      if i not in inv["failed"]]
    assert processed == list(range(10)), "each once, in order, despite two failures"


def test_disabled_mappings_stop_polling_and_in_flight_batches_finish(clean_cloud):
    fn = deploy(clean_cloud, timeout=5)
    url, arn, _ = make_queue(clean_cloud, visibility=10)
    mapping = create_mapping(clean_cloud, fn, arn)
    lam = clean_cloud.client("lambda")
    [slow] = send_batch(clean_cloud, url, [{"sleep": 1.5}])
    wait_until(lambda: fn.invocations() or None, 20, interval=0.02, what="slow batch started")
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    from tests.fixtures.esm import wait_for_state
    wait_for_state(clean_cloud, mapping["UUID"], "Disabled")
    assert drained(clean_cloud, url), "the in-flight batch finished and was deleted"
    send_batch(clean_cloud, url, [{"n": i} for i in range(3)])
    time.sleep(1.5)
    assert [i for i, _ in fn.seen()] == [slow], "nothing polled while Disabled"
    sqs = clean_cloud.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "3"
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    wait_until(lambda: drained(clean_cloud, url), 20, what="queue drained after Enable")
    assert len(fn.seen()) == 4


def test_the_event_shape_field_by_field(clean_cloud):
    fn = deploy(clean_cloud, dump_event=True)
    url, arn, _ = make_queue(clean_cloud, visibility=10)
    sqs = clean_cloud.client("sqs")
    sent = sqs.send_message(QueueUrl=url, MessageBody="héllo", MessageAttributes={
        "s": {"DataType": "String", "StringValue": "text"},
        "n": {"DataType": "Number", "StringValue": "42"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\xffbin"}})
    before_ms = int(time.time() * 1000)
    create_mapping(clean_cloud, fn, arn)
    wait_until(lambda: fn.invocations(), 20, what="an invocation")
    event = fn.invocations()[0]["event"]
    assert list(event) == ["Records"]
    [record] = event["Records"]
    assert set(record) == {"messageId", "receiptHandle", "body", "attributes",
                           "messageAttributes", "md5OfBody", "md5OfMessageAttributes",
                           "eventSource", "eventSourceARN", "awsRegion"}
    assert record["messageId"] == sent["MessageId"]
    assert record["body"] == "héllo"
    assert record["md5OfBody"] == sent["MD5OfMessageBody"]
    assert record["md5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn and record["awsRegion"] == "us-east-1"
    assert isinstance(record["receiptHandle"], str) and record["receiptHandle"]
    attrs = record["attributes"]
    assert set(attrs) == {"ApproximateReceiveCount", "SentTimestamp", "SenderId",
                          "ApproximateFirstReceiveTimestamp"}
    assert attrs["ApproximateReceiveCount"] == "1"
    assert all(isinstance(v, str) for v in attrs.values()), "strings, as on AWS"
    assert abs(int(attrs["SentTimestamp"]) - before_ms) < 5_000  # epoch milliseconds
    assert int(attrs["ApproximateFirstReceiveTimestamp"]) >= int(attrs["SentTimestamp"])
    assert record["messageAttributes"] == {
        "s": {"stringValue": "text", "stringListValues": [], "binaryListValues": [],
              "dataType": "String"},
        "n": {"stringValue": "42", "stringListValues": [], "binaryListValues": [],
              "dataType": "Number"},
        "b": {"binaryValue": base64.b64encode(b"\x00\xffbin").decode(),
              "stringListValues": [], "binaryListValues": [], "dataType": "Binary"},
    }


def test_fifo_records_carry_sequence_number_group_and_dedup_id(clean_cloud):
    fn = deploy(clean_cloud, dump_event=True)
    url, arn, _ = make_queue(clean_cloud, visibility=10, fifo=True)
    sent = clean_cloud.client("sqs").send_message(
        QueueUrl=url, MessageBody="x", MessageGroupId="grp", MessageDeduplicationId="dd1")
    create_mapping(clean_cloud, fn, arn)
    wait_until(lambda: fn.invocations(), 20, what="an invocation")
    [record] = fn.invocations()[0]["event"]["Records"]
    attrs = record["attributes"]
    assert attrs["MessageGroupId"] == "grp" and attrs["MessageDeduplicationId"] == "dd1"
    assert attrs["SequenceNumber"] == sent["SequenceNumber"]
    assert "md5OfMessageAttributes" not in record  # none were sent


def test_receives_are_labelled_with_the_mapping_and_invocation_in_the_lifecycle(clean_cloud):
    fn = deploy(clean_cloud)
    url, arn, _ = make_queue(clean_cloud, visibility=10)
    mapping = create_mapping(clean_cloud, fn, arn)
    [mid] = send_batch(clean_cloud, url, [{"n": 1}])
    wait_until(lambda: drained(clean_cloud, url), 20, what="processed")
    events = fetch_lifecycle(clean_cloud, url, mid).to_dict("records")
    kinds = [e["event"] for e in events]
    assert kinds[0] == "sent" and "received" in kinds and kinds[-1] == "deleted"
    received = next(e for e in events if e["event"] == "received")
    assert mapping["UUID"] in received.get("receiver", "") or \
        received.get("esm_uuid") == mapping["UUID"]
    assert received["invocation_request_id"] == fn.invocations()[0]["request_id"]


def test_a_batch_stops_before_its_payload_would_exceed_6_mb(clean_cloud):
    """Ten 1,000,000-byte messages with BatchSize 10: the event may not pass the 6 MB
    synchronous invoke limit, so the first batch holds 6 and the rest follow at once, on
    their first receive (not after the 30 s visibility timeout)."""
    fn = deploy(clean_cloud)
    url, arn, _ = make_queue(clean_cloud, visibility=30)
    clean_cloud.client("sqs").set_queue_attributes(QueueUrl=url, Attributes={
        "MaximumMessageSize": str(1024 * 1024)})
    mapping = create_mapping(clean_cloud, fn, arn, BatchSize=10,
                             MaximumBatchingWindowInSeconds=1, Enabled=False)
    big = "x" * 1_000_000
    for _ in range(10):
        clean_cloud.client("sqs").send_message(QueueUrl=url, MessageBody=big)
    clean_cloud.client("lambda").update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    wait_until(lambda: len(fn.seen()) >= 10, 20, interval=0.5, what="all 10 records")
    sizes = sorted((len(inv["ids"]) for inv in fn.invocations()), reverse=True)
    assert sizes == [6, 4]
    assert [attempt for _, attempt in fn.seen()] == [1] * 10, "ApproximateReceiveCount 1"
