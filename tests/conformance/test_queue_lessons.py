"""The queue-lesson experiments measure what the SQS docs say, on small sizes.

- Standard queues deliver at least once and in best-effort order; a producer's retried
  send is a second message (SQS Developer Guide, standard-queues).
- FIFO queues keep order within a MessageGroupId and drop a send whose
  MessageDeduplicationId was seen in the last 5 minutes (FIFO-queues-exactly-once-processing).
- A received message stays invisible for the visibility timeout; if it is not deleted it is
  delivered again when the timeout ends; ChangeMessageVisibility extends it
  (sqs-visibility-timeout).
"""

from __future__ import annotations

import pytest

from lab.lessons import queues as ql
from lab.results.data import check_run

pytestmark = pytest.mark.timeout(120)


def _queues(cloud) -> list[str]:
    return cloud.client("sqs").list_queues().get("QueueUrls", [])


def test_standard_queue_delivers_retried_sends_twice(clean_cloud):
    df = ql.ordering(clean_cloud, queue_type="standard", messages=60, consumers=3, groups=3,
                     retry_fraction=0.2, seed=3, show_progress=False)
    check_run(df)
    retried = df.attrs["retried_sends"]
    assert retried > 0
    assert set(df["seq"]) == set(range(60))  # every message delivered
    assert len(df) == 60 + retried  # each retried send is one more delivery
    assert int(df["duplicate"].sum()) == retried
    assert df["receive_count"].eq(1).all()  # the duplicates are copies, not redeliveries
    assert _queues(clean_cloud) == []  # the experiment deleted its queue


def test_fifo_queue_keeps_group_order_and_drops_retried_sends(clean_cloud):
    df = ql.ordering(clean_cloud, queue_type="fifo", messages=60, consumers=3, groups=3,
                     retry_fraction=0.2, seed=3, show_progress=False)
    check_run(df)
    assert df.attrs["retried_sends"] > 0
    assert sorted(df["seq"]) == list(range(60))  # once each: retries deduplicated
    assert not df["duplicate"].any()
    assert not df["out_of_order"].any()
    for _, part in df.groupby("group"):  # finish order within a group = send order
        assert part.sort_values("done_s")["seq"].is_monotonic_increasing
    summary = ql.summarize_ordering(df)
    assert summary.loc[0, "duplicates"] == 0 and summary.loc[0, "deliveries"] == 60
    assert _queues(clean_cloud) == []


def test_out_of_order_is_measured_by_finish_order_within_a_group():
    import pandas as pd

    df = pd.DataFrame({"queue_type": "standard", "seq": [0, 2, 1, 3], "group": "g0",
                       "message_id": list("abcd"), "consumer": 0, "receive_count": 1,
                       "received_s": [0.0, 0.1, 0.2, 0.3], "done_s": [0.1, 0.2, 0.3, 0.4],
                       "duplicate": None, "out_of_order": None})
    df.attrs["x"] = 1
    out = ql._mark_ordering(df)
    assert out.set_index("seq")["out_of_order"].to_dict() == {0: False, 2: False, 1: True,
                                                              3: False}
    assert out.attrs["x"] == 1


