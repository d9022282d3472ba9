"""Measurement data: run metadata and its schema check, saved runs, reference figures,
comparison tables, and the parsers/transforms experiments use, on hand-written fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from lab.experiments import cold_starts, latency, polling, redelivery
from lab.experiments.metadata import REQUIRED_KEYS, run_metadata, tidy
from lab.observe import logs as lambda_logs
from lab.observe.access_log import access_log_frame
from lab.observe.lifecycle import lifecycle_frame
from lab.observe.reports import parse_reports
from lab.results import compare, data

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "measurement"


class FakeTarget:
    def __init__(self, name="offline", region="us-east-1"):
        self.name, self.region = name, region
        self.endpoint_url = "http://127.0.0.1:1" if name == "offline" else None

    @property
    def is_offline(self):
        return self.name == "offline"


def a_run(target="offline", values=(1.0, 2.0, 3.0)) -> pd.DataFrame:
    columns = {"i": "observation number (count)", "latency_ms": "latency (ms)"}
    meta = run_metadata("demo", FakeTarget(target), {"n": len(values)}, seed=7, columns=columns)
    return tidy([{"i": i, "latency_ms": v} for i, v in enumerate(values)], columns, meta)


def fixture(name):
    path = FIXTURES / name
    return json.loads(path.read_text()) if name.endswith(".json") else path.read_text()


# -- metadata and the schema check --------------------------------------------------------
def test_run_metadata_names_target_versions_machine_parameters_and_seed():
    df = a_run()
    meta = data.check_run(df)
    assert set(REQUIRED_KEYS) <= set(meta)
    assert meta["target"] == "offline" and meta["region"] == "us-east-1"
    assert meta["timestamp_utc"].endswith("+00:00")
    assert {"lab", "moto", "boto3", "python"} <= set(meta["versions"])
    assert meta["machine"]["cpu_count"] >= 1
    assert meta["parameters"] == {"n": 3} and meta["seed"] == 7


def test_schema_check_refuses_a_run_without_metadata():
    bare = pd.DataFrame({"latency_ms": [1.0]})
    with pytest.raises(data.RunSchemaError, match="missing"):
        data.check_run(bare)
    with pytest.raises(data.RunSchemaError):
        data.save_run(bare, "bare", folder="build/should-not-exist")
    assert not Path("build/should-not-exist/bare.csv").exists()


@pytest.mark.parametrize("breakage, message", [
    (lambda a: a.update(target="laptop"), "target"),
    (lambda a: a["versions"].pop("moto"), "versions"),
    (lambda a: a["columns"].pop("latency_ms"), "latency_ms"),
    (lambda a: a.update(parameters="n=3"), "parameters"),
])
def test_schema_check_refuses_incomplete_metadata(breakage, message):
    df = a_run()
    df.attrs["versions"] = dict(df.attrs["versions"])
    df.attrs["columns"] = dict(df.attrs["columns"])
    breakage(df.attrs)
    with pytest.raises(data.RunSchemaError, match=message):
        data.check_run(df)


def test_save_and_load_runs_round_trip_with_sidecar(tmp_path):
    off = a_run("offline")
    aws = a_run("aws", values=(10.0, 20.0))
    path = data.save_run(off, "demo offline/1", folder=tmp_path)
    data.save_run(aws, "demo-aws", folder=tmp_path)
    assert path.name == "demo-offline-1.csv"
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["rows"] == 3 and sidecar["target"] == "offline"
    assert sidecar["columns"]["latency_ms"] == "latency (ms)"
    back = data.load_run(path)
    assert back["latency_ms"].tolist() == [1.0, 2.0, 3.0]
    assert back.attrs["seed"] == 7 and back.attrs["parameters"] == {"n": 3}
    with pytest.raises(FileExistsError):
        data.save_run(off, "demo offline/1", folder=tmp_path)
    both = data.load_runs(tmp_path)
    assert len(both) == 5 and set(both["source"]) == {"offline", "aws"}
    assert set(both.attrs["runs"]) == {"demo-offline-1", "demo-aws"}
    only_aws = data.load_runs(tmp_path, target="aws")
    assert only_aws["latency_ms"].tolist() == [10.0, 20.0]


def test_a_csv_without_its_sidecar_is_refused(tmp_path):
    (tmp_path / "orphan.csv").write_text("a\n1\n")
    with pytest.raises(data.RunSchemaError, match="sidecar"):
        data.load_run(tmp_path / "orphan.csv")


def test_committed_runs_carry_metadata():
    for sidecar in sorted(data.RUNS_DIR.glob("*.json")):
        data.load_run(sidecar)  # raises if a curated run lost its metadata


# -- reference figures --------------------------------------------------------------------
def test_every_reference_file_has_sources_and_a_readme_entry():
    readme = (data.REFERENCE_DIR / "README.md").read_text()
    names = data.reference_names()
    assert {"firecracker", "lambda_perf_python", "sock_import", "sqs_quotas",
            "lambda_quotas"} <= set(names)
    for name in names:
        ref = data.load_reference(name)
        assert ref.attrs["source"] == "reference"
        assert ref["source"].str.len().min() > 5 and ref["url"].str.startswith("https://").all()
        assert pd.to_numeric(ref["value"]).notna().all()
        assert f"`{name}.csv`" in readme


def test_reference_figures_match_the_published_numbers():
    def value(name, metric):
        ref = data.load_reference(name).set_index("metric")
        return float(ref.loc[metric, "value"])

    assert value("firecracker", "guest_boot_to_init") == 125  # ms
    assert value("firecracker", "vmm_memory_overhead") == 5  # MiB
    assert value("firecracker", "microvm_creation_rate") == 150  # per second per host
    assert value("lambda_perf_python", "init_duration_avg_python312_zip") == 85
    assert value("sock_import", "library_import_startup_cost") == 100
    assert value("sqs_quotas", "max_message_size") == 1_048_576
    assert value("sqs_quotas", "visibility_timeout_default") == 30
    assert value("lambda_quotas", "sqs_esm_max_concurrency") == 1250


def test_unknown_reference_lists_what_exists():
    with pytest.raises(FileNotFoundError, match="firecracker"):
        data.load_reference("nope")


# -- comparison ---------------------------------------------------------------------------
def test_side_by_side_keeps_every_source_labelled():
    off = compare.summarize(a_run("offline", values=tuple(range(1, 101))), "latency_ms",
                            "latency", stats=("p50", "p99"))
    aws = compare.summarize(a_run("aws", values=tuple(range(101, 201))), "latency_ms",
                            "latency", stats=("p50", "p99"))
    ref = compare.from_reference(data.load_reference("lambda_perf_python"),
                                 {"init_duration_avg_python_zip": "latency p50"})
    long = compare.side_by_side(off, aws, ref)
    assert set(long["source"]) == {"offline (lab serve, this machine)", "AWS (us-east-1)",
                                   "reference: lambda-perf (maxday)"}
    assert long.loc[long["source"].str.startswith("reference"), ["low", "high"]
                    ].iloc[0].tolist() == [70.0, 100.0]
    wide = compare.as_table(long)
    assert list(wide.columns) == ["metric", "unit", "offline (lab serve, this machine)",
                                  "AWS (us-east-1)", "reference: lambda-perf (maxday)"]
    p50 = wide.set_index("metric").loc["latency p50"]
    assert p50["offline (lab serve, this machine)"] == pytest.approx(50.5)
    assert p50["AWS (us-east-1)"] == pytest.approx(150.5)


def test_side_by_side_refuses_unlabelled_rows():
    bad = pd.DataFrame([{"metric": "x", "source": "my laptop", "value": 1.0, "unit": "ms"}])
    with pytest.raises(ValueError, match="source"):
        compare.side_by_side(bad)
    unlabelled = pd.DataFrame({"latency_ms": [1.0]})
    with pytest.raises(ValueError, match="source"):
        compare.summarize(unlabelled, "latency_ms", "latency")


# -- parsers and transforms on fixtures ---------------------------------------------------
def test_importtime_parser_and_package_cost():
    table = cold_starts.parse_importtime(fixture("importtime.txt"))
    assert len(table) == 8
    assert table.set_index("module").loc["json.scanner", "depth"] == 2
    baseline = {"_io", "posix", "_frozen_importlib_external", "site"}
    cost = cold_starts.package_import_cost(table, "json", baseline)
    assert cost == {"import_ms": 0.981, "self_ms": 0.162, "modules": 4}
    with pytest.raises(ValueError, match="not in"):
        cold_starts.package_import_cost(table, "boto3", baseline)


def test_recorder_lines_and_report_lines_join_per_invocation():
    events = fixture("report_events.json")
    records = lambda_logs.recorder_records(events)
    assert records["message_id"].tolist() == ["msg-0", "msg-1", "msg-2"]
    assert records["lab_i"].tolist() == [0, 1, 2]
    reports = parse_reports(events)
    rows = [{"request_id": "inv-1"}, {"request_id": "inv-2"}]
    cold_starts._join_reports(rows, reports)
    assert [r["start"] for r in rows] == ["cold", "warm"]
    assert rows[0]["init_ms"] == 130.49 and rows[1]["init_ms"] is None
    assert rows[0]["environment"] == rows[1]["environment"] == "2024/01/01/[$LATEST]aaaa1111"


def test_pipeline_hops_from_records_reports_access_log_and_lifecycle():
    events = fixture("report_events.json")
    rows = [{"request": i, "api_request_id": f"req-{i}", "status": 200,
             "client_send_ms": send, "client_response_ms": send + 6}
            for i, send in enumerate((1700000000010.0, 1700000000015.0, 1700000000280.0))]
    access = access_log_frame(fixture("access_log.json"))
    integration_ms = dict(zip(access["request_id"], access["integration_latency_ms"],
                              strict=True))
    latency.join_pipeline(rows, lambda_logs.recorder_records(events), parse_reports(events),
                          integration_ms, {"msg-0": 1700000000106.0})
    first, second, third = rows
    assert first["message_id"] == "msg-0" and first["invocation_id"] == "inv-1"
    assert first["queue_wait_ms"] == 10.0     # first receive 30 - sent 20
    assert first["dispatch_ms"] == 70.0       # handler 100 - first receive 30
    assert first["end_to_end_ms"] == 90.0     # handler 100 - client send 10
    assert first["integration_ms"] == 3.0 and second["integration_ms"] == 4.0
    assert first["start"] == "cold" and first["init_ms"] == 130.49
    assert first["deleted_ms"] == 1700000000106.0 and second["deleted_ms"] is None
    assert third["start"] == "warm" and third["end_to_end_ms"] == 22.0
    assert third["integration_ms"] is None  # no access log line for req-2
    assert second["batch_size"] == 2


def test_timeline_from_lifecycle_records():
    life = lifecycle_frame(fixture("lifecycle.json"))
    ev = redelivery.timeline_from_lifecycle(life)
    a = ev[ev["message"] == "m00"]
    b = ev[ev["message"] == "m01"]
    assert a["event"].tolist() == ["sent", "receive", "visibility_expired", "receive", "delete"]
    assert b["event"].tolist() == ["sent", "receive", "visibility_expired", "receive",
                                   "visibility_expired", "dlq"]
    assert a.loc[a["event"] == "receive", "outcome"].tolist() == ["crashed", "processed"]
    assert b.loc[b["event"] == "receive", "outcome"].tolist() == ["crashed", "crashed"]
    assert a.loc[a["event"] == "delete", "t_s"].item() == pytest.approx(2.2)
    per_attempt = redelivery.attempts(ev)
    assert per_attempt.loc[(per_attempt["message"] == "m00") & (per_attempt["attempt"] == 1),
                           "invisible_s"].item() == pytest.approx(2.0)  # the visibility timeout


def test_failure_plan_is_seeded_and_poison_always_fails():
    plan = redelivery.attempt_plan(10, poison_fraction=0.2, failure_rate=0.3,
                                   max_receive_count=3, seed=1)
    assert plan == redelivery.attempt_plan(10, poison_fraction=0.2, failure_rate=0.3,
                                           max_receive_count=3, seed=1)
    assert sum(1 for k in plan if k >= 10**6) == 2


def test_polling_summary_counts_calls_and_empty_receives_per_message():
    rows = [
        {"mode": "short", "wait_time_s": 0, "call": 0, "action": "ReceiveMessage", "t_s": 0.0,
         "duration_ms": 1.0, "messages": 0, "empty": True},
        {"mode": "short", "wait_time_s": 0, "call": 1, "action": "ReceiveMessage", "t_s": 0.1,
         "duration_ms": 1.0, "messages": 0, "empty": True},
        {"mode": "short", "wait_time_s": 0, "call": 2, "action": "ReceiveMessage", "t_s": 0.2,
         "duration_ms": 1.0, "messages": 2, "empty": False},
        {"mode": "short", "wait_time_s": 0, "call": 3, "action": "DeleteMessageBatch",
         "t_s": 0.2, "duration_ms": 1.0, "messages": 2, "empty": False},
        {"mode": "long (20 s)", "wait_time_s": 20, "call": 0, "action": "ReceiveMessage",
         "t_s": 0.0, "duration_ms": 200.0, "messages": 2, "empty": False},
        {"mode": "long (20 s)", "wait_time_s": 20, "call": 1, "action": "DeleteMessageBatch",
         "t_s": 0.2, "duration_ms": 1.0, "messages": 2, "empty": False},
    ]
    meta = run_metadata("polling", FakeTarget(), {}, seed=0, columns=polling.COLUMNS)
    summary = polling.summarize(tidy(rows, polling.COLUMNS, meta)).set_index("mode")
    assert summary.loc["short", "empty_receives"] == 2
    assert summary.loc["short", "calls_per_message"] == 2.0     # 4 calls / 2 messages
    assert summary.loc["long (20 s)", "calls_per_message"] == 1.0
    assert data.check_run(summary.reset_index())  # a summary is a saveable run too
