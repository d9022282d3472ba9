"""HTTP API stages: what moto 5.2.5 lacks and the aws target's code path needs.

- An auto-deploy stage (`AutoDeploy: true`) is deployed at once (the lab's data plane
  always serves the current configuration), so it carries a `DeploymentId` and
  `LastDeploymentStatusMessage` as on AWS ("Successfully deployed stage with deployment ID
  '<id>'", AWS CLI get-stages example); clients that wait for the deployment (the aws
  target's `Stack`) see it. A stage CreateDeployment targets shows that deployment's id.
- UpdateStage (PATCH `/v2/apis/<id>/stages/<name>`; moto 5.2.5 has none and answers 500):
  AccessLogSettings, AutoDeploy, ClientCertificateId, DefaultRouteSettings, DeploymentId,
  Description, RouteSettings (merged per route key), StageVariables. Route settings for a
  route key the API does not have: 400 BadRequestException (a model of AWS's message).
  The access log writer reads AccessLogSettings, the throttle the route settings.
CreateStage / GetStage(s) go to moto; their JSON gains the two deployment fields.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from werkzeug.wrappers import Request, Response

from lab.offline.apigw.exceptions import BadRequest
from lab.offline.errors import LabAwsError, json_response
from lab.offline.requests import request_region

_PATH = re.compile(r"^/v2/apis/(?P<api>[^/]+)/stages(?:/(?P<name>[^/]+))?$")
# UpdateStage body field -> moto Stage attribute (None: kept in config only).
_UPDATABLE = {"accessLogSettings": "access_log_settings", "autoDeploy": "auto_deploy",
              "clientCertificateId": "client_certificate_id", "description": "description",
              "stageVariables": "stage_variables", "deploymentId": None}


def matches(request: Request) -> bool:
    m = _PATH.match(request.path)
    if not m:
        return False
    return request.method in ("GET", "POST") or (request.method == "PATCH" and m["name"])


def _deployment_fields(stage) -> dict:
    deployment_id = stage.config.get("deploymentId")
    if not deployment_id:
        return {}
    return {"deploymentId": deployment_id,
            "lastDeploymentStatusMessage":
                f"Successfully deployed stage with deployment ID '{deployment_id}'"}


def stage_json(stage) -> dict:
    return {**stage.to_json(), **_deployment_fields(stage)}


def make_handler(app, deployments):
    """`deployments`: validation.Deployments, where auto-deployments are recorded too."""

    def api_of(request: Request, api_id: str):
        from moto.apigatewayv2.models import apigatewayv2_backends

        region = request_region(request, app.context.default_region)
        api = apigatewayv2_backends[app.context.account_id][region].apis.get(api_id)
        if api is None:
            raise LabAwsError("NotFoundException",
                              f"Invalid API identifier specified {app.context.account_id}:"
                              f"{api_id}", 404)
        return api

    def stage_of(api, name: str):
        from urllib.parse import unquote

        stage = api.stages.get(unquote(name))
        if stage is None:
            raise LabAwsError("NotFoundException",
                              f"Invalid stage identifier specified {unquote(name)}", 404)
        return stage

    def auto_deploy(api, stage) -> None:
        if stage.auto_deploy and not stage.config.get("deploymentId"):
            stage.config["deploymentId"] = deployments.record(api.api_id, auto=True)

    def handle(request: Request) -> Response:
        m = _PATH.match(request.path)
        api = api_of(request, m["api"])
        if request.method == "PATCH":
            stage = stage_of(api, m["name"])
            try:
                body = json.loads(request.get_data() or b"{}")
            except ValueError:
                raise BadRequest("Request body is not valid JSON") from None
            for key in body.get("routeSettings") or {}:
                if key not in {r.route_key for r in api.routes.values()}:
                    raise BadRequest(f"Unable to find Route by key {key} within the "
                                     "provided RouteSettings")
            for field, attr in _UPDATABLE.items():
                if field in body:
                    stage.config[field] = body[field]
                    if attr:
                        setattr(stage, attr, body[field])
            if "defaultRouteSettings" in body:
                stage.default_route_settings = {**(stage.default_route_settings or {}),
                                                **body["defaultRouteSettings"]}
            if "routeSettings" in body:
                merged = dict(stage.route_settings or {})
                for key, settings in body["routeSettings"].items():
                    merged[key] = {**merged.get(key, {}), **settings}
                stage.route_settings = merged
            stage.updated = datetime.now()
            auto_deploy(api, stage)
            return json_response(stage_json(stage))
        data = request.get_data()
        response = app.forward_to_moto(request, data)
        if response.status_code != 200:
            return response
        if request.method == "POST":
            name = json.loads(data or b"{}").get("stageName")
            stage = api.stages.get(name)
            if stage is None:
                return response
            auto_deploy(api, stage)
            return json_response(stage_json(stage), 201)  # AWS answers CreateStage 201
        if m["name"]:
            return json_response(stage_json(stage_of(api, m["name"])))
        return json_response({"items": [stage_json(s) for s in api.stages.values()]})

    return handle

