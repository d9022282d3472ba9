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

from lab.offline.errors import json_response
from lab.offline.lambda_.exceptions import InvalidRequestContent
from lab.offline.lambda_.service import LambdaService
from lab.offline.requests import request_region

INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
INVOKE_ASYNC = re.compile(r"^/2014-11-13/functions/(?P<name>[^/]+)/invoke-async/?$")


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
            ("lambda-invoke", lambda r: r.method == "POST" and bool(INVOKE.match(r.path)),
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
        result = self.service.invoke(
            function=INVOKE.match(request.path).group("name"), payload=request.get_data(),
            qualifier=request.args.get("Qualifier"),
            invocation_type=request.headers.get("X-Amz-Invocation-Type", "RequestResponse"),
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
            function=INVOKE_ASYNC.match(request.path).group("name"),
            payload=request.get_data(), invocation_type="Event",
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
                values = json.loads(request.get_data() or b"{}")
            except ValueError:
                raise InvalidRequestContent("body must be JSON") from None
            self.service.settings.update(values)
        return json_response(vars(self.service.settings))
