"""Lambda (REQUEST) authorizers of HTTP APIs: the event, the two response shapes, caching.

Source: API Gateway Developer Guide http-api-lambda-authorizer.
- Payload format 2.0 event: `version "2.0", type "REQUEST", routeArn, identitySource
  [values], routeKey, rawPath, rawQueryString, cookies, headers, queryStringParameters,
  requestContext, pathParameters, stageVariables`. 1.0: `version "1.0", type "REQUEST",
  methodArn, identitySource (comma-joined), authorizationToken, resource, path,
  httpMethod, headers, multiValueHeaders, queryStringParameters, requestContext, ...`.
- Responses: simple (2.0 with EnableSimpleResponses) `{"isAuthorized": bool,
  "context": {...}}`; otherwise an IAM policy `{"principalId", "policyDocument":
  {"Statement": [{"Action": "execute-api:Invoke", "Effect", "Resource"}]}, "context"}`.
  Denied -> 403 `{"message":"Forbidden"}`; a function error, timeout or a response of
  neither shape -> 500 `{"message":"Internal Server Error"}`.
- Identity sources: when a request lacks any of them, API Gateway answers 401
  `{"message":"Unauthorized"}` without invoking the function.
- Caching: with AuthorizerResultTtlInSeconds > 0 (max 3,600) the result is cached per
  authorizer and identity source values (the policy is evaluated against each request's
  route ARN). Timeout of the authorizer function: 10 s (a model of the quota page's limit).
- The context reaches the integration as `requestContext.authorizer.lambda` (2.0) or
  `requestContext.authorizer` (1.0, with `principalId`).
"""

from __future__ import annotations

import fnmatch
import json
import threading
import time
from dataclasses import dataclass

from lab.offline.apigw.lambda_proxy import build_event, function_name
from lab.offline.apigw.mapping import evaluate
from lab.offline.errors import LabAwsError

AUTHORIZER_TIMEOUT_S = 10
MAX_TTL_S = 3600


@dataclass
class LambdaResult:
    status: int  # 200 allowed, 401, 403, 500
    error: str | None = None
    context: dict | None = None
    principal_id: str | None = None
    invoked: bool = False
    cached: bool = False
    integration_status: int | None = None
    integration_latency_ms: float | None = None
    request_id: str | None = None


def identity_values(sources: list[str], view) -> list[str] | None:
    """The identity source values in order, or None if any is missing."""
    values = []
    for expression in sources:
        value = evaluate(expression, view)
        if value in (None, ""):
            return None
        values.append(value)
    return values


def route_arn(ctx: dict, region: str) -> str:
    """arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD><path>"""
    key = ctx["routeKey"]
    method, path = (key.split(" ", 1) if " " in key else ("$default", ""))
    return (f"arn:aws:execute-api:{region}:{ctx['accountId']}:{ctx['apiId']}/"
            f"{ctx['stage']}/{method}{path}")


def build_authorizer_event(version: str, view, sources: list[str], values: list[str],
                           arn: str) -> dict:
    event = build_event(version, view)
    if version == "2.0":
        out = {"version": "2.0", "type": "REQUEST", "routeArn": arn,
               "identitySource": values}
        for name in ("routeKey", "rawPath", "rawQueryString", "cookies", "headers",
                     "queryStringParameters", "requestContext", "pathParameters",
                     "stageVariables"):
            if name in event:
                out[name] = event[name]
        return out
    token = None
    for expression, value in zip(sources, values, strict=False):
        if expression.lower() == "$request.header.authorization":
            token = value
    out = {"version": "1.0", "type": "REQUEST", "methodArn": arn,
           "identitySource": ",".join(values), "authorizationToken": token}
    for name in ("resource", "path", "httpMethod", "headers", "multiValueHeaders",
                 "queryStringParameters", "multiValueQueryStringParameters",
                 "requestContext", "pathParameters", "stageVariables"):
        out[name] = event.get(name)
    return out


def _policy_allows(policy: dict, arn: str) -> bool:
    """Deny wins; otherwise an Allow of execute-api:Invoke on a matching resource."""
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for st in statements:
        actions = st.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        if not any(fnmatch.fnmatchcase("execute-api:Invoke", a) for a in actions):
            continue
        resources = st.get("Resource") or []
        resources = [resources] if isinstance(resources, str) else resources
        if not any(fnmatch.fnmatchcase(arn, r) for r in resources):
            continue
        if st.get("Effect") == "Deny":
            return False
        if st.get("Effect") == "Allow":
            allowed = True
    return allowed


