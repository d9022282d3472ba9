"""Charts: every one labels its axes with units and names its data source (offline / AWS /
reference) in the legend or the caption; the title is the caller's; PNG and SVG saved."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lab.experiments import redelivery  # noqa: E402
from lab.experiments.metadata import run_metadata, tidy  # noqa: E402
from lab.observe.lifecycle import lifecycle_frame  # noqa: E402
from lab.results import chartcheck, compare, data, plots  # noqa: E402
from tests.unit.test_data import FakeTarget, fixture  # noqa: E402

UNIT = re.compile(r"\(.+\)")


def run(target="offline", **cols):
    columns = {name: f"{name} (unit)" for name in cols}
    meta = run_metadata("demo", FakeTarget(target), {}, seed=0, columns=columns)
    n = len(next(iter(cols.values())))
    return tidy([{k: v[i] for k, v in cols.items()} for i in range(n)], columns, meta)


def texts(fig) -> str:
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend:
            out += [t.get_text() for t in legend.get_texts()] + [legend.get_title().get_text()]
    return "\n".join(out)


def assert_labelled(fig, *sources, title=None, categorical=False):
    """Axes labelled (numeric axes with a unit in parentheses), sources named."""
    ax = fig.axes[0]
    assert ax.get_xlabel()
    if not categorical:
        assert UNIT.search(ax.get_xlabel()), ax.get_xlabel()
    assert UNIT.search(ax.get_ylabel()), ax.get_ylabel()
    found = texts(fig)
    assert "Data: " in found
    for source in sources:
        assert source in found, (source, found)
    if title:
        assert ax.get_title() == title
    assert chartcheck.problems(fig) == []  # nothing outside, overlapping or on the data
    plt.close(fig)


@pytest.fixture
def latencies():
    rng = np.random.default_rng(0)
    off = run(end_to_end_ms=list(rng.lognormal(2, 0.5, 200)), t_s=list(np.linspace(0, 10, 200)))
    aws = run("aws", end_to_end_ms=list(rng.lognormal(3, 0.5, 200)),
              t_s=list(np.linspace(0, 10, 200)))
    return off, aws


def test_latency_cdf_marks_p50_p90_p99_and_names_both_sources(latencies):
    off, aws = latencies
    fig = plots.latency_cdf([off, aws], title="AWS is slower end to end")
    assert not fig.axes[0].texts  # quantiles are named in the legend, never on a curve
    annotations = [t.strip() for t in texts(fig).splitlines()]
    assert sum(a.startswith("p50 = ") for a in annotations) == 2
    assert any(a.startswith("p99 = ") and a.endswith(" ms") for a in annotations)
    expected = f"p50 = {np.quantile(off['end_to_end_ms'], 0.5):.3g} ms"
    assert expected in annotations
    assert fig.axes[0].get_xlabel() == "latency (ms)"
    assert_labelled(fig, "offline", "AWS (us-east-1)", title="AWS is slower end to end")


def test_latency_cdf_draws_no_quantile_its_sample_cannot_estimate(latencies):
    fig = plots.latency_cdf(latencies[0].head(20))
    found = texts(fig)
    assert "p50 = " in found and "p90 = " in found and "p99" not in found  # 20 samples


def test_latency_over_time(latencies):
    fig = plots.latency_over_time(latencies[0])
    assert fig.axes[0].get_xlabel() == "time since start of run (s)"
    assert fig.axes[0].get_title() == ""  # no title unless the caller states a finding
    assert_labelled(fig, "offline (lab serve, this machine)")


def test_cold_vs_warm_with_reference_band():
    df = run(start=["cold"] * 3 + ["warm"] * 5, duration_ms=[120, 130, 125, 2, 3, 2, 4, 3])
    ref = data.load_reference("lambda_perf_python")
    ref = ref[ref["metric"] == "init_duration_avg_python_zip"]
    fig = plots.cold_vs_warm(df, title="Cold starts cost ~100 ms")
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["cold (n=3)", "warm (n=5)"]
    assert_labelled(fig, "offline", categorical=True)
    fig = plots.cold_vs_warm(df, reference=ref)
    assert_labelled(fig, "offline", "reference: lambda-perf (maxday)", categorical=True)


def test_init_breakdown_stacks_phases():
    df = run(imports=["(none)", "boto3"], process_start_ms=[50.0, 52.0],
             runtime_import_ms=[30.0, 31.0], handler_imports_ms=[0.0, 200.0],
             init_code_ms=[0.0, 0.0], other_ms=[2.0, 10.0])
    phases = ["process_start_ms", "runtime_import_ms", "handler_imports_ms", "init_code_ms",
              "other_ms"]
    fig = plots.init_breakdown(df, phases, "imports",
                               reference=[("Firecracker boot to guest init (upper bound)", 125)])
    bars = fig.axes[0].patches
    assert len(bars) == 2 * len(phases)
    tops = {}
    for b in bars:
        x = round(b.get_x(), 6)
        tops[x] = max(tops.get(x, 0.0), b.get_y() + b.get_height())
    assert sorted(tops.values()) == [82.0, 293.0]  # each bar's stack sums to its row
    assert fig.axes[0].get_ylabel() == "INIT time (ms)"
    assert_labelled(fig, "offline", "reference: Firecracker", categorical=True)


def test_concurrency_over_time_counts_overlaps():
    t, level = plots.concurrency_steps([0.0, 0.1, 0.2, 1.0], [0.5, 0.6, 0.7, 1.5])
    assert level.max() == 3 and level[-1] == 0
    df = run(start_s=[0.0, 0.1, 0.2, 1.0], end_s=[0.5, 0.6, 0.7, 1.5])
    fig = plots.concurrency_over_time(df, limit=2, limit_label="MaximumConcurrency 2")
    assert fig.axes[0].get_ylabel() == "concurrent executions (count)"
    assert_labelled(fig, "offline", "MaximumConcurrency 2")


def test_message_timeline_draws_one_lane_per_message_with_attempts_and_dlq():
    ev = redelivery.timeline_from_lifecycle(lifecycle_frame(fixture("lifecycle.json")))
    meta = run_metadata("redelivery", FakeTarget(), {"visibility_timeout": 2}, seed=0,
                        columns=redelivery.COLUMNS)
    ev = tidy(ev.to_dict("records"), redelivery.COLUMNS, meta)
    fig = plots.message_timeline(ev, title="m01 ends in the DLQ")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["m00 (2 receives)", "m01 (2 receives)"]
    assert len([p for p in ax.patches]) == 4  # 2 attempts each
    found = texts(fig)
    assert "moved to DLQ" in found and "visibility timeout 2 s" in found
    assert_labelled(fig, "offline", title="m01 ends in the DLQ")


def test_polling_costs_chart():
    summary = pd.DataFrame({"mode": ["short", "long (20 s)"], "messages": [10, 10],
                            "receive_calls": [300, 10], "empty_receives": [290, 0],
                            "delete_calls": [10, 10], "api_calls": [310, 20],
                            "calls_per_message": [31.0, 2.0]})
    summary.attrs.update(target="aws", region="eu-west-1")
    fig = plots.polling_costs(summary)
    texts = [t.get_text() for t in fig.axes[0].texts]
    # the bar height is receives per message (300 / 10); all API calls are named apart
    assert texts[0] == "30.00 receives\n(31.00 calls with deletes)"
    assert_labelled(fig, "AWS (eu-west-1)", categorical=True)


def test_comparison_chart_hatches_reference_and_refuses_mixed_units():
    off = compare.summarize(run(init_ms=[80.0, 90.0, 100.0]), "init_ms", "Init Duration",
                            stats=("mean",))
    ref = compare.from_reference(data.load_reference("lambda_perf_python"),
                                 {"init_duration_avg_python312_zip": "Init Duration mean"})
    table = compare.side_by_side(off, ref)
    fig = plots.comparison(table, title="Offline INIT is in the same range as Lambda's")
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == 1 and hatched[0].get_height() == 85.0
    assert_labelled(fig, "offline", "reference: lambda-perf (maxday)", categorical=True)
    mixed = compare.side_by_side(off, pd.DataFrame([{"metric": "x", "source": "reference: y",
                                                     "value": 1.0, "unit": "MB"}]))
    with pytest.raises(ValueError, match="one unit"):
        plots.comparison(mixed)


def test_unlabelled_data_is_refused():
    with pytest.raises(ValueError, match="no source"):
        plots.latency_cdf(pd.DataFrame({"end_to_end_ms": [1.0, 2.0]}))


def test_save_writes_png_and_svg(tmp_path, latencies):
    fig = plots.latency_cdf(latencies[0])
    paths = plots.save(fig, tmp_path / "charts" / "latency.png")
    assert [p.name for p in paths] == ["latency.png", "latency.svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in paths[1].read_text()[:500]
    plt.close(fig)
