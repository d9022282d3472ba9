"""Control-plane checks moto skips, on the apigatewayv2 calls the notebooks make, and
`CreateDeployment` (moto answers 404 "Not yet implemented").

Only these REST calls are intercepted; each is checked, then handed to moto unchanged:
- CreateRoute / UpdateRoute: the route key must parse (`$default` or `METHOD /path`, a
  greedy variable last) and a `target` must be `integrations/<id>` of an existing
  integration of the same API.
- CreateIntegration / UpdateIntegration: a known IntegrationType and IntegrationSubtype;
  a subtype needs `PayloadFormatVersion` 1.0, a `CredentialsArn` and every required request
  parameter (SQS-SendMessage: QueueUrl, MessageBody), and no unknown ones; mapping
  expressions must parse; a Lambda `AWS_PROXY` integration needs PayloadFormatVersion 1.0/2.0.
Errors are AWS's: BadRequestException (400) / NotFoundException (404), JSON `message`. The
wording is the lab's (AWS does not document its exact messages).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import UTC, datetime

from werkzeug.wrappers import Request, Response

from lab.offline.apigw import sqs_integration
from lab.offline.apigw.exceptions import BadRequest, NotFound, RouteKeyConflict
from lab.offline.apigw.mapping import MappingError, validate_expression
from lab.offline.apigw.routing import RouteKeyError, parse_route_key
from lab.offline.errors import LabAwsError, json_response
from lab.offline.requests import request_region

INTEGRATION_TYPES = ("AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK")
# Integration subtype reference (HTTP APIs): subtype -> (required, optional) parameters.
SUBTYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "EventBridge-PutEvents": (("Detail", "DetailType", "Source"),
                              ("Time", "EventBusName", "Resources", "Region", "TraceHeader")),
    "SQS-SendMessage": (sqs_integration.REQUIRED, sqs_integration.OPTIONAL),
    "SQS-ReceiveMessage": (("QueueUrl",), ("AttributeNames", "MaxNumberOfMessages",
                                           "MessageAttributeNames", "ReceiveRequestAttemptId",
                                           "VisibilityTimeout", "WaitTimeSeconds", "Region")),
    "SQS-DeleteMessage": (("ReceiptHandle", "QueueUrl"), ("Region",)),
    "SQS-PurgeQueue": (("QueueUrl",), ("Region",)),
    "AppConfig-GetConfiguration": (("Application", "Environment", "Configuration", "ClientId"),
                                   ("ClientConfigurationVersion", "Region")),
    "Kinesis-PutRecord": (("StreamName", "Data", "PartitionKey"),
                          ("SequenceNumberForOrdering", "ExplicitHashKey", "Region")),
    "StepFunctions-StartExecution": (("StateMachineArn",), ("Name", "Input", "Region")),
    "StepFunctions-StartSyncExecution": (("StateMachineArn",),
                                         ("Name", "Input", "Region", "TraceHeader")),
    "StepFunctions-StopExecution": (("ExecutionArn",), ("Cause", "Error", "Region")),
}
_PATH = re.compile(r"^/v2/apis/(?P<api>[^/]+)/(?P<kind>routes|integrations|deployments)"
                   r"(?:/(?P<id>[^/]+))?$")


def bad_request(message: str) -> LabAwsError:
    return BadRequest(message)


def not_found(message: str) -> LabAwsError:
    return NotFound(message)


def matches(request: Request) -> bool:
    m = _PATH.match(request.path)
    if not m:
        return False
    if m["kind"] == "deployments":
        return True
    return (request.method == "POST" and m["id"] is None) or \
        (request.method == "PATCH" and m["id"] is not None)


def _api(account: str, region: str, api_id: str):
    from moto.apigatewayv2.models import apigatewayv2_backends

    api = apigatewayv2_backends[account][region].apis.get(api_id)
    if api is None:
        raise not_found(f"Invalid API identifier specified {account}:{api_id}")
    return api


def check_route(api, body: dict, existing=None) -> None:
    key = body.get("routeKey", existing.route_key if existing else None)
    if key is None:
        raise bad_request("Route key is required")
    if api.protocol_type == "HTTP":
        try:
            parse_route_key(key)
        except RouteKeyError as exc:
            raise bad_request(str(exc)) from None
        if existing is None or "routeKey" in body:
            for route in api.routes.values():
                if route.route_key == key and route is not existing:
                    raise RouteKeyConflict(key)
    target = body.get("target")
    if target:
        if not target.startswith("integrations/"):
            raise bad_request(f"Invalid target {target}: must be integrations/<integrationId>")
        integration_id = target.split("/", 1)[1]
        if integration_id not in api.integrations:
            raise not_found(f"Invalid integration identifier specified {integration_id} "
                            f"in target {target}")


def check_integration(api, body: dict, existing=None) -> None:
    def field(name: str, attr: str):
        if name in body:
            return body[name]
        return getattr(existing, attr, None) if existing is not None else None

    itype = field("integrationType", "integration_type")
    subtype = field("integrationSubtype", "integration_subtype")
    version = field("payloadFormatVersion", "payload_format_version")
    params = field("requestParameters", "request_parameters") or {}
    if itype not in INTEGRATION_TYPES:
        raise bad_request(f"Invalid integration type {itype}: must be one of "
                          f"{', '.join(INTEGRATION_TYPES)}")
    if api.protocol_type != "HTTP":
        return
    if subtype:
        if subtype not in SUBTYPES:
            raise bad_request(f"Unsupported integration subtype {subtype}: supported subtypes "
                              f"are {', '.join(SUBTYPES)}")
        if itype != "AWS_PROXY":
            raise bad_request(f"Integration subtype {subtype} needs integration type AWS_PROXY")
        if version != "1.0":
            raise bad_request(f"Integration subtype {subtype} supports payload format version "
                              "1.0 only")
        if not field("credentialsArn", "credentials_arn"):
            raise bad_request(f"Integration subtype {subtype} needs a CredentialsArn: an IAM "
                              "role API Gateway assumes to call the service")
        required, optional = SUBTYPES[subtype]
        missing = [p for p in required if p not in params]
        if missing:
            raise bad_request(f"Missing required request parameter(s) for integration subtype "
                              f"{subtype}: {', '.join(missing)}")
        unknown = [p for p in params if p not in required + optional]
        if unknown:
            raise bad_request(f"Unsupported request parameter(s) for integration subtype "
                              f"{subtype}: {', '.join(unknown)}")
        for name, value in params.items():
            try:
                validate_expression(value)
            except MappingError as exc:
                raise bad_request(f"Invalid mapping expression for {name}: {exc}") from None
    elif itype == "AWS_PROXY":
        if not field("integrationUri", "integration_uri"):
            raise bad_request("An AWS_PROXY integration without a subtype needs an "
                              "IntegrationUri (a Lambda function ARN)")
        if version not in ("1.0", "2.0"):
            raise bad_request("PayloadFormatVersion must be 1.0 or 2.0 for a Lambda proxy "
                              "integration of an HTTP API")


class Deployments:
    """CreateDeployment / GetDeployment(s): records only; stages always serve the current
    configuration (the lab's data plane behaves as if every stage auto-deploys)."""

    def __init__(self):
        self._by_api: dict[str, dict[str, dict]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._by_api.clear()

    def record(self, api_id: str, *, auto: bool = False, description: str | None = None) -> str:
        """Record a deployment of `api_id` (an auto-deploy stage's too); returns its id."""
        deployment = {
            "deploymentId": uuid.uuid4().hex[:6],
            "deploymentStatus": "DEPLOYED",
            "createdDate": datetime.now(UTC).isoformat(timespec="seconds").replace(
                "+00:00", "Z"),
            "autoDeployed": auto,
        }
        if description:
            deployment["description"] = description
        with self._lock:
            self._by_api.setdefault(api_id, {})[deployment["deploymentId"]] = deployment
        return deployment["deploymentId"]

    def handle(self, request: Request, api, deployment_id: str | None) -> Response:
        if request.method == "POST" and deployment_id is None:
            body = json.loads(request.get_data() or b"{}")
            stage_name = body.get("stageName")
            if stage_name and stage_name not in api.stages:
                raise not_found(f"Invalid stage identifier specified {stage_name}")
            new_id = self.record(api.api_id, description=body.get("description"))
            with self._lock:
                deployment = dict(self._by_api[api.api_id][new_id])
            if stage_name:
                api.stages[stage_name].config["deploymentId"] = deployment["deploymentId"]
            return json_response(deployment, 201)
        with self._lock:
            items = dict(self._by_api.get(api.api_id, {}))
        if request.method == "GET" and deployment_id is None:
            return json_response({"items": list(items.values())})
        if deployment_id not in items:
            raise not_found(f"Invalid Deployment identifier specified {deployment_id}")
        if request.method == "GET":
            return json_response(items[deployment_id])
        if request.method == "DELETE":
            with self._lock:
                self._by_api[api.api_id].pop(deployment_id, None)
            return Response(status=204)
        raise bad_request(f"{request.method} is not supported on a deployment")


def make_handler(app, deployments: Deployments):
    def handle(request: Request) -> Response:
        m = _PATH.match(request.path)
        account = app.context.account_id
        region = request_region(request, app.context.default_region)
        api = _api(account, region, m["api"])
        if m["kind"] == "deployments":
            return deployments.handle(request, api, m["id"])
        data = request.get_data()
        try:
            body = json.loads(data or b"{}")
        except ValueError:
            raise bad_request("Request body is not valid JSON") from None
        if m["kind"] == "routes":
            existing = None
            if m["id"]:
                existing = api.routes.get(m["id"])
                if existing is None:
                    raise not_found(f"Invalid Route identifier specified {m['id']}")
            check_route(api, body, existing)
        else:
            existing = None
            if m["id"]:
                existing = api.integrations.get(m["id"])
                if existing is None:
                    raise not_found(f"Invalid Integration identifier specified {m['id']}")
            check_integration(api, body, existing)
        return forward_to_moto(app, request, data)
    return handle


def forward_to_moto(app, request: Request, data: bytes) -> Response:
    """Hand a request whose body we read to moto, as if no lab route had seen it."""
    response = app.forward_to_moto(request, data)
    if request.method == "POST" and response.status_code == 200:
        response.status_code = 201  # AWS answers Create* with 201 Created
    return response
