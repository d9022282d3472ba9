"""Offline Lambda for `lab serve`: Invoke runs handlers in real execution environments.

moto keeps the control plane (create_function, versions, aliases, concurrency, event
invoke configs); this extension answers the data plane on the same port:
- `POST /2015-03-31/functions/{name}/invocations` (boto3 `invoke`), and the old
  `POST /2014-11-13/functions/{name}/invoke-async/`;
- `GET /_lab/lambda/invocations?function=NAME`: one JSON record per invocation
  (request_id, environment_id, cold, init_breakdown_ms, start_ms/end_ms epoch ms,
  duration_ms, billed_duration_ms, max_memory_used_mb, ...);
- `GET /_lab/lambda/environments`: live execution environments (pid, state, RSS);
- `GET|POST /_lab/lambda/config`: keep_alive_s, init_timeout_s, async_retry_delays_s,
  account_concurrency (see service.Settings; a reset does not undo them).
Other extensions call `app.services["lambda"].invoke(...)` (docs/architecture.md).
Python runtimes run on the project's own interpreter; other runtimes are refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import platform
import re
import sys

from werkzeug.wrappers import Request, Response

from lab.offline.errors import LabAwsError, json_response
from lab.offline.lambda_.service import InvokeResult, LambdaService
from lab.offline.requests import request_region

__all__ = ["install", "InvokeResult", "LambdaService"]

_INVOKE = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
_INVOKE_ASYNC = re.compile(r"^/2014-11-13/functions/(?P<name>[^/]+)/invoke-async/?$")


def _client_context(request: Request) -> str | None:
    raw = request.headers.get("X-Amz-Client-Context")
    if not raw:
        return None
    try:
        return base64.b64decode(raw, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise LabAwsError("InvalidRequestContentException",
                          "Client context must be a valid Base64-encoded JSON object.") from None


def install(app) -> None:
    ctx = app.context
    service = LambdaService(ctx)
    app.services["lambda"] = service

    def invoke(request: Request) -> Response:
        match = _INVOKE.match(request.path)
        result = service.invoke(
            function=match.group("name"), payload=request.get_data(),
            qualifier=request.args.get("Qualifier"),
            invocation_type=request.headers.get("X-Amz-Invocation-Type", "RequestResponse"),
            log_type=request.headers.get("X-Amz-Log-Type"),
            client_context=_client_context(request),
            region=request_region(request, ctx.default_region))
        headers = {"x-amzn-RequestId": result.request_id,
                   "X-Amz-Executed-Version": result.executed_version or "$LATEST"}
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if result.log_tail is not None:
            headers["X-Amz-Log-Result"] = result.log_tail
        return Response(result.payload if result.status == 200 else b"",
                        status=result.status, headers=headers,
                        content_type="application/json")

    def invoke_async(request: Request) -> Response:
        match = _INVOKE_ASYNC.match(request.path)
        result = service.invoke(function=match.group("name"), payload=request.get_data(),
                                invocation_type="Event",
                                region=request_region(request, ctx.default_region))
        return json_response({"Status": 202}, status=202,
                             headers={"x-amzn-RequestId": result.request_id})

    def invocations(request: Request) -> Response:
        return json_response({"invocations": service.invocations(request.args.get("function"))})

    def environments(request: Request) -> Response:
        return json_response({"environments": service.environments(),
                              "retired": service.retired(),
                              "async_pending": service.async_invoker.pending(),
                              "async_finished": service.async_invoker.finished_events()})

    def config(request: Request) -> Response:
        if request.method == "POST":
            try:
                values = json.loads(request.get_data() or b"{}")
            except ValueError:
                raise LabAwsError("InvalidRequestContentException", "body must be JSON") \
                    from None
            service.settings.update(values)
        return json_response(vars(service.settings))

    app.add_route("lambda-invoke", lambda r: r.method == "POST" and bool(_INVOKE.match(r.path)),
                  invoke)
    app.add_route("lambda-invoke-async",
                  lambda r: r.method == "POST" and bool(_INVOKE_ASYNC.match(r.path)),
                  invoke_async)
    app.add_route("lambda-invocations",
                  lambda r: r.method == "GET" and r.path == "/_lab/lambda/invocations",
                  invocations)
    app.add_route("lambda-environments",
                  lambda r: r.method == "GET" and r.path == "/_lab/lambda/environments",
                  environments)
    app.add_route("lambda-config", lambda r: r.path == "/_lab/lambda/config", config)
    app.on_reset(service.reset)
    app.on_shutdown(service.shutdown)
    app.health_info["lambda"] = {
        "invoke": "real execution environments: python -m awslambdaric per environment",
        "python_runtimes": f"every python3.x Runtime runs on the project's interpreter, "
                          f"Python {platform.python_version()} ({sys.executable})",
        "other_runtimes": "refused with InvalidRuntimeException",
        "config": "/_lab/lambda/config",
    }
