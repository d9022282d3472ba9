"""`AWS_PROXY` to Lambda: build the payload format 2.0 / 1.0 event, invoke through the
offline Lambda service (`app.services["lambda"]`), map the result to the HTTP response.

Source: API Gateway Developer Guide http-api-develop-integrations-lambda.
- 2.0: no multiValue* fields; repeated headers / query values joined with commas; cookies
  in `cookies`; empty `cookies`, `queryStringParameters`, `pathParameters`,
  `stageVariables` and `body` are left out. Response: JSON without `statusCode` is
  inferred as 200, `content-type: application/json`, body = the function's output;
  otherwise `{statusCode, headers, body, isBase64Encoded, cookies}` (each cookie a
  `set-cookie` header).
- 1.0: `headers`/`multiValueHeaders`, `queryStringParameters`/
  `multiValueQueryStringParameters` (null when empty), `requestContext.identity`. The
  response must carry `statusCode`.
- A function error or a malformed response -> 500 `{"message":"Internal Server Error"}`;
  no answer within the integration timeout (<= 30 s) -> 503 `{"message":"Service
  Unavailable"}`.
"""

from __future__ import annotations

import base64
import json
import threading
import time

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response

from lab.offline.apigw.sqs_integration import IntegrationResult, gateway_error
from lab.offline.errors import LabAwsError

MAX_INTEGRATION_TIMEOUT_MS = 30_000
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
              "application/x-www-form-urlencoded", "+json", "+xml")


def function_name(integration_uri: str) -> str:
    """The function ARN/name in an IntegrationUri (plain ARN or the apigateway invoke ARN)."""
    if ":apigateway:" in integration_uri and "/functions/" in integration_uri:
        return integration_uri.split("/functions/", 1)[1].rsplit("/invocations", 1)[0]
    return integration_uri


def _body_fields(body: bytes, content_type: str | None) -> tuple[str | None, bool]:
    if not body:
        return None, False
    textual = content_type is None or any(t in content_type.lower() for t in TEXT_TYPES)
    if textual:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode(), True


def build_event(version: str, req) -> dict:
    """The event for payload format `version` ("2.0" or "1.0"); `req` is a GatewayRequest."""
    body, is_b64 = _body_fields(req.body, req.content_type)
    ctx = req.context
    if version == "2.0":
        headers = {k: ",".join(v) for k, v in req.headers.items() if k != "cookie"}
        cookies = [c.strip() for v in req.headers.get("cookie", []) for c in v.split(";")
                   if c.strip()]
        event: dict = {
            "version": "2.0",
            "routeKey": ctx["routeKey"],
            "rawPath": ctx["rawPath"],
            "rawQueryString": req.raw_query,
        }
        if cookies:
            event["cookies"] = cookies
        event["headers"] = headers
        if req.query:
            event["queryStringParameters"] = {k: ",".join(v) for k, v in req.query.items()}
        event["requestContext"] = {
            "accountId": ctx["accountId"],
            "apiId": ctx["apiId"],
            "domainName": ctx["domainName"],
            "domainPrefix": ctx["domainPrefix"],
            "http": {
                "method": ctx["httpMethod"],
                "path": ctx["rawPath"],
                "protocol": ctx["protocol"],
                "sourceIp": ctx["identity.sourceIp"],
                "userAgent": ctx["identity.userAgent"],
            },
            "requestId": ctx["requestId"],
            "routeKey": ctx["routeKey"],
            "stage": ctx["stage"],
            "time": ctx["requestTime"],
            "timeEpoch": ctx["requestTimeEpoch"],
        }
        if getattr(req, "authorizer", None):  # authorizers.py: JWT claims, Lambda context
            event["requestContext"]["authorizer"] = req.authorizer["2.0"]
        if body is not None:
            event["body"] = body
        if req.path_parameters:
            event["pathParameters"] = dict(req.path_parameters)
        event["isBase64Encoded"] = is_b64
        if req.stage_variables:
            event["stageVariables"] = dict(req.stage_variables)
        return event
    # payload format 1.0
    single = {req.header_case.get(k, k): v[-1] for k, v in req.headers.items()}
    multi = {req.header_case.get(k, k): list(v) for k, v in req.headers.items()}
    resource = ctx["routeKey"].split(" ", 1)[1] if " " in ctx["routeKey"] else ctx["routeKey"]
    return {
        "version": "1.0",
        "resource": resource,
        "path": ctx["rawPath"],
        "httpMethod": ctx["httpMethod"],
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": {k: v[-1] for k, v in req.query.items()} or None,
        "multiValueQueryStringParameters": {k: list(v) for k, v in req.query.items()} or None,
        "requestContext": {
            "accountId": ctx["accountId"],
            "apiId": ctx["apiId"],
            "domainName": ctx["domainName"],
            "domainPrefix": ctx["domainPrefix"],
            "extendedRequestId": ctx["extendedRequestId"],
            "httpMethod": ctx["httpMethod"],
            "identity": {
                "accessKey": None, "accountId": None, "caller": None,
                "cognitoAuthenticationProvider": None, "cognitoAuthenticationType": None,
                "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                "principalOrgId": None, "sourceIp": ctx["identity.sourceIp"], "user": None,
                "userAgent": ctx["identity.userAgent"], "userArn": None,
            },
            "path": ctx["rawPath"],
            "protocol": ctx["protocol"],
            "requestId": ctx["requestId"],
            "requestTime": ctx["requestTime"],
            "requestTimeEpoch": ctx["requestTimeEpoch"],
            "resourceId": ctx["routeKey"],
            "resourcePath": resource,
            "stage": ctx["stage"],
            **({"authorizer": req.authorizer["1.0"]} if getattr(req, "authorizer", None)
               else {}),
        },
        "pathParameters": dict(req.path_parameters) or None,
        "stageVariables": dict(req.stage_variables) or None,
        "body": body,
        "isBase64Encoded": is_b64,
    }


