"""An HTTP API's access log as a table, on either target.

Offline, `lab serve` keeps every request's access log record in memory. On AWS the access
log is read from the stage's CloudWatch Logs group, which must use `ACCESS_LOG_FORMAT`
(JSON lines with the fields below).
"""

from __future__ import annotations

import json

import pandas as pd

# A stage's AccessLogSettings.Format that access_log() can read back on AWS (and offline).
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId",
    "apiId": "$context.apiId",
    "stage": "$context.stage",
    "routeKey": "$context.routeKey",
    "httpMethod": "$context.httpMethod",
    "path": "$context.path",
    "status": "$context.status",
    "integrationStatus": "$context.integrationStatus",
    "integrationLatency": "$context.integrationLatency",
    "responseLatency": "$context.responseLatency",
    "requestTimeEpoch": "$context.requestTimeEpoch",
    "responseLength": "$context.responseLength",
    "integrationErrorMessage": "$context.integrationErrorMessage",
}, separators=(",", ":"))

# Columns of access_log(), with units.
COLUMNS = {
    "request_id": "API Gateway's request id ($context.requestId)",
    "api_id": "the API",
    "stage": "the stage that served the request",
    "route_key": "the route that matched ('-' when none did)",
    "method": "HTTP method",
    "path": "request path, with the stage for named stages",
    "status": "HTTP status returned to the client",
    "integration_status": "status the integration returned (SQS, or Lambda's Invoke status)",
    "integration_latency_ms": "time spent in the integration, milliseconds",
    "response_latency_ms": "time from request received to response sent, milliseconds",
    "overhead_ms": "response_latency_ms - integration_latency_ms: API Gateway's own time",
    "request_time": "when the request arrived (UTC)",
    "response_length_bytes": "response body size, bytes",
    "integration_error": "the integration's error message, if any",
}


def _num(value) -> float | None:
    if value in (None, "", "-"):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def access_log_frame(records: list[dict]) -> pd.DataFrame:
    rows = []
    for r in records:
        integration = r.get("integrationLatencyMs")
        if integration is None:
            integration = _num(r.get("integrationLatency"))
        response = r.get("responseLatencyMs")
        if response is None:
            response = _num(r.get("responseLatency"))
        epoch = _num(r.get("requestTimeEpoch"))
        rows.append({
            "request_id": r.get("requestId"),
            "api_id": r.get("apiId"),
            "stage": r.get("stage"),
            "route_key": r.get("routeKey"),
            "method": r.get("httpMethod"),
            "path": r.get("path"),
            "status": _num(r.get("status")),
            "integration_status": _num(r.get("integrationStatus")),
            "integration_latency_ms": integration,
            "response_latency_ms": response,
            "overhead_ms": (response - integration) if None not in (response, integration)
            else None,
            "request_time": pd.to_datetime(epoch, unit="ms", utc=True) if epoch else pd.NaT,
            "response_length_bytes": _num(r.get("responseLength")),
            "integration_error": r.get("integrationErrorMessage") or None,
        })
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in ("status", "integration_status", "response_length_bytes"):
        frame[col] = frame[col].astype("Int64")
    for col in ("integration_latency_ms", "response_latency_ms", "overhead_ms"):
        frame[col] = frame[col].astype("float64")
    frame["request_time"] = pd.to_datetime(frame["request_time"], utc=True)
    return frame.sort_values("request_time", kind="stable").reset_index(drop=True)


def access_log(target, api_id: str) -> pd.DataFrame:
    """One row per request to `api_id` (columns and units: COLUMNS)."""
    if target.is_offline:
        return access_log_frame(target.lab.apigw_access_log(api_id))
    return access_log_frame(_aws_records(target, api_id))


def _aws_records(target, api_id: str) -> list[dict]:
    """Access log records from every stage's CloudWatch Logs group (JSON lines)."""
    apigw, logs = target.client("apigatewayv2"), target.client("logs")
    records = []
    for stage in apigw.get_stages(ApiId=api_id).get("Items", []):
        arn = (stage.get("AccessLogSettings") or {}).get("DestinationArn")
        if not arn:
            continue
        group = arn.split(":log-group:", 1)[1].removesuffix(":*")
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
            for event in page["events"]:
                try:
                    record = json.loads(event["message"])
                except ValueError:
                    continue  # a line in another format: not ours to read
                if record.get("apiId") in (api_id, None):
                    records.append(record)
    return records
