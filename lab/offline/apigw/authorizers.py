"""Route authorization of HTTP APIs: NONE, JWT, CUSTOM (Lambda) and AWS_IAM.

Source: API Gateway Developer Guide http-api-access-control ("Controlling and managing
access to an HTTP API"). One call per request, after route selection and throttling:
`Authorization.check(api, route, view, request, region)` returns an `AuthOutcome`: either
allowed (with what the integration and `$context.authorizer.*` see) or the gateway's
answer (401 Unauthorized, 403 Forbidden, 500 Internal Server Error). Each type has its
module: jwt_authorizer.py, lambda_authorizer.py, sigv4.py.

`$context` variables set (access log, parameter mapping; API Gateway Developer Guide
http-api-logging-variables): `authorizer.status`, `authorizer.latency`,
`authorizer.error`, `authorizer.requestId`, `authorizer.integrationStatus`,
`authorizer.integrationLatency`, `authorizer.principalId`, `authorizer.claims.<name>`,
`authorizer.<context key>`, `error.responseType` (UNAUTHORIZED, ACCESS_DENIED,
AUTHORIZER_FAILURE, AUTHORIZER_CONFIGURATION_ERROR), and for IAM
`identity.accessKey`, `identity.caller`, `identity.userArn`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from werkzeug.wrappers import Request

from lab.offline.apigw import jwt_authorizer, sigv4
from lab.offline.apigw.lambda_authorizer import LambdaAuthorizers
from lab.offline.apigw.mapping import evaluate

DEFAULT_JWT_SOURCE = "$request.header.Authorization"
MESSAGES = {401: "Unauthorized", 403: "Forbidden", 500: "Internal Server Error"}


@dataclass
class AuthOutcome:
    status: int = 200  # 200 = allowed
    message: str | None = None  # the gateway's {"message": ...} when refused
    # what the integration sees: payload format -> requestContext.authorizer
    event: dict[str, dict] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return self.status == 200


class Authorization:
    def __init__(self, app):
        self.app = app
        self.keys = jwt_authorizer.KeyCache()
        self.lambdas = LambdaAuthorizers(app)

    def reset(self) -> None:
        self.keys.reset()
        self.lambdas.reset()

    def check(self, api, route, view, request: Request, region: str) -> AuthOutcome:
        kind = (route.authorization_type or "NONE").upper()
        if kind == "NONE":
            return AuthOutcome()
        ctx = view.context
        started = time.perf_counter()
        try:
            if kind == "AWS_IAM":
                return self._iam(view, request)
            authorizer = api.authorizers.get(route.authorizer_id or "")
            if authorizer is None:
                return self._refuse(ctx, 500, "AUTHORIZER_CONFIGURATION_ERROR",
                                    f"route has no authorizer ({route.authorizer_id})")
            if kind == "JWT":
                return self._jwt(authorizer, route, view)
            if kind == "CUSTOM":
                return self._lambda(authorizer, view, region)
            return self._refuse(ctx, 500, "AUTHORIZER_CONFIGURATION_ERROR",
                                f"unknown AuthorizationType {kind}")
        finally:
            ms = (time.perf_counter() - started) * 1000
            ctx["authorizer.latency"] = round(ms)
            ctx["lab.authorizerLatencyMs"] = ms

    @staticmethod
    def _refuse(ctx: dict, status: int, response_type: str, error: str,
                message: str | None = None) -> AuthOutcome:
        ctx["authorizer.status"] = status
        ctx["authorizer.error"] = error
        ctx["error.responseType"] = response_type
        return AuthOutcome(status, message or MESSAGES[status])

    def _jwt(self, authorizer, route, view) -> AuthOutcome:
        ctx = view.context
        sources = list(authorizer.identity_source or [DEFAULT_JWT_SOURCE])
        token = jwt_authorizer.token_from(evaluate(sources[0], view))
        try:
            result = jwt_authorizer.verify(token, authorizer.jwt_config or {},
                                           list(route.authorization_scopes or []), self.keys)
        except jwt_authorizer.AuthorizerConfigError as exc:
            return self._refuse(ctx, 500, "AUTHORIZER_CONFIGURATION_ERROR", str(exc))
        if result.status != 200:
            kind = "UNAUTHORIZED" if result.status == 401 else "ACCESS_DENIED"
            return self._refuse(ctx, result.status, kind, result.error)
        claims = jwt_authorizer.claim_strings(result.claims or {})
        ctx["authorizer.status"] = 200
        ctx["authorizer.principalId"] = claims.get("sub")
        for name, value in claims.items():
            ctx[f"authorizer.claims.{name}"] = value
        jwt_view = {"claims": claims, "scopes": result.scopes}
        return AuthOutcome(event={"2.0": {"jwt": jwt_view}, "1.0": dict(jwt_view)})

    def _lambda(self, authorizer, view, region: str) -> AuthOutcome:
        ctx = view.context
        result = self.lambdas.authorize(authorizer, view, region)
        if result.request_id:
            ctx["authorizer.requestId"] = result.request_id
        if result.integration_status is not None:
            ctx["authorizer.integrationStatus"] = result.integration_status
        if result.integration_latency_ms is not None:
            ctx["authorizer.integrationLatency"] = round(result.integration_latency_ms)
        if result.principal_id:
            ctx["authorizer.principalId"] = result.principal_id
        if result.status != 200:
            kind = {401: "UNAUTHORIZED", 403: "ACCESS_DENIED"}.get(result.status,
                                                                   "AUTHORIZER_FAILURE")
            return self._refuse(ctx, result.status, kind, result.error)
        ctx["authorizer.status"] = 200
        context = dict(result.context or {})
        for name, value in context.items():
            ctx.setdefault(f"authorizer.{name}", value)
        v1 = dict(context)
        if result.principal_id is not None:
            v1["principalId"] = result.principal_id
        return AuthOutcome(event={"2.0": {"lambda": context}, "1.0": v1})

    def _iam(self, view, request: Request) -> AuthOutcome:
        ctx = view.context
        raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or \
            request.path
        raw_path = raw.split("?", 1)[0]
        result = sigv4.verify(request.method, request.host, raw_path, view.raw_query,
                              request.headers, view.body, ctx["accountId"])
        if result.status != 200:
            return self._refuse(ctx, 403, "ACCESS_DENIED" if "signed" in (result.error or "")
                                else "INVALID_SIGNATURE", result.error, result.message)
        identity = result.identity or {}
        ctx["authorizer.status"] = 200
        ctx["identity.accessKey"] = identity.get("accessKey")
        ctx["identity.caller"] = identity.get("callerId")
        ctx["identity.userArn"] = identity.get("userArn")
        ctx["identity.user"] = identity.get("userId")
        return AuthOutcome(event={"2.0": {"iam": identity}, "1.0": {}},)
