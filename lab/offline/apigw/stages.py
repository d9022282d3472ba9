"""UpdateStage (PATCH /v2/apis/<id>/stages/<name>), which moto 5.2.5 lacks (it answers
500), so a throttle or an access log can be set on an existing stage as on AWS.

Claimed only while moto's backend has no `update_stage` (the check: a moto that gains one
answers itself). Fields as the API reference's UpdateStage: AccessLogSettings,
AutoDeploy, ClientCertificateId, DefaultRouteSettings, DeploymentId, Description,
RouteSettings, StageVariables. Route settings for a route key the API does not have:
400 BadRequestException, as AWS (a model of its message).
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from werkzeug.wrappers import Request, Response

from lab.offline.apigw.exceptions import BadRequest, NotFound
from lab.offline.errors import LabAwsError, json_response
from lab.offline.requests import request_region

_PATH = re.compile(r"^/v2/apis/([^/]+)/stages/([^/]+)$")


def needed() -> bool:
    from moto.apigatewayv2.models import ApiGatewayV2Backend

    return not hasattr(ApiGatewayV2Backend, "update_stage")


def matches(request: Request) -> bool:
    return request.method == "PATCH" and bool(_PATH.match(request.path)) and needed()


def make_handler(app):
    def handle(request: Request) -> Response:
        from urllib.parse import unquote

        from moto.apigatewayv2.models import apigatewayv2_backends

        api_id, stage_name = _PATH.match(request.path).groups()
        stage_name = unquote(stage_name)
        region = request_region(request, app.context.default_region)
        try:
            api = apigatewayv2_backends[app.context.account_id][region].apis.get(api_id)
            if api is None:
                raise NotFound(f"Invalid API identifier specified {api_id}")
            stage = api.stages.get(stage_name)
            if stage is None:
                raise NotFound(f"Invalid stage identifier specified {stage_name}")
            body = json.loads(request.get_data() or b"{}")
            for key in body.get("routeSettings") or {}:
                if key not in {r.route_key for r in api.routes.values()}:
                    raise BadRequest(f"Unable to find Route by key {key} within the "
                                     "provided RouteSettings")
            fields = {"accessLogSettings": "access_log_settings",
                      "autoDeploy": "auto_deploy",
                      "clientCertificateId": "client_certificate_id",
                      "description": "description",
                      "stageVariables": "stage_variables"}
            for name, attr in fields.items():
                if name in body:
                    setattr(stage, attr, body[name])
            if "defaultRouteSettings" in body:
                stage.default_route_settings = {**(stage.default_route_settings or {}),
                                                **body["defaultRouteSettings"]}
            if "routeSettings" in body:
                merged = dict(stage.route_settings or {})
                for key, settings in body["routeSettings"].items():
                    merged[key] = {**merged.get(key, {}), **settings}
                stage.route_settings = merged
            stage.updated = datetime.now()
        except LabAwsError as exc:
            return exc.to_response()
        return json_response(stage.to_json())

    return handle
