"""CORS of HTTP APIs: an API's CorsConfiguration, applied by the data plane.

Source: API Gateway Developer Guide http-api-cors. "If you configure CORS for an API, API
Gateway automatically sends a response to preflight OPTIONS requests, even if there isn't
an OPTIONS route configured for your API. For a CORS request, API Gateway adds the
configured CORS headers to the response from an integration." and "If you configure CORS
for an API, API Gateway ignores CORS headers returned from your backend integration."
"To return CORS headers, your request must contain an origin header. For the OPTIONS
method, your request must contain an origin header and an Access-Control-Request-Method
header."
Properties -> headers: allowOrigins -> Access-Control-Allow-Origin, allowCredentials ->
-Allow-Credentials, exposeHeaders -> -Expose-Headers, maxAge -> -Max-Age, allowMethods ->
-Allow-Methods, allowHeaders -> -Allow-Headers.

Model choices (what AWS answers, observed, not documented): a preflight is answered 204
with an empty body; an origin that is not allowed gets the same 204 (or the integration's
response) with no access-control-* header at all, so the browser blocks it; `*` in
allowOrigins answers `*`; a matching origin is echoed; `*` in allowMethods/allowHeaders
echoes what the preflight asked for.

This is the data plane's CORS (per API). The endpoint's own Host/Origin checks for its
control plane (lab.offline.app) are a different thing and never apply here.
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

CORS_HEADERS = ("access-control-allow-origin", "access-control-allow-credentials",
                "access-control-expose-headers", "access-control-max-age",
                "access-control-allow-methods", "access-control-allow-headers")


def _get(config: dict, name: str):
    return config.get(name, config.get(name[0].upper() + name[1:]))


def _allowed_origin(config: dict, origin: str | None) -> str | None:
    if not origin:
        return None
    origins = _get(config, "allowOrigins") or []
    if "*" in origins:
        return "*"
    lowered = origin.lower().rstrip("/")
    for allowed in origins:
        if allowed.lower().rstrip("/") == lowered:
            return origin
    return None


def is_preflight(config: dict | None, request: Request) -> bool:
    return bool(config) and request.method == "OPTIONS" and \
        "Origin" in request.headers and "Access-Control-Request-Method" in request.headers


def preflight(config: dict, request: Request) -> Response:
    """API Gateway's own answer to a preflight OPTIONS (no route, no integration)."""
    response = Response(b"", status=204)
    del response.headers["Content-Type"]
    origin = _allowed_origin(config, request.headers.get("Origin"))
    if origin is None:
        return response
    response.headers["access-control-allow-origin"] = origin
    methods = _get(config, "allowMethods") or []
    asked = request.headers.get("Access-Control-Request-Method", "")
    if methods:
        response.headers["access-control-allow-methods"] = \
            asked if "*" in methods else ",".join(m.upper() for m in methods)
    headers = _get(config, "allowHeaders") or []
    asked_headers = request.headers.get("Access-Control-Request-Headers", "")
    if headers:
        response.headers["access-control-allow-headers"] = \
            asked_headers if "*" in headers and asked_headers else \
            ",".join(h.lower() for h in headers)
    if _get(config, "allowCredentials"):
        response.headers["access-control-allow-credentials"] = "true"
    max_age = _get(config, "maxAge")
    if max_age is not None and int(max_age) >= 0:
        response.headers["access-control-max-age"] = str(int(max_age))
    if origin != "*":
        response.headers["vary"] = "Origin"
    return response


def decorate(config: dict | None, request: Request, response: Response) -> Response:
    """Replace the integration's CORS headers with the configured ones (or none)."""
    if not config:
        return response
    for name in CORS_HEADERS:
        if name in response.headers:
            del response.headers[name]
    origin = _allowed_origin(config, request.headers.get("Origin"))
    if origin is None:
        return response
    response.headers["access-control-allow-origin"] = origin
    if _get(config, "allowCredentials"):
        response.headers["access-control-allow-credentials"] = "true"
    expose = _get(config, "exposeHeaders") or []
    if expose:
        response.headers["access-control-expose-headers"] = ",".join(h.lower() for h in expose)
    if origin != "*":
        response.headers["vary"] = "Origin"
    return response
