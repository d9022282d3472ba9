"""Scaling of an SQS event source mapping (a MODEL of services-sqs-scaling) and throttling.

AWS: a mapping starts with 5 concurrent batches, adds up to 300 concurrent invocations per
minute while the queue has a backlog, never more than ScalingConfig.MaximumConcurrency;
a throttled function (reserved concurrency) makes Lambda back off, and the throttled
messages return to the queue after the visibility timeout: none is lost. The model's
clock is sped up through /_lab/esm/config so the tests take seconds.
"""

from __future__ import annotations

from collections import Counter

from tests.fixtures.esm import (
    create_mapping,
    deploy,
    lab_get,
    lab_post,
    make_queue,
    run_backlog,
    send_batch,
    stats,
    wait_until,
)


def max_overlap(invocations: list[dict], outcomes=("success",)) -> int:
    """Most invocations running at once, from their start/end instants."""
    edges = []
    for inv in invocations:
        if inv["outcome"] in outcomes:
            edges += [(inv["t_start"], 1), (inv["t_end"], -1)]
    running = peak = 0
    for _, step in sorted(edges, key=lambda e: (e[0], e[1])):
        running += step
        peak = max(peak, running)
    return peak


def test_config_route_sets_and_reports_the_model_time_scale(clean_cloud):
    before = lab_get(clean_cloud, "/_lab/esm/config")
    assert "model" in before["model"].lower() and before["add_per_minute"] == 300
    assert lab_post(clean_cloud, "/_lab/esm/config", {"time_scale": 30})["time_scale"] == 30


def test_scales_up_past_five_batches_and_stops_at_maximum_concurrency(clean_cloud):
    lab_post(clean_cloud, "/_lab/esm/config", {"time_scale": 60})  # 300/min -> 300/s
    fn = deploy(clean_cloud, timeout=5)
    url, arn, _ = make_queue(clean_cloud, visibility=30)
    got = run_backlog(clean_cloud, fn, url, arn, [{"sleep": 0.6, "n": i} for i in range(100)],
                      120, BatchSize=1, ScalingConfig={"MaximumConcurrency": 10})
    assert got["peak_concurrency"] == 10, "grew past the initial 5, capped at 10"
    assert max(s["pollers"] for s in got["concurrency"]) <= 10
    assert max_overlap(got["invocations"]) == 10
    assert len(fn.seen()) == 100


def test_maximum_concurrency_below_five_caps_the_start(clean_cloud):
    fn = deploy(clean_cloud, timeout=5)
    url, arn, _ = make_queue(clean_cloud, visibility=30)
    got = run_backlog(clean_cloud, fn, url, arn, [{"sleep": 0.3, "n": i} for i in range(12)],
                      60, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2})
    assert got["peak_concurrency"] == 2
    assert max_overlap(got["invocations"]) == 2


def test_throttling_by_reserved_concurrency_backs_off_and_loses_nothing(clean_cloud):
    fn = deploy(clean_cloud, timeout=2, reserved=2)
    url, arn, _ = make_queue(clean_cloud, visibility=2)
    got = run_backlog(clean_cloud, fn, url, arn, [{"sleep": 0.3, "n": i} for i in range(20)],
                      120, BatchSize=1)
    ids = got["message_ids"]
    outcomes = Counter(inv["outcome"] for inv in got["invocations"])
    assert outcomes["throttled"] > 0, "5 pollers against reserved concurrency 2 are throttled"
    assert max_overlap(got["invocations"]) <= 2, "never more than the reserved concurrency"
    assert min(s["target"] for s in got["concurrency"]) < 5, "the model scaled back"
    processed = Counter(i for i, _ in fn.seen())
    assert set(processed) == set(ids), "every message processed; throttles lost none"
    assert set(processed.values()) == {1}


def test_at_the_documented_rate_busy_pollers_still_scale_up_on_a_backlog(clean_cloud):
    """Time scale 1 (AWS's own 300 per minute = 5 per second): while every poller is busy
    with a slow batch, the messages waiting in the queue are the backlog that scaling
    follows, so concurrency grows past the initial 5 within a few seconds."""
    lab_post(clean_cloud, "/_lab/esm/config", {"time_scale": 1})
    fn = deploy(clean_cloud, timeout=10)
    url, arn, _ = make_queue(clean_cloud, visibility=60)
    mapping = create_mapping(clean_cloud, fn, arn, BatchSize=1, Enabled=False,
                             ScalingConfig={"MaximumConcurrency": 9})
    send_batch(clean_cloud, url, [{"sleep": 1.5, "n": i} for i in range(60)])
    clean_cloud.client("lambda").update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    wait_until(lambda: stats(clean_cloud, mapping["UUID"])["peak_concurrency"] >= 9, 20,
               interval=0.2, what="concurrency grown to the cap at the documented rate")
    clean_cloud.client("lambda").update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)


def test_idle_pollers_scale_back_down_after_a_backlog_drains(clean_cloud):
    """AWS scales a mapping's pollers down when the queue is idle: after a backlog grew
    them past the initial 5 and the queue drained, the pollers left idle (long-polling an
    empty queue) leave too, back to the start level of 5 concurrent batches."""
    lab_post(clean_cloud, "/_lab/esm/config", {"time_scale": 60})  # idle 10 s -> ~0.2 s
    fn = deploy(clean_cloud, timeout=5)
    url, arn, _ = make_queue(clean_cloud, visibility=30)
    got = run_backlog(clean_cloud, fn, url, arn, [{"sleep": 0.3, "n": i} for i in range(80)],
                      120, invocations=False, BatchSize=1,
                      ScalingConfig={"MaximumConcurrency": 12})
    mapping = {"UUID": got["uuid"]}
    assert max(s["pollers"] for s in got["concurrency"]) > 5, "the backlog scaled pollers up"

    def pollers_now() -> int:
        return stats(clean_cloud, mapping["UUID"], invocations=False)["concurrency"][-1][
            "pollers"]

    # Idle well past the model's 10 idle seconds; every idle poller long-polls at most 1 s.
    wait_until(lambda: pollers_now() <= 5, 15, interval=0.25,
               what="idle pollers back to the initial 5")
    clean_cloud.client("lambda").update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
