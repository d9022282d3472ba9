"""SQS long polling (WaitTimeSeconds): returns as soon as a message is available.

AWS: a long poll returns as soon as a message is available (SQS Developer Guide,
sqs-short-and-long-polling) - including a message whose visibility timeout just expired
or whose DelaySeconds just ended. Tolerances: 150 ms late at most, on a shared machine.
"""

from __future__ import annotations

import threading
import time

import psutil

from tests.fixtures.common import unique_queue

LATE_TOLERANCE_S = 0.150


def _queue(sqs, fifo=False, **attributes):
    if fifo:
        attributes["ContentBasedDeduplication"] = "true"
    return unique_queue(sqs, "lp", fifo=fifo, **attributes)


def _long_poll(sqs, url):
    """Start a 10 s long poll in a thread; `got` receives the response and its instant."""
    got = {}

    def poll():
        got["resp"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)
        got["at"] = time.monotonic()

    poller = threading.Thread(target=poll)
    poller.start()
    return poller, got


def test_long_poll_returns_as_soon_as_a_message_arrives(cloud):
    sqs = cloud.client("sqs")
    url = _queue(sqs)
    poller, got = _long_poll(sqs, url)
    time.sleep(0.5)  # the poll is waiting
    sqs.send_message(QueueUrl=url, MessageBody="now")
    stored_at = time.monotonic()  # SendMessage returned: the message is in the queue
    poller.join(timeout=15)
    assert got["resp"]["Messages"][0]["Body"] == "now"
    assert got["at"] - stored_at < LATE_TOLERANCE_S


def test_redelivery_after_visibility_timeout_wakes_a_waiting_long_poll(cloud):
    sqs = cloud.client("sqs")
    url = _queue(sqs, VisibilityTimeout=1)
    sqs.send_message(QueueUrl=url, MessageBody="retry me")
    asked_at = time.monotonic()  # the visibility clock starts after this instant...
    first = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])
    received_at = time.monotonic()  # ...and before this one
    time.sleep(0.4)  # the poll below starts off any 1-second grid
    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5,
                                MessageSystemAttributeNames=["All"])
    back_at = time.monotonic()
    assert first["Messages"][0]["MessageId"] == again["Messages"][0]["MessageId"]
    assert again["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "2"
    early = asked_at + 1.0 - back_at
    assert early < 0.01, f"redelivered {early * 1000:.0f} ms before the timeout ended"
    late = back_at - received_at - 1.0
    assert late < LATE_TOLERANCE_S, f"redelivered {late * 1000:.0f} ms after the timeout"


def test_long_poll_returns_when_delay_seconds_end(cloud):
    sqs = cloud.client("sqs")
    url = _queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    sent_at = time.monotonic()
    time.sleep(0.4)  # the poll below starts off any 1-second grid
    resp = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
    late = time.monotonic() - sent_at - 1.0
    assert resp["Messages"][0]["Body"] == "later"
    assert -0.05 < late < LATE_TOLERANCE_S


def test_change_visibility_to_zero_wakes_a_waiting_long_poll(cloud):
    sqs = cloud.client("sqs")
    url = _queue(sqs, VisibilityTimeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="release")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    poller, got = _long_poll(sqs, url)
    time.sleep(0.3)
    released_at = time.monotonic()
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    poller.join(timeout=15)
    assert got["resp"]["Messages"][0]["Body"] == "release"
    assert got["at"] - released_at < LATE_TOLERANCE_S


def _cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()  # any OS (no /proc on macOS)
    return times.user + times.system


def test_fifo_long_poll_with_every_group_blocked_does_not_busy_wait(cloud, serve_process):
    """AWS: one in-flight message blocks its group; a long poll then just waits."""
    sqs = cloud.client("sqs")
    url = _queue(sqs, fifo=True, VisibilityTimeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="a1", MessageGroupId="A")
    sqs.send_message(QueueUrl=url, MessageBody="a2", MessageGroupId="A")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "a1"
    cpu_before, wall_before = _cpu_seconds(serve_process.pid), time.monotonic()
    resp = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)
    wall = time.monotonic() - wall_before
    cpu = _cpu_seconds(serve_process.pid) - cpu_before
    assert "Messages" not in resp  # group A is blocked by a1 in flight
    assert wall >= 1.9
    assert cpu < 0.25 * wall, f"server used {cpu:.2f} s CPU during a {wall:.1f} s blocked poll"
