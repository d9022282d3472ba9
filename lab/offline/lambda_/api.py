"""Offline Lambda's HTTP routes: parse the request, call LambdaService, shape the answer.

- `POST /2015-03-31/functions/{name}/invocations` (boto3 `invoke`);
- `POST /2014-11-13/functions/{name}/invoke-async/` (the old InvokeAsync);
- `GET /_lab/lambda/invocations?function=NAME`, `GET /_lab/lambda/environments`,
  `GET|POST /_lab/lambda/config`.
Invoke's headers: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from werkzeug.wrappers import Request, Response

from lab.offline.errors import LabAwsError, json_response
from lab.offline.lambda_.exceptions import InvalidRequestContent, RequestTooLarge
from lab.offline.lambda_.limits import ASYNC_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT
from lab.offline.lambda_.service import LambdaService
from lab.offline.requests import read_bounded, request_region

INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
INVOKE_ASYNC = re.compile(r"^/2014-11-13/functions/(?P<name>[^/]+)/invoke-async/?$")
# Any other path ending in /invocations (e.g. an encoded "../..") names no function.
INVOKE_ANY = re.compile(r"^/2015-03-31/functions/.*/invocations/?$")
# Invoke's FunctionName pattern (API_Invoke.html).
FUNCTION_NAME = re.compile(r"^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?"
                           r"(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$")


def function_name(name: str) -> str:
    """`name` if it satisfies Invoke's FunctionName constraint, else ValidationException."""
    if not FUNCTION_NAME.match(name) or len(name) > 170 or name.strip(".") == "":
        raise LabAwsError("ValidationException",
                          f"1 validation error detected: Value '{name}' at 'functionName' "
                          "failed to satisfy constraint: Member must satisfy regular "
                          f"expression pattern: {FUNCTION_NAME.pattern[1:-1]}")
    return name


def payload(request: Request, limit: int) -> bytes:
    """The body, read bounded: RequestTooLargeException (413) past `limit`."""
    data = read_bounded(request, limit)
    if data is None:
        raise RequestTooLarge(limit)
    return data


def client_context(request: Request) -> str | None:
    """X-Amz-Client-Context decoded (Base64 of a JSON object), or None."""
    raw = request.headers.get("X-Amz-Client-Context")
    if not raw:
        return None
    try:
        return base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidRequestContent(
            "Client context must be a valid Base64-encoded JSON object.") from None


class LambdaApi:
    """The route handlers, each over one LambdaService."""

    def __init__(self, service: LambdaService, default_region: str):
        self.service = service
        self.default_region = default_region

    def routes(self) -> list[tuple]:
        """(name, matches, handle) for `app.add_route`."""
        return [
            ("lambda-invoke", lambda r: r.method == "POST" and bool(INVOKE_ANY.match(r.path)),
             self.invoke),
            ("lambda-invoke-async",
             lambda r: r.method == "POST" and bool(INVOKE_ASYNC.match(r.path)),
             self.invoke_async),
            ("lambda-invocations",
             lambda r: r.method == "GET" and r.path == "/_lab/lambda/invocations",
             self.invocations),
            ("lambda-environments",
             lambda r: r.method == "GET" and r.path == "/_lab/lambda/environments",
             self.environments),
            ("lambda-config", lambda r: r.path == "/_lab/lambda/config", self.config),
        ]

    def invoke(self, request: Request) -> Response:
        match = INVOKE.match(request.path)
        name = function_name(match.group("name") if match else
                             request.path.split("/functions/", 1)[1].rsplit("/invocations", 1)[0])
        invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        result = self.service.invoke(
            function=name, payload=payload(request, ASYNC_PAYLOAD_LIMIT
                                           if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT),
            qualifier=request.args.get("Qualifier"),
            invocation_type=invocation_type,
            log_type=request.headers.get("X-Amz-Log-Type"),
            client_context=client_context(request),
            region=request_region(request, self.default_region))
        headers = {"x-amzn-RequestId": result.request_id}
        if result.status != 202:  # an Event invoke's 202 names no version (as on AWS)
            headers["X-Amz-Executed-Version"] = result.executed_version or "$LATEST"
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if result.log_tail is not None:
            headers["X-Amz-Log-Result"] = result.log_tail
        return Response(result.payload if result.status == 200 else b"",
                        status=result.status, headers=headers,
                        content_type="application/json")

    def invoke_async(self, request: Request) -> Response:
        result = self.service.invoke(
            function=function_name(INVOKE_ASYNC.match(request.path).group("name")),
            payload=payload(request, ASYNC_PAYLOAD_LIMIT), invocation_type="Event",
            region=request_region(request, self.default_region))
        return json_response({"Status": 202}, status=202,
                             headers={"x-amzn-RequestId": result.request_id})

    def invocations(self, request: Request) -> Response:
        return json_response({"invocations": self.service.invocations(
            request.args.get("function"))})

    def environments(self, request: Request) -> Response:
        service = self.service
        return json_response({"environments": service.environments(),
                              "retired": service.retired(),
                              "snapshots": service.snapstart.describe(),
                              "async_pending": service.async_invoker.pending(),
                              "async_finished": service.async_invoker.finished_events()})

    def config(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                values = json.loads(payload(request, 64 * 1024) or b"{}")
            except ValueError:
                raise InvalidRequestContent("body must be JSON") from None
            if not isinstance(values, dict):
                raise InvalidRequestContent("body must be a JSON object")
            self.service.settings.update(values)
        return json_response(vars(self.service.settings))