def decide(response: object, simple: bool, arn: str) -> tuple[int, str | None, dict | None,
                                                                 str | None]:
    """(status, error, context, principalId) for an authorizer function's response."""
    if not isinstance(response, dict):
        return 500, "authorizer response is not a JSON object", None, None
    context = response.get("context")
    if context is not None and not isinstance(context, dict):
        return 500, "authorizer context is not an object", None, None
    if simple and "isAuthorized" in response:
        if response["isAuthorized"] is True:
            return 200, None, context, None
        return 403, "isAuthorized is false", context, None
    policy = response.get("policyDocument")
    if not isinstance(policy, dict) or "principalId" not in response:
        return 500, "authorizer response has neither isAuthorized nor a policy", None, None
    principal = str(response["principalId"])
    if _policy_allows(policy, arn):
        return 200, None, context, principal
    return 403, "the policy does not allow execute-api:Invoke on the route", context, \
        principal


class LambdaAuthorizers:
    """Invokes authorizer functions and caches their responses."""

    def __init__(self, app):
        self.app = app
        self._cache: dict[tuple, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._cache.clear()

    def authorize(self, authorizer, view, region: str) -> LambdaResult:
        sources = list(authorizer.identity_source or [])
        values = identity_values(sources, view) if sources else []
        if values is None:
            return LambdaResult(401, "the request lacks an identity source")
        version = authorizer.auth_payload_format_version or "2.0"
        simple = bool(authorizer.enable_simple_response) and version == "2.0"
        arn = route_arn(view.context, region)
        ttl = min(int(authorizer.auth_result_ttl or 0), MAX_TTL_S)
        key = (authorizer.id, tuple(values))
        if ttl > 0 and sources:
            with self._lock:
                hit = self._cache.get(key)
            if hit and hit[0] > time.monotonic():
                status, error, context, principal = decide(hit[1], simple, arn)
                return LambdaResult(status, error, context, principal, cached=True)
        event = build_authorizer_event(version, view, sources, values, arn)
        result = self._invoke(authorizer, event, region)
        if result.status != 200 or result.error:
            return result
        response = result.context  # the parsed response, carried in `context` until decided
        status, error, context, principal = decide(response, simple, arn)
        if status != 500 and ttl > 0 and sources:
            with self._lock:
                self._cache[key] = (time.monotonic() + ttl, response)
        return LambdaResult(status, error, context, principal, invoked=True,
                            integration_status=result.integration_status,
                            integration_latency_ms=result.integration_latency_ms,
                            request_id=result.request_id)

    def _invoke(self, authorizer, event: dict, region: str) -> LambdaResult:
        service = self.app.services.get("lambda")
        if service is None:
            return LambdaResult(500, "no Lambda service in this lab serve")
        outcome: dict = {}

        def call() -> None:
            try:
                outcome["result"] = service.invoke(
                    function=function_name(authorizer.authorizer_uri or ""),
                    payload=json.dumps(event).encode(), invocation_type="RequestResponse",
                    region=region)
            except (LabAwsError, Exception) as exc:  # any failure is the authorizer's 500
                outcome["error"] = exc

        started = time.perf_counter()
        worker = threading.Thread(target=call, name="apigw-authorizer-invoke", daemon=True)
        worker.start()
        worker.join(AUTHORIZER_TIMEOUT_S)
        latency = (time.perf_counter() - started) * 1000
        if worker.is_alive():
            return LambdaResult(500, f"authorizer timed out after {AUTHORIZER_TIMEOUT_S} s",
                                invoked=True, integration_latency_ms=latency)
        if "error" in outcome:
            exc = outcome["error"]
            return LambdaResult(500, f"authorizer invoke failed: {exc}", invoked=True,
                                integration_status=getattr(exc, "status", None),
                                integration_latency_ms=latency)
        result = outcome["result"]
        base = {"invoked": True, "integration_status": result.status,
                "integration_latency_ms": latency, "request_id": result.request_id}
        if result.function_error:
            return LambdaResult(500, f"authorizer function error {result.error_type or ''}"
                                .strip(), **base)
        try:
            response = json.loads(result.payload or b"null")
        except ValueError:
            return LambdaResult(500, "authorizer response is not JSON", **base)
        return LambdaResult(200, None, response, **base)
