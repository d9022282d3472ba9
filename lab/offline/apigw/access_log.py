"""Access log lines per request: kept in memory (GET /_lab/apigw/access-log?apiId=) and,
when the stage has AccessLogSettings, written to its CloudWatch Logs group as AWS does.

Source: API Gateway Developer Guide http-api-logging, http-api-logging-variables. The
line is the stage's `Format` with each `$context.<variable>` replaced by its value (`-`
when it has none). Delivery is best effort, as on AWS: a missing log group loses the line
there (it stays in the in-memory log). The stream name AWS uses is not documented; the lab
writes to `<apiId>_<stage>` (a model).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque

from lab.offline.lambda_ import logs as lambda_logs

log = logging.getLogger("lab.offline.apigw")

MAX_RECORDS_PER_API = 100_000
_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")

# The record fields (in-memory log, JSON) and the $context variables they hold.
FIELDS = {
    "requestId": "requestId",
    "apiId": "apiId",
    "stage": "stage",
    "routeKey": "routeKey",
    "httpMethod": "httpMethod",
    "path": "path",
    "protocol": "protocol",
    "sourceIp": "identity.sourceIp",
    "requestTime": "requestTime",
    "requestTimeEpoch": "requestTimeEpoch",
    "status": "status",
    "responseLength": "responseLength",
    "integrationStatus": "integrationStatus",
    "integrationLatency": "integrationLatency",
    "responseLatency": "responseLatency",
    "integrationErrorMessage": "integrationErrorMessage",
    "errorMessage": "error.message",
    "errorResponseType": "error.responseType",
    "authorizerStatus": "authorizer.status",
    "authorizerLatency": "authorizer.latency",
    "authorizerError": "authorizer.error",
    "authorizerRequestId": "authorizer.requestId",
    "authorizerIntegrationLatency": "authorizer.integrationLatency",
    "authorizerPrincipalId": "authorizer.principalId",
    # the lab's own, unrounded (AWS logs whole milliseconds): float milliseconds
    "integrationLatencyMs": "lab.integrationLatencyMs",
    "responseLatencyMs": "lab.responseLatencyMs",
    "authorizerLatencyMs": "lab.authorizerLatencyMs",
}


class AccessLog:
    """Every request's log record, per API (bounded), plus CloudWatch Logs delivery."""

    def __init__(self, account_id: str):
        self.account_id = account_id
        self._records: dict[str, deque] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._records.clear()

    def records(self, api_id: str | None = None) -> list[dict]:
        with self._lock:
            if api_id:
                return list(self._records.get(api_id, ()))
            return [r for recs in self._records.values() for r in recs]

    def write(self, context: dict, stage, region: str) -> None:
        record = {name: context.get(var) for name, var in FIELDS.items()}
        with self._lock:
            self._records.setdefault(
                record["apiId"], deque(maxlen=MAX_RECORDS_PER_API)).append(record)
        settings = getattr(stage, "access_log_settings", None) or {}
        destination = settings.get("destinationArn") or settings.get("DestinationArn")
        fmt = settings.get("format") or settings.get("Format")
        if destination and fmt:
            self._deliver(destination, format_line(fmt, context), context, region)

    def _deliver(self, destination_arn: str, line: str, context: dict, region: str) -> None:
        from moto.logs.models import logs_backends

        # arn:aws:logs:<region>:<account>:log-group:<name>[:*]
        parts = destination_arn.split(":")
        if len(parts) < 7 or parts[5] != "log-group":
            return  # not a log group: lost there, as on AWS
        group_region, account, group = parts[3] or region, parts[4] or self.account_id, parts[6]
        backend = logs_backends[account][group_region]
        stream = f"{context['apiId']}_{context['stage']}"
        event = {"timestamp": lambda_logs.now_ms(), "message": line}
        # Lambda's LogWriter would create a missing group; API Gateway never does, so this
        # writes directly, under the same lock (moto's log streams are not thread-safe).
        with lambda_logs.MOTO_LOGS_LOCK:
            try:
                backend.ensure_log_stream(group, stream)
                backend.put_log_events(group, stream, [event])
            except Exception as exc:  # noqa: BLE001 - any refusal: the line is lost there only
                log.warning("access log line for %s not written to %s: %s",
                            context.get("apiId"), group, exc)


def format_line(fmt: str, context: dict) -> str:
    """The stage's Format with `$context.<variable>` replaced (`-` for no value)."""
    def value(match: re.Match) -> str:
        name = match.group(1).rstrip(".")
        v = context.get(name)
        return "-" if v is None or v == "" else str(v)
    return _VARIABLE.sub(value, fmt)