def map_response(version: str, payload: bytes) -> Response | None:
    """The client response for a function's output, or None if API Gateway rejects it."""
    try:
        result = json.loads(payload) if payload else None
    except ValueError:
        return None
    if version == "2.0" and not (isinstance(result, dict) and "statusCode" in result):
        body = result if isinstance(result, str) else payload.decode("utf-8")
        return Response(body, status=200, content_type="application/json")
    if not isinstance(result, dict) or "statusCode" not in result:
        return None
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        return None
    headers = Headers()
    for name, value in (result.get("headers") or {}).items():
        headers.add(name, str(value))
    if version == "1.0":
        for name, values in (result.get("multiValueHeaders") or {}).items():
            if name in headers:
                headers.remove(name)
            for value in values or []:
                headers.add(name, str(value))
    else:
        for cookie in result.get("cookies") or []:
            headers.add("set-cookie", str(cookie))
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body)
        except (ValueError, TypeError):
            return None
    else:
        data = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode()
    response = Response(data, status=status, headers=headers)
    if "content-type" not in {k.lower() for k in headers.keys()}:
        del response.headers["Content-Type"]
    return response


def invoke(app, integration, req, region: str) -> IntegrationResult:
    """Run one Lambda proxy integration for `req` (a GatewayRequest)."""
    version = integration.payload_format_version or "2.0"
    service = app.services.get("lambda")
    if service is None:
        return IntegrationResult(gateway_error(500, "Internal Server Error"),
                                 error_message="no Lambda service in this lab serve")
    event = json.dumps(build_event(version, req)).encode()
    timeout_ms = min(integration.timeout_in_millis or MAX_INTEGRATION_TIMEOUT_MS,
                     MAX_INTEGRATION_TIMEOUT_MS)
    outcome: dict = {}

    def call() -> None:
        try:
            outcome["result"] = service.invoke(
                function=function_name(integration.integration_uri), payload=event,
                invocation_type="RequestResponse", region=region)
        except LabAwsError as exc:
            outcome["error"] = exc
        except Exception as exc:  # reported as the integration error, never lost
            outcome["error"] = exc

    started = time.perf_counter()
    worker = threading.Thread(target=call, name="apigw-lambda-invoke", daemon=True)
    worker.start()
    worker.join(timeout_ms / 1000)
    latency = (time.perf_counter() - started) * 1000
    if worker.is_alive():
        return IntegrationResult(gateway_error(503, "Service Unavailable"), None, latency,
                                 f"integration timed out after {timeout_ms} ms")
    if "error" in outcome:
        exc = outcome["error"]
        status = getattr(exc, "status", None)
        return IntegrationResult(gateway_error(500, "Internal Server Error"), status, latency,
                                 f"Lambda invoke failed: {exc}")
    result = outcome["result"]
    if result.function_error:
        return IntegrationResult(gateway_error(500, "Internal Server Error"), result.status,
                                 latency, f"function error {result.error_type or ''}".strip(),
                                 result.request_id)
    response = map_response(version, result.payload or b"")
    if response is None:
        return IntegrationResult(gateway_error(500, "Internal Server Error"), result.status,
                                 latency, "malformed Lambda proxy response", result.request_id)
    return IntegrationResult(response, result.status, latency, None, result.request_id)
