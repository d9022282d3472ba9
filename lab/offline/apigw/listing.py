"""List calls of API Gateway v2 that moto 5.2.5 routes but does not implement (it answers
500): GetAuthorizers (GET /v2/apis/<apiId>/authorizers). Answered from moto's own model,
in the API reference's shape (`{"items": [...]}`; boto3 reads `Items`)."""

from __future__ import annotations

import re

from werkzeug.wrappers import Request, Response

from lab.offline.apigw.exceptions import NotFound
from lab.offline.errors import LabAwsError, json_response
from lab.offline.requests import request_region

_AUTHORIZERS = re.compile(r"^/v2/apis/([^/]+)/authorizers/?$")


def needed() -> bool:
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    return not hasattr(ApiGatewayV2Response, "get_authorizers")


def matches(request: Request) -> bool:
    return request.method == "GET" and bool(_AUTHORIZERS.match(request.path)) and needed()


def make_handler(app):
    def handle(request: Request) -> Response:
        from moto.apigatewayv2.models import apigatewayv2_backends

        api_id = _AUTHORIZERS.match(request.path).group(1)
        region = request_region(request, app.context.default_region)
        api = apigatewayv2_backends[app.context.account_id][region].apis.get(api_id)
        try:
            if api is None:
                raise NotFound(f"Invalid API identifier specified {app.context.account_id}:"
                               f"{api_id}")
        except LabAwsError as exc:
            return exc.to_response()
        return json_response({"items": [a.to_json() for a in api.authorizers.values()]})

    return handle
