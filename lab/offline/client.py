"""The one client of `lab serve`'s own `/_lab/...` routes (no AWS equivalent; offline only).

Every caller outside the endpoint (targets, experiments, observers, tests) reads and
changes lab-only state through these typed methods, so a route's path and shape live in
one place on each side: the route in its service's folder, the call here.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request


class LabApiError(RuntimeError):
    """A `/_lab/` route answered an error (status and AWS-shaped body in the message)."""

    def __init__(self, status: int, body: str, path: str):
        super().__init__(f"{path}: HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


class LabClient:
    """Typed calls to the `/_lab/` routes of the `lab serve` at `endpoint_url`."""

    def __init__(self, endpoint_url: str, timeout: float = 30.0):
        self.endpoint_url = endpoint_url.rstrip("/")
        self.timeout = timeout

    def call(self, path: str, body: dict | None = None, *, timeout: float | None = None,
             **query) -> object:
        """GET `/_lab/<path>?query`, or POST `body` as JSON; the decoded JSON answer."""
        url = f"{self.endpoint_url}/_lab/{path.lstrip('/')}"
        query = {k: v for k, v in query.items() if v is not None}
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method="GET" if data is None else "POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as exc:
            raise LabApiError(exc.code, exc.read().decode("utf-8", "replace"), path) from None

    # -- the endpoint -------------------------------------------------------------------
    def health(self) -> dict:
        return self.call("health", timeout=5)

    def reset(self) -> None:
        """Forget every resource on the endpoint (moto state and the lab's own)."""
        self.call("reset", body={})

    # -- Lambda -------------------------------------------------------------------------
    def lambda_config(self, **values) -> dict:
        """Read (no arguments) or change the offline Lambda's settings."""
        return self.call("lambda/config", body=values or None)

    def lambda_invocations(self, function_name: str) -> list[dict]:
        """One record per invocation of `function_name` (INIT phases, outcome, timings)."""
        return self.call("lambda/invocations", function=function_name)["invocations"]

    def lambda_environments(self) -> dict:
        """Live execution environments and finished async invocations."""
        return self.call("lambda/environments")

    # -- event source mappings ----------------------------------------------------------
    def esm_stats(self, uuid: str, *, invocations: bool = True) -> dict:
        """A mapping's invocations and its scaling MODEL's poller samples."""
        return self.call("esm/stats", uuid=uuid, invocations="true" if invocations else "false")

    def esm_config(self, **values) -> dict:
        """Read (no arguments) or change the scaling model's clock (`time_scale`)."""
        return self.call("esm/config", body=values or None)

    # -- SQS and the HTTP API ------------------------------------------------------------
    def sqs_lifecycle(self, queue_url: str | None = None, message_id: str | None = None,
                      **query) -> list[dict]:
        """Every recorded event of the queue's messages (sent, received, deleted...)."""
        return self.call("sqs/lifecycle", queue=queue_url, message_id=message_id, **query)

    def apigw_access_log(self, api_id: str) -> list[dict]:
        """The HTTP API's access log records, as the endpoint keeps them in memory."""
        return self.call("apigw/access-log", apiId=api_id)["records"]
