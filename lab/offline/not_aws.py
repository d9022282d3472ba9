"""A clear 404 for plain HTTP requests that are not AWS API calls.

moto sends a request it cannot attribute to a service to its S3 handler, so a learner's
`curl -X POST $ENDPOINT/photos` (the HTTP API's route, without the
`/_aws/execute-api/<apiId>` prefix) got an HTML `500 Internal Server Error` from S3. This
extension, installed last, answers such requests with a 404 JSON saying where HTTP APIs are
served and how to list them.

A request counts as "not AWS" only when nothing marks it as one: no `Authorization` header
(SigV4 or SigV2: boto3 and the CLI sign every call), no `X-Amz-Target`, no presigned-URL or
query-protocol (`Action=`) parameters, not a CORS preflight, not a form POST to `/` (query
protocol with the action in the body), a loopback host (S3 virtual-host names go to moto),
and a path that is neither moto's (`/moto-api`, `/<service>_<region>/`, instance metadata,
`.well-known`) nor an existing bucket's (unsigned reads of a bucket you made still reach S3).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from lab.offline.errors import json_response

_AWS_QUERY = {"x-amz-signature", "x-amz-credential", "x-amz-algorithm", "signature",
              "awsaccesskeyid", "action"}
_MOTO_PREFIXES = ("/moto-api", "/favicon.ico", "/latest/", "/_lab/", "/_aws/")


def _loopback_host(request: Request) -> bool:
    host = (urlsplit(f"//{request.host}").hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bucket_exists(app, name: str) -> bool:
    from moto.s3.models import s3_backends

    try:
        return name in s3_backends[app.context.account_id]["global"].buckets
    except Exception:  # noqa: BLE001 - when in doubt, let moto answer
        return True


def is_plain_http(app, request: Request) -> bool:
    """True for an unsigned request nothing marks as an AWS API call (module docstring)."""
    if request.method == "OPTIONS" or "Authorization" in request.headers \
            or "X-Amz-Target" in request.headers:
        return False
    if any(key.lower() in _AWS_QUERY for key in request.args):
        return False
    path = request.path
    if path.startswith(_MOTO_PREFIXES) or "/.well-known/" in path:
        return False
    if path == "/" and request.method == "POST" and (request.mimetype or "") \
            == "application/x-www-form-urlencoded":
        return False
    first = path.strip("/").split("/", 1)[0]
    if "_" in first:  # moto's own `/<service>_<region>/...` requests to itself
        return False
    if not _loopback_host(request):
        return False
    return not (first and _bucket_exists(app, first))


def _http_apis(app) -> list[dict]:
    from moto.apigatewayv2.models import apigatewayv2_backends

    try:
        backend = apigatewayv2_backends[app.context.account_id][app.context.default_region]
        return [{"apiId": api.api_id, "name": api.name} for api in backend.apis.values()]
    except Exception:  # noqa: BLE001 - the hint must never fail
        return []


def not_found(app, request: Request) -> Response:
    endpoint = request.host_url.rstrip("/")
    apis = _http_apis(app)
    for api in apis:
        api["url"] = f"{endpoint}/_aws/execute-api/{api['apiId']}{request.path}"
    return json_response({
        "message": "Not Found",
        "detail": (f"{request.method} {request.path} is not an AWS API call (it is unsigned) "
                   "and no route of this endpoint serves it. HTTP APIs are served at "
                   f"{endpoint}/_aws/execute-api/<apiId>/<path>"),
        "http_apis": f"{endpoint}/_aws/execute-api/<apiId>/<path>",
        "list_apis": f"aws --endpoint-url {endpoint} apigatewayv2 get-apis",
        "apis": apis,
    }, 404)


def install(app) -> None:
    app.add_route("not-aws", lambda r: is_plain_http(app, r), lambda r: not_found(app, r))
