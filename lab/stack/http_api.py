"""An HTTP API from this machine: the URL a client calls, and a JSON POST to it.

Offline (and in a rehearsal of the aws target, whose `endpoint_url` is a `lab serve`),
`lab serve` answers at `<endpoint>/_aws/execute-api/<apiId>[/<stage>]`; on AWS the invoke
URL is `https://<apiId>.execute-api.<region>.amazonaws.com` (`/<stage>` for a named stage).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request


def invoke_url(target, api_id: str, stage: str = "$default") -> str:
    """The base URL a client calls for `api_id` (no trailing slash)."""
    suffix = "" if stage == "$default" else f"/{stage}"
    if target.is_offline or getattr(target, "rehearsal", False):
        return f"{target.endpoint_url}/_aws/execute-api/{api_id}{suffix}"
    return f"https://{api_id}.execute-api.{target.region}.amazonaws.com{suffix}"


def post_json(url: str, body: dict, timeout: float = 30.0) -> tuple[int, str | None, str]:
    """POST a JSON body to an API; (status, apigw-requestid, response text), errors included
    (an HTTP error status is a result to measure, not an exception)."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers.get("apigw-requestid"), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("apigw-requestid"), exc.read().decode()
