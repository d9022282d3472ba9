"""Lambda Invoke offline: cold and warm starts, environment variables, logs (AWS terms).

Sources: Lambda Developer Guide lambda-runtime-environment, configuration-envvars,
python-logging, monitoring-cloudwatchlogs; Lambda API reference Invoke.
"""

from __future__ import annotations

import base64
import json
import re

import pytest

from lab.observe.reports import parse_reports
from tests.fixtures.common import client_error
from tests.fixtures.lambda_ import (
    NO_RETRY,
    deploy,
    environments,
    invocations,
    invoke,
    log_events,
)

STREAM = re.compile(r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")

ECHO = """
import os
print("init code runs once per environment")

def handler(event, context):
    print("handling", event)
    return {"event": event, "request_id": context.aws_request_id}
"""


def test_cold_start_then_warm_start_init_duration_only_on_the_first(clean_cloud):
    name = deploy(clean_cloud, ECHO, MemorySize=256)
    first = invoke(clean_cloud, name, {"n": 1})
    second = invoke(clean_cloud, name, {"n": 2})
    assert first["StatusCode"] == 200 and second["StatusCode"] == 200
    assert first["body"]["event"] == {"n": 1}
    assert first["ExecutedVersion"] == "$LATEST"
    rid = first["ResponseMetadata"]["RequestId"]
    assert first["body"]["request_id"] == rid

    reports = parse_reports(log_events(clean_cloud, name, "REPORT"))
    assert len(reports) == 2
    cold, warm = reports.iloc[0], reports.iloc[1]
    assert cold["request_id"] == rid
    assert cold["cold"] and not warm["cold"]
    assert cold["init_duration_ms"] > 0
    assert cold["environment_id"] == warm["environment_id"], "warm start reuses the environment"
    assert cold["memory_size_mb"] == 256
    # Billed Duration = Duration + Init Duration (cold, since 2025-08-01), rounded up to 1 ms
    assert cold["billed_duration_ms"] >= cold["duration_ms"] + cold["init_duration_ms"]
    assert cold["billed_duration_ms"] < cold["duration_ms"] + cold["init_duration_ms"] + 1
    # Max Memory Used is measured (a Python process uses several MB), never the configured size
    assert 5 <= cold["max_memory_used_mb"] < 256

    records = invocations(clean_cloud, name)
    assert [r["cold"] for r in records] == [True, False]
    breakdown = records[0]["init_breakdown_ms"]
    phases = [breakdown[k] for k in ("interpreter_start_ms", "runtime_import_ms",
                                     "handler_import_and_init_ms")]
    assert all(p is not None and p >= 0 for p in phases)
    assert sum(phases) == pytest.approx(breakdown["init_total_ms"], abs=0.01)
    assert breakdown["init_total_ms"] == pytest.approx(records[0]["init_duration_ms"])
    assert records[1]["init_breakdown_ms"] is None


def test_start_end_report_lines_and_prints_in_cloudwatch_logs(cloud):
    name = deploy(cloud, ECHO)
    rid = invoke(cloud, name, {"x": 1})["ResponseMetadata"]["RequestId"]
    events = log_events(cloud, name)
    messages = [e["message"] for e in events]
    assert {e["logStreamName"] for e in events} == {events[0]["logStreamName"]}
    assert STREAM.match(events[0]["logStreamName"]), "Lambda's stream naming"
    text = "".join(messages)
    assert text.index("init code runs once") < text.index(f"START RequestId: {rid} "
                                                          "Version: $LATEST")
    assert text.index("START") < text.index("handling {'x': 1}") < text.index(
        f"END RequestId: {rid}") < text.index(f"REPORT RequestId: {rid}\tDuration: ")
    report = next(m for m in messages if m.startswith("REPORT"))
    assert re.match(rf"^REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms"
                    r"\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms",
                    report)
    only_reports = log_events(cloud, name, "REPORT")
    assert [e["message"] for e in only_reports] == [report]


def test_logging_module_lines_carry_level_time_and_request_id(cloud):
    name = deploy(cloud, """
        import logging
        logger = logging.getLogger()
        logger.setLevel(logging.INFO)

        def handler(event, context):
            logger.info("from logging")
            return None
    """)
    resp = invoke(cloud, name)
    assert resp["raw"] == b"null"
    rid = resp["ResponseMetadata"]["RequestId"]
    line = next(e["message"] for e in log_events(cloud, name) if "from logging" in e["message"])
    assert re.match(rf"^\[INFO\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t{rid}\tfrom logging",
                    line)


def test_environment_variables_as_lambda_sets_them(cloud):
    name = deploy(cloud, """
        import os

        def handler(event, context):
            return {"env": dict(os.environ), "cwd": os.getcwd(),
                    "arn": context.invoked_function_arn,
                    "remaining_ms": context.get_remaining_time_in_millis(),
                    "files": sorted(os.listdir(os.environ["LAMBDA_TASK_ROOT"]))}
    """, MemorySize=512, Timeout=7, Environment={"Variables": {"GREETING": "hi"}})
    body = invoke(cloud, name)["body"]
    env = body["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert STREAM.match(env["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["_HANDLER"] == "app.handler"
    assert env["LAMBDA_TASK_ROOT"] == body["cwd"]
    assert body["files"] == ["app.py"], "LAMBDA_TASK_ROOT holds the unzipped code"
    assert env["GREETING"] == "hi", "the function's Environment.Variables"
    assert env["AWS_ENDPOINT_URL"] == cloud.endpoint_url
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"] and env["AWS_SESSION_TOKEN"]
    assert not any(k.startswith("_LAB") for k in env), "the lab's own plumbing stays hidden"
    stream = log_events(cloud, name)[0]["logStreamName"]
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == stream
    assert body["arn"].endswith(f":function:{name}")
    assert 6000 < body["remaining_ms"] <= 7000, "deadline = invoke start + Timeout (7 s)"


def test_handler_boto3_calls_reach_the_offline_cloud(cloud):
    name = deploy(cloud, """
        import boto3

        def handler(event, context):
            sqs = boto3.client("sqs")
            url = sqs.create_queue(QueueName=event["queue"])["QueueUrl"]
            sqs.send_message(QueueUrl=url, MessageBody="from the handler")
            return {"url": url}
    """, Timeout=20)
    queue = f"made-by-{name}"
    body = invoke(cloud, name, {"queue": queue})["body"]
    sqs = cloud.client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    assert body["url"] == url
    msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert msgs[0]["Body"] == "from the handler"


def test_log_type_tail_returns_the_last_4_kb_base64(cloud):
    name = deploy(cloud, """
        def handler(event, context):
            for i in range(event.get("lines", 1)):
                print(f"line {i:05d} " + "x" * 90)
            return "ok"
    """)
    short = invoke(cloud, name, {"lines": 1}, LogType="Tail")
    tail = base64.b64decode(short["LogResult"]).decode()
    rid = short["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {rid}" in tail and "line 00000" in tail
    assert f"END RequestId: {rid}" in tail and f"REPORT RequestId: {rid}" in tail
    long = invoke(cloud, name, {"lines": 100}, LogType="Tail")
    raw = base64.b64decode(long["LogResult"])
    assert len(raw) == 4096
    assert raw.decode().rstrip().split("\n")[-1].startswith("REPORT RequestId:")
    assert "LogResult" not in invoke(cloud, name)


def test_function_error_is_200_unhandled_with_error_payload(cloud):
    name = deploy(cloud, """
        def handler(event, context):
            raise ValueError("bad input")
    """)
    resp = invoke(cloud, name)
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert resp["body"]["errorType"] == "ValueError"
    assert resp["body"]["errorMessage"] == "bad input"
    assert isinstance(resp["body"]["stackTrace"], list) and resp["body"]["stackTrace"]
    text = "".join(e["message"] for e in log_events(cloud, name))
    assert "[ERROR] ValueError: bad input" in text
    # the environment survives a handled-by-runtime error: the next invoke is warm
    invoke(cloud, name)
    assert [r["cold"] for r in invocations(cloud, name)] == [True, False]


def test_invoke_api_errors_in_aws_shape(cloud):
    lam = cloud.client("lambda", config=NO_RETRY)
    code, _, status = client_error(lam.invoke, FunctionName="does-not-exist", Payload=b"{}")
    assert (code, status) == ("ResourceNotFoundException", 404)
    name = deploy(cloud, ECHO)
    code, _, status = client_error(lam.invoke, FunctionName=name,
                                   Payload=b"x" * (6 * 1024 * 1024 + 1))
    assert (code, status) == ("RequestTooLargeException", 413)
    code, _, status = client_error(lam.invoke, FunctionName=name, Payload=b"{not json")
    assert (code, status) == ("InvalidRequestContentException", 400)
    code, _, status = client_error(lam.invoke, FunctionName=name, Payload=b"{}", Qualifier="9")
    assert (code, status) == ("ResourceNotFoundException", 404)
    dry = lam.invoke(FunctionName=name, InvocationType="DryRun")
    assert dry["StatusCode"] == 204
    assert invocations(cloud, name) == [], "DryRun runs nothing"


def test_non_python_runtime_is_a_clear_error_not_an_echo(cloud):
    name = deploy(cloud, "exports.handler = async () => 1;", Runtime="nodejs20.x",
                  handler="index.handler")
    lam = cloud.client("lambda", config=NO_RETRY)
    code, message, status = client_error(lam.invoke, FunctionName=name, Payload=b"{}")
    assert (code, status) == ("InvalidRuntimeException", 502)
    assert "nodejs20.x" in message
    health = cloud.health()
    assert "matching interpreter" in health["lambda"]["python_runtimes"]


def test_published_versions_run_in_their_own_environments(cloud):
    lam = cloud.client("lambda")
    name = deploy(cloud, """
        import os
        def handler(event, context):
            return os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
    """)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    by_version = invoke(cloud, name, Qualifier=version)
    by_alias = invoke(cloud, name, Qualifier="live")
    latest = invoke(cloud, name)
    assert (by_version["body"], by_version["ExecutedVersion"]) == (version, version)
    assert (by_alias["body"], by_alias["ExecutedVersion"]) == (version, version)
    assert (latest["body"], latest["ExecutedVersion"]) == ("$LATEST", "$LATEST")
    streams = {e["logStreamName"] for e in log_events(cloud, name, "REPORT")}
    assert any(f"/[{version}]" in s for s in streams) and any("/[$LATEST]" in s for s in streams)
    assert [r["cold"] for r in invocations(cloud, name)] == [True, False, True]


def test_client_context_reaches_the_handler(cloud):
    name = deploy(cloud, """
        def handler(event, context):
            return context.client_context.custom
    """)
    ctx = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    assert invoke(cloud, name, ClientContext=ctx)["body"] == {"k": "v"}


def test_environments_route_lists_live_environments_with_real_rss(cloud):
    name = deploy(cloud, ECHO)
    invoke(cloud, name)
    [env] = environments(cloud, name)
    assert env["state"] == "idle" and env["invocations"] == 1
    assert env["rss_kb"] > 1000 and env["peak_rss_kb"] >= env["rss_kb"]
