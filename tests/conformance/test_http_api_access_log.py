"""HTTP API access logs (API Gateway Developer Guide http-api-logging,
http-api-logging-variables): per request, in CloudWatch Logs when the stage asks, and as a
DataFrame through lab.observe.access_log."""

from __future__ import annotations

import json

from lab.observe.access_log import ACCESS_LOG_FORMAT, COLUMNS, access_log
from tests.conformance.test_http_api_sqs import SqsApi


def test_access_log_written_to_the_stage_log_group(clean_cloud):
    logs = clean_cloud.client("logs")
    logs.create_log_group(logGroupName="/apigw/access")
    api = SqsApi(clean_cloud, access_log_settings={
        "DestinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:/apigw/access",
        "Format": ACCESS_LOG_FORMAT})
    api.integrate()
    status, headers, _ = api.post(b"logged")
    assert status == 200
    assert api.post(path="/nowhere")[0] == 404
    events = logs.filter_log_events(logGroupName="/apigw/access")["events"]
    lines = [json.loads(e["message"]) for e in events]
    assert [line["status"] for line in lines] == ["200", "404"]
    first = lines[0]
    assert first["requestId"] == headers["apigw-requestid"]
    assert first["routeKey"] == "POST /send/{item}"
    assert first["integrationStatus"] == "200"
    assert int(first["integrationLatency"]) <= int(first["responseLatency"])
    assert lines[1]["routeKey"] == "-"
    assert lines[1]["integrationStatus"] == "-"


def test_clf_style_format_substitutes_context_variables(clean_cloud):
    logs = clean_cloud.client("logs")
    logs.create_log_group(logGroupName="clf")
    api = SqsApi(clean_cloud, access_log_settings={
        "DestinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:clf",
        "Format": "$context.identity.sourceIp [$context.requestTime] "
                  "\"$context.httpMethod $context.routeKey $context.protocol\" "
                  "$context.status $context.responseLength $context.requestId"})
    api.integrate()
    _, headers, _ = api.post(b"x")
    line = logs.filter_log_events(logGroupName="clf")["events"][0]["message"]
    assert line.startswith("127.0.0.1 [")
    assert '"POST POST /send/{item} HTTP/1.1" 200 ' in line
    assert line.endswith(headers["apigw-requestid"])


def test_missing_log_group_loses_the_line_there_but_not_the_request(clean_cloud):
    api = SqsApi(clean_cloud, access_log_settings={
        "DestinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:absent",
        "Format": ACCESS_LOG_FORMAT})
    api.integrate()
    assert api.post(b"still sent")[0] == 200
    assert api.receive()["Body"] == "still sent"
    assert len(access_log(clean_cloud, api.api_id)) == 1


def test_access_log_dataframe_columns_and_values(clean_cloud):
    api = SqsApi(clean_cloud).integrate()
    ids = [api.post(b"m")[1]["apigw-requestid"] for _ in range(3)]
    api.post(path="/unrouted")
    frame = access_log(clean_cloud, api.api_id)
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) == 4
    assert list(frame["request_id"][:3]) == ids
    ok = frame[frame["status"] == 200]
    assert (ok["route_key"] == "POST /send/{item}").all()
    assert (ok["integration_status"] == 200).all()
    assert (ok["integration_latency_ms"] > 0).all()
    assert (ok["response_latency_ms"] >= ok["integration_latency_ms"]).all()
    assert (ok["overhead_ms"] >= 0).all()
    assert str(frame["request_time"].dt.tz) == "UTC"
    missed = frame[frame["status"] == 404].iloc[0]
    assert missed["route_key"] == "-"
    assert missed["integration_latency_ms"] != missed["integration_latency_ms"]  # NaN
    assert access_log(clean_cloud, "otherapi").empty
