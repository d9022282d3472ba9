"""An HTTP API's `ApiEndpoint` on this machine, Host-based addressing, and quick create.

- `ApiEndpoint`: AWS answers `https://<id>.execute-api.<region>.amazonaws.com`, which
  offline code cannot reach; the lab's is `<endpoint>/_aws/execute-api/<id>` on the running
  `lab serve` (set when the API is created, so CreateApi, GetApi(s) and UpdateApi show it).
- Host-based addressing: a request whose Host is `<id>.execute-api.localhost[:port]`
  reaches the API as `<endpoint>/_aws/execute-api/<id><path>` does.
- Quick create (CreateApi with `Target`, optional `RouteKey`, `CredentialsArn`; API
  Gateway v2 API reference, "CreateApi"): creates what AWS creates: an integration
  (`AWS_PROXY` payload 2.0 for a Lambda ARN, `HTTP_PROXY` ANY payload 1.0 for a URL), the
  route (`$default` unless `RouteKey` is given) and an auto-deploying `$default` stage.
"""

from __future__ import annotations

import json
import re

from werkzeug.wrappers import Request, Response

from lab.offline.apigw.gateway import PREFIX
from lab.offline.errors import LabAwsError, json_response
from lab.offline.requests import request_region

_HOST = re.compile(r"^(?P<api>[a-z0-9]+)\.execute-api\.localhost(:\d+)?$", re.IGNORECASE)


def api_endpoint(endpoint_url: str, api_id: str) -> str:
    """The URL that reaches `api_id` through the running endpoint."""
    return f"{endpoint_url}{PREFIX}{api_id}"


def localize(api, endpoint_url: str) -> None:
    """Point a moto Api's `api_endpoint` at this machine's endpoint."""
    api.api_endpoint = api_endpoint(endpoint_url, api.api_id)


def quick_create(backend, api, target: str, route_key: str | None = None,
                 credentials_arn: str | None = None) -> None:
    """Create the integration, route and `$default` stage a quick-create CreateApi makes."""
    if api.protocol_type != "HTTP":
        raise LabAwsError("BadRequestException",
                          "Quick create is supported for HTTP APIs only", 400)
    is_url = target.startswith(("http://", "https://"))
    integration = backend.create_integration(
        api_id=api.api_id, connection_id=None, connection_type="INTERNET",
        content_handling_strategy=None, credentials_arn=credentials_arn, description=None,
        integration_method="ANY" if is_url else "POST", integration_subtype=None,
        integration_type="HTTP_PROXY" if is_url else "AWS_PROXY", integration_uri=target,
        passthrough_behavior=None, payload_format_version="1.0" if is_url else "2.0",
        request_parameters=None, request_templates=None, response_parameters=None,
        template_selection_expression=None, timeout_in_millis=30000, tls_config=None)
    backend.create_route(
        api_id=api.api_id, api_key_required=False, authorization_scopes=None,
        authorization_type="NONE", authorizer_id=None, model_selection_expression=None,
        operation_name=None, request_models=None, request_parameters=None,
        route_key=route_key or "$default", route_response_selection_expression=None,
        target=f"integrations/{integration.id}")
    if "$default" not in api.stages:
        backend.create_stage(api.api_id, {"stageName": "$default", "autoDeploy": True})


def install_routes(app) -> None:
    """CreateApi / ImportApi through moto, then the lab's endpoint and quick create; the
    Host-based data plane."""
    gateway = app.services["apigw"]

    def is_create(request: Request) -> bool:
        return request.path.rstrip("/") == "/v2/apis" and request.method in ("POST", "PUT")

    def create(request: Request) -> Response:
        from moto.apigatewayv2.models import apigatewayv2_backends

        data = request.get_data()
        try:
            body = json.loads(data or b"{}") if request.method == "POST" else {}
        except ValueError:
            raise LabAwsError("BadRequestException", "Request body is not valid JSON",
                              400) from None
        response = app.forward_to_moto(request, data)
        if response.status_code >= 300:
            return response
        api_id = json.loads(response.get_data())["apiId"]
        region = request_region(request, app.context.default_region)
        backend = apigatewayv2_backends[app.context.account_id][region]
        api = backend.get_api(api_id)
        localize(api, app.context.endpoint_url)
        if body.get("target"):
            quick_create(backend, api, body["target"], body.get("routeKey"),
                         body.get("credentialsArn"))
        return json_response(api.to_json(), 201)

    def is_host_addressed(request: Request) -> bool:
        return bool(_HOST.match(request.host or "")) and not request.path.startswith(PREFIX)

    def host_addressed(request: Request) -> Response:
        api_id = _HOST.match(request.host)["api"].lower()
        request.environ["PATH_INFO"] = f"{PREFIX}{api_id}{request.path}"
        return gateway.handle(Request(request.environ))

    app.add_route("apigw-create-api", is_create, create)
    app.add_route("apigw-host-addressed", is_host_addressed, host_addressed)