def test_visibility_timeout_shorter_than_the_job_causes_duplicates_and_heartbeat_prevents_them(
        clean_cloud):
    df = ql.visibility_sweep(clean_cloud, visibility_timeouts=(1, 3), heartbeat=(False, True),
                             messages=4, workers=8, work_s=(1.6, 2.0), crash_fraction=0.25,
                             crash_after_s=0.2, seed=1, show_progress=False)
    check_run(df)
    s = ql.summarize_sweep(df).set_index(["visibility_timeout_s", "heartbeat"])
    # Jobs of 1.6-2.0 s on a 1 s timeout: every job outlives the timeout, so each message
    # is delivered again (to an idle worker) while its worker still works on it.
    assert s.loc[(1, False), "duplicates"] >= 3
    # A heartbeat (ChangeMessageVisibility every timeout/2) keeps it hidden: no duplicates.
    assert s.loc[(1, True), "duplicates"] == 0
    assert s.loc[(3, False), "duplicates"] == 0
    for point in s.index:  # every message completed; one crash each point, recovered
        assert s.loc[point, "crashes"] == 1
        assert set(df[(df["visibility_timeout_s"] == point[0]) & (df["heartbeat"] == point[1])
                      & (df["outcome"] == "completed")]["message"]) == set(range(4))
    # Recovery: the crashed message reappears when its visibility timeout ends (receive +
    # timeout), i.e. timeout - 0.2 s after the crash. Allow 10% of the timeout + 0.3 s
    # for a loaded machine. Never earlier than the timeout allows: SQS hid the message no
    # earlier than the crashed attempt's ReceiveMessage call (`requested_s`), so the
    # redelivery returns at least a timeout after that call (10 ms for millisecond clocks).
    # Measured from the call's return instead, a slow return looks like an early redelivery
    # (0.75 s for 0.8 s on an overloaded machine).
    rec = df.dropna(subset=["recovery_s"])
    assert len(rec) == 4
    for _, r in rec.iterrows():
        vt = r["visibility_timeout_s"]
        assert r["recovery_s"] <= vt - 0.2 + 0.1 * vt + 0.3
        crashed = df[(df["visibility_timeout_s"] == vt) & (df["heartbeat"] == r["heartbeat"])
                     & (df["message"] == r["message"]) & (df["attempt"] == r["attempt"] - 1)]
        assert r["received_s"] - crashed["requested_s"].item() >= vt - 0.01
    assert _queues(clean_cloud) == []


def _sweep_frame():
    import pandas as pd

    from lab.experiments.metadata import run_metadata

    class _Offline:
        name, region, endpoint_url = "offline", "us-east-1", "http://127.0.0.1:1"

    rows = [  # message 0: first attempt crashes, recovered; message 1: outlives a 1 s timeout
        dict(message=0, message_id="a", attempt=1, worker=0, work_s=1.5, sent_s=0.01,
             requested_s=0.015, received_s=0.02, ended_s=0.27, outcome="crashed", heartbeats=0),
        dict(message=0, message_id="a", attempt=2, worker=1, work_s=1.5, sent_s=0.01,
             requested_s=0.03, received_s=1.02, ended_s=2.52, outcome="completed", heartbeats=0),
        dict(message=1, message_id="b", attempt=1, worker=2, work_s=1.5, sent_s=0.01,
             requested_s=0.015, received_s=0.02, ended_s=1.52, outcome="completed", heartbeats=0),
        dict(message=1, message_id="b", attempt=2, worker=3, work_s=1.5, sent_s=0.01,
             requested_s=0.03, received_s=1.02, ended_s=2.52, outcome="completed", heartbeats=0),
    ]
    for r in rows:
        r.update(visibility_timeout_s=1, heartbeat=False, kind=None, recovery_s=float("nan"))
    meta = run_metadata("visibility-sweep", _Offline(), {"messages": 2}, seed=0,
                        columns=ql.SWEEP_COLUMNS)
    df = pd.DataFrame(rows, columns=list(ql.SWEEP_COLUMNS))
    df.attrs.update(meta)
    return ql._classify(df)


def test_sweep_classifies_recoveries_and_duplicates():
    df = _sweep_frame()
    kinds = df.set_index(["message", "attempt"])["kind"].to_dict()
    assert kinds == {(0, 1): "first", (0, 2): "recovery", (1, 1): "first", (1, 2): "duplicate"}
    rec = df.dropna(subset=["recovery_s"])["recovery_s"].tolist()
    assert rec == [pytest.approx(0.75)]  # crash at 0.27 s, redelivered at 1.02 s
    summary = ql.summarize_sweep(df)
    check_run(summary)
    assert summary.loc[0, ["deliveries", "crashes", "duplicates", "completions"]].tolist() == \
        [4, 1, 1, 3]


def test_sweep_events_follow_the_timeline_columns():
    events = ql.sweep_events(_sweep_frame(), visibility_timeout_s=1, heartbeat=False)
    check_run(events)
    m1 = events[events["message"] == "m01"]
    # each 1.5 s attempt outlives the 1 s timeout: it expires at receive + 1 s, and the
    # worker's delete comes after
    assert m1["event"].tolist() == ["sent", "receive", "visibility_expired", "receive", "delete",
                                    "visibility_expired", "delete"]
    expiry = m1[m1["event"] == "visibility_expired"]["t_s"].iloc[0]
    assert expiry == pytest.approx(1.02)
    m0 = events[events["message"] == "m00"]
    assert (m0[m0["event"] == "receive"]["outcome"]).tolist() == ["crashed", "completed"]
