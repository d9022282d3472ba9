"""The HTTP API data plane: `<endpoint>/_aws/execute-api/<apiId>[/<stage>]/<path>`.

One request: find the API (any region), pick the stage and route (routing.py), build the
request view and `$context`, run the integration (SQS-SendMessage or Lambda proxy), answer
with an `apigw-requestid` header as HTTP APIs do, and write the access log line.
Limits from the API Gateway quotas page: request payload 10 MB (413 otherwise),
integration timeout 30 s.
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from werkzeug.wrappers import Request, Response

from lab.offline.apigw import cors, lambda_proxy, sqs_integration
from lab.offline.apigw.access_log import AccessLog
from lab.offline.apigw.authorizers import Authorization
from lab.offline.apigw.mapping import RequestView
from lab.offline.apigw.routing import select_route, split_stage
from lab.offline.apigw.sqs_integration import IntegrationResult, gateway_error
from lab.offline.apigw.throttling import Throttler

PREFIX = "/_aws/execute-api/"
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # "Maximum payload size 10 MB" (HTTP API quotas)


@dataclass
class GatewayRequest(RequestView):
    """RequestView plus what the Lambda event needs."""

    header_case: dict[str, str] = field(default_factory=dict)
    raw_query: str = ""
    content_type: str | None = None
    authorizer: dict = field(default_factory=dict)  # payload version -> what authorized


def new_request_id() -> str:
    """An id shaped like API Gateway's (`JHq3fiFEIAMEVdA=`)."""
    return base64.b64encode(os.urandom(10)).decode()


