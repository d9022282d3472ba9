"""The chart checker (lab.results.chartcheck) finds what a machine can see in a figure:
texts outside it or on each other, legends and annotations on the data, axes without a
label or unit, bars on a log axis, error bars without a spread. The notebook test runs it
on every chart of the series (LAB_CHART_CHECK)."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lab.results import chartcheck  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def good():
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    x = np.linspace(0, 10, 50)
    ax.plot(x, x ** 2, label="offline (n=50)")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("latency (ms)")
    ax.set_title("latency grows with time")
    ax.legend(loc="upper left")
    return fig, ax


def has(found, *words):
    return any(all(w in p for w in words) for p in found)


def test_a_clean_chart_has_no_problems():
    fig, _ = good()
    assert chartcheck.problems(fig) == []


def test_categorical_axes_need_a_label_but_no_unit():
    fig, ax = plt.subplots(layout="constrained")
    ax.bar(["short", "long"], [3.0, 1.0])
    ax.set_xlabel("polling mode")
    ax.set_ylabel("calls per message (calls)")
    assert chartcheck.problems(fig) == []


def test_missing_labels_and_units():
    fig, ax = plt.subplots(layout="constrained")
    ax.plot([0, 1, 2], [1, 2, 3])
    ax.set_ylabel("latency")
    found = chartcheck.problems(fig)
    assert has(found, "no x label")
    assert has(found, "y label", "no unit")


def test_text_outside_the_figure():
    fig, _ = good()
    fig.text(0.9, 0.5, "a caption that runs far beyond the right edge of the figure")
    assert has(chartcheck.problems(fig), "outside the figure")


def test_a_y_label_longer_than_its_axis():
    fig, ax = plt.subplots(figsize=(6, 2), layout="constrained")
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("ReceiveMessage calls per message delivered, empty ones included (calls)")
    assert has(chartcheck.problems(fig), "y label", "longer than its axis")


def test_an_annotation_on_the_title():
    fig, ax = good()
    ax.annotate("a note placed on the title", xy=(0.5, 1.03), xycoords="axes fraction",
                ha="center", va="bottom", annotation_clip=False)
    assert has(chartcheck.problems(fig), "overlaps", "title")


def test_two_annotations_on_each_other():
    fig, ax = good()
    ax.text(2, 80, "first note")
    ax.text(2.2, 80, "second note")
    assert has(chartcheck.problems(fig), "'first note' overlaps", "'second note'")


def test_an_annotation_on_a_line_of_the_data():
    fig, ax = good()
    ax.text(5, 25, "p50 25 ms", ha="center", va="center")
    assert has(chartcheck.problems(fig), "annotation 'p50 25 ms' covers line")


def test_a_legend_on_the_data():
    fig, ax = plt.subplots(layout="constrained")
    rng = np.random.default_rng(0)
    ax.scatter(rng.uniform(0, 1, 400), rng.uniform(0, 1, 400), label="offline")
    ax.set_xlabel("x (s)")
    ax.set_ylabel("y (ms)")
    ax.legend(loc="center")
    assert has(chartcheck.problems(fig), "legend covers points")


def test_a_legend_on_a_bar():
    fig, ax = plt.subplots(layout="constrained")
    ax.bar(["a", "b", "c"], [10, 10, 10], label="offline")
    ax.set_xlabel("metric")
    ax.set_ylabel("value (ms)")
    ax.legend(loc="center")
    assert has(chartcheck.problems(fig), "legend covers bars")


def test_reference_lines_are_not_data():
    fig, ax = good()
    ax.axhline(50, color="grey", ls="--")
    ax.text(0.2, 52, "reference 50 ms", va="bottom")
    assert chartcheck.problems(fig) == []


def test_bars_on_a_log_axis():
    fig, ax = plt.subplots(layout="constrained")
    ax.bar(["a", "b"], [1, 1000])
    ax.set_yscale("log")
    ax.set_xlabel("metric")
    ax.set_ylabel("value (ms)")
    assert has(chartcheck.problems(fig), "bars on a log axis")


def test_error_bars_without_a_spread():
    fig, ax = plt.subplots(layout="constrained")
    ax.bar(["a", "b"], [5, 7], yerr=[[0, 1], [0, 1]], capsize=3)
    ax.set_xlabel("metric")
    ax.set_ylabel("value (ms)")
    assert has(chartcheck.problems(fig), "error bar", "no spread")


def test_install_records_each_rendered_figure(tmp_path):
    out = tmp_path / "problems.jsonl"
    chartcheck.install(out)
    try:
        fig, ax = plt.subplots(layout="constrained")
        ax.plot([0, 1], [0, 1])
        ax.set_title("unlabelled")
        fig.savefig(tmp_path / "a.png")
        fig.savefig(tmp_path / "b.png")  # checked once per figure
        clean, _ = good()
        clean.savefig(tmp_path / "c.png")
    finally:
        chartcheck.uninstall()
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 1 and lines[0]["titles"] == ["unlabelled"]
    assert has(lines[0]["problems"], "no x label")
