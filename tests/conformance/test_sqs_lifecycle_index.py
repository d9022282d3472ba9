"""The lab's SQS lifecycle record (lab/offline/sqs/lifecycle.py): its per-queue and
per-message indexes and its bound on memory. (AWS keeps no such record.)
"""

from __future__ import annotations

from types import SimpleNamespace

from lab.offline.sqs.lifecycle import LifecycleRecorder


def test_lifecycle_queries_by_queue_arn_name_and_message_id_survive_the_event_bound():
    """The record keeps the latest `max_events` events; a query by queue ARN, queue name
    or URL (every region) or message id returns exactly that queue's or message's events,
    in time order, also after the oldest events were dropped."""

    def queue(region, name):
        return SimpleNamespace(name=name, queue_arn=f"arn:aws:sqs:{region}:123456789012:{name}")

    east, west, other = queue("us-east-1", "q"), queue("us-west-2", "q"), queue("us-east-1", "o")
    recorder = LifecycleRecorder(max_events=5)
    recorder.record("sent", east, "m1", 1.0)
    recorder.record("sent", other, "m2", 2.0)
    recorder.record("sent", west, "m3", 3.0)
    recorder.record("received", east, "m1", 4.0)
    recorder.record("received", other, "m2", 5.0)
    assert [e["time_ms"] for e in recorder.events(queue=east.queue_arn)] == [1.0, 4.0]
    assert [e["time_ms"] for e in recorder.events(queue="q")] == [1.0, 3.0, 4.0]
    assert [e["time_ms"] for e in recorder.events(
        queue="http://localhost:4566/123456789012/q")] == [1.0, 3.0, 4.0]
    assert [e["event"] for e in recorder.events(message_id="m2")] == ["sent", "received"]
    assert recorder.events(queue=other.queue_arn, message_id="m1") == []

    recorder.record("deleted", east, "m1", 6.0)  # drops the oldest: m1 sent
    recorder.record("deleted", other, "m2", 7.0)  # drops m2 sent
    assert len(recorder) == 5
    assert [e["event"] for e in recorder.events(queue=east.queue_arn)] == ["received", "deleted"]
    assert [e["event"] for e in recorder.events(message_id="m2")] == ["received", "deleted"]
    assert [e["time_ms"] for e in recorder.events()] == [3.0, 4.0, 5.0, 6.0, 7.0]
    recorder.record("sent", other, "m4", 8.0)  # drops m3, the only event of `west`
    recorder.record("sent", other, "m5", 9.0)  # drops m1 received
    assert [e["time_ms"] for e in recorder.events(queue="q")] == [6.0]
    assert recorder.events(queue=west.queue_arn) == []
    assert recorder.events(message_id="m3") == []
    recorder.clear()
    assert recorder.events(queue="q") == [] and len(recorder) == 0