def find_api(account: str, api_id: str):
    """(api, region) for an HTTP API id in any region of the account, or (None, None)."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    for region, backend in list(apigatewayv2_backends[account].items()):
        api = backend.apis.get(api_id)
        if api is not None:
            return api, region
    return None, None


class Gateway:
    def __init__(self, app):
        self.app = app
        self.access_log = AccessLog(app.context.account_id)
        self.authorization = Authorization(app)  # authorizers.py
        self.throttler = Throttler()  # throttling.py

    def reset(self) -> None:
        self.access_log.reset()
        self.authorization.reset()
        self.throttler.reset()

    def matches(self, request: Request) -> bool:
        return request.path.startswith(PREFIX)

    def handle(self, request: Request) -> Response:
        seen: dict = {}
        response = self._handle(request, seen)
        if seen.get("cors") and not seen.get("preflight"):  # cors.py: the API's CorsConfiguration, on every response
            response = cors.decorate(seen["cors"], request, response)
        return response

    def _handle(self, request: Request, seen: dict) -> Response:
        started = time.perf_counter()
        now = datetime.now(UTC)
        request_id = new_request_id()
        api_id, _, rest = request.path[len(PREFIX):].partition("/")
        api, region = find_api(self.app.context.account_id, api_id)
        if api is None or api.protocol_type != "HTTP":
            return self._finish(gateway_error(404, "Not Found"), request_id, None)
        if api.disable_execute_api_endpoint:
            return self._finish(gateway_error(403, "Forbidden"), request_id, None)
        stage_name, path = split_stage(api, "/" + rest)
        if stage_name is None:  # no such stage and no $default stage: no access log either
            return self._finish(gateway_error(404, "Not Found"), request_id, None)
        stage = api.stages[stage_name]
        seen["cors"] = api.cors_configuration
        raw_path = path if stage_name == "$default" else f"/{stage_name}{path}"
        context = {
            "requestId": request_id,
            "extendedRequestId": request_id,
            "accountId": self.app.context.account_id,
            "apiId": api.api_id,
            "stage": stage_name,
            "httpMethod": request.method,
            "path": raw_path,
            "rawPath": raw_path,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "domainName": f"{api.api_id}.execute-api.{region}.amazonaws.com",
            "domainPrefix": api.api_id,
            "identity.sourceIp": request.remote_addr,
            "identity.userAgent": request.headers.get("User-Agent"),
            "routeKey": "-",
        }
        if cors.is_preflight(api.cors_configuration, request):
            seen["preflight"] = True
            return self._finish(cors.preflight(api.cors_configuration, request), request_id,
                                context, started, stage, region)
        length = request.content_length
        if length is not None and length > MAX_PAYLOAD_BYTES:
            return self._finish(gateway_error(413, "Request Entity Too Large"), request_id,
                                context, started, stage, region)
        body = request.stream.read(MAX_PAYLOAD_BYTES + 1) if length is None else \
            request.get_data()
        if len(body) > MAX_PAYLOAD_BYTES:
            return self._finish(gateway_error(413, "Request Entity Too Large"), request_id,
                                context, started, stage, region)
        match = select_route(list(api.routes.values()), request.method, path)
        if match is None:
            return self._finish(gateway_error(404, "Not Found"), request_id, context, started,
                                stage, region)
        context["routeKey"] = match.key.key
        if not self.throttler.admit(self.app.context.account_id, region, api.api_id, stage,
                                    match.key.key):
            context["error.responseType"] = "THROTTLED"
            return self._finish(gateway_error(429, "Too Many Requests"), request_id, context,
                                started, stage, region)
        view = self._view(request, body, match.path_parameters, stage, context)
        auth = self.authorization.check(api, match.route, view, request, region)
        if not auth.allowed:
            return self._finish(gateway_error(auth.status, auth.message), request_id, context,
                                started, stage, region)
        view.authorizer = auth.event
        result = self._integrate(api, match.route, view, region)
        context["integrationStatus"] = result.integration_status
        context["integration.status"] = result.integration_status
        if result.integration_latency_ms is not None:
            context["lab.integrationLatencyMs"] = result.integration_latency_ms
            context["integrationLatency"] = round(result.integration_latency_ms)
            context["integration.latency"] = context["integrationLatency"]
        context["integrationErrorMessage"] = result.error_message
        context["integration.error"] = result.error_message
        context["awsEndpointRequestId"] = result.aws_request_id
        context["integration.requestId"] = result.aws_request_id
        context["dataProcessed"] = len(body)
        return self._finish(result.response, request_id, context, started, stage, region)

    def _view(self, request: Request, body: bytes, path_parameters: dict, stage,
              context: dict) -> GatewayRequest:
        headers: dict[str, list[str]] = {}
        case: dict[str, str] = {}
        for name, value in request.headers.items():
            headers.setdefault(name.lower(), []).append(value)
            case.setdefault(name.lower(), name)
        raw_query = request.environ.get("QUERY_STRING", "")
        query: dict[str, list[str]] = {}
        for name, value in parse_qsl(raw_query, keep_blank_values=True):
            query.setdefault(name, []).append(value)
        return GatewayRequest(
            headers=headers, query=query, path_parameters=path_parameters, body=body,
            context=context, stage_variables=dict(stage.stage_variables or {}),
            header_case=case, raw_query=raw_query, content_type=request.content_type)

    def _integrate(self, api, route, view: GatewayRequest, region: str) -> IntegrationResult:
        target = route.target or ""
        integration = api.integrations.get(target.split("/", 1)[-1]) if target else None
        if integration is None:
            return IntegrationResult(gateway_error(500, "Internal Server Error"),
                                     error_message=f"route {route.route_key} has no "
                                     f"integration (target {target or 'none'})")
        subtype = integration.integration_subtype
        if integration.integration_type == "AWS_PROXY" and subtype == sqs_integration.SUBTYPE:
            return sqs_integration.send(self.app, integration, view, region)
        if integration.integration_type == "AWS_PROXY" and not subtype:
            return lambda_proxy.invoke(self.app, integration, view, region)
        kind = f"{integration.integration_type}{' ' + subtype if subtype else ''}"
        return IntegrationResult(gateway_error(500, "Internal Server Error"),
                                 error_message=f"the lab does not emulate {kind} integrations")

    def _finish(self, response: Response, request_id: str, context: dict | None,
                started: float | None = None, stage=None, region: str | None = None):
        response.headers["apigw-requestid"] = request_id
        if context is not None and started is not None:
            context["status"] = response.status_code
            context["responseLength"] = response.calculate_content_length()
            context["lab.responseLatencyMs"] = (time.perf_counter() - started) * 1000
            context["responseLatency"] = round(context["lab.responseLatencyMs"])
            if response.status_code >= 400 and "integrationStatus" not in context:
                context["error.message"] = _message_of(response)
            self.access_log.write(context, stage, region)
        return response


def _message_of(response: Response) -> str | None:
    import json

    try:
        return json.loads(response.get_data()).get("message")
    except (ValueError, AttributeError):
        return None
