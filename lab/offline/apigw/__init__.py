"""HTTP API (API Gateway v2) for `lab serve`: the data plane moto lacks, the control-plane
checks it skips, CreateDeployment, and access logs.

Routes installed:
- `/_aws/execute-api/<apiId>[/<stage>]/<path>`: the data plane (gateway.py).
- POST/PATCH `/v2/apis/<id>/routes|integrations[...]` and `/v2/apis/<id>/deployments`:
  validated, then handed to moto (validation.py).
- `/v2/apis/<id>/stages[/<name>]`: UpdateStage, and auto-deploy stages that carry their
  DeploymentId (stages.py).
- Resource Groups Tagging API GetResources: also lists HTTP APIs (tagging.py).
- GET `/_lab/apigw/access-log?apiId=`: the in-memory access log as JSON lines.
- POST/PUT `/v2/apis` (ApiEndpoint on this machine, quick create) and Host
  `<apiId>.execute-api.localhost` (endpoints.py).
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from lab.offline.apigw import endpoints, listing, stages, tagging, validation
from lab.offline.apigw.gateway import Gateway
from lab.offline.errors import json_response


def install(app) -> None:
    gateway = Gateway(app)
    deployments = validation.Deployments()
    app.add_route("apigw-data-plane", gateway.matches, gateway.handle)
    app.add_route("apigw-control-checks", validation.matches,
                  validation.make_handler(app, deployments))
    app.add_route("apigw-stages", stages.matches, stages.make_handler(app, deployments))
    app.add_route("apigw-get-authorizers", listing.matches, listing.make_handler(app))
    app.add_route("apigw-tagging", tagging.matches, tagging.make_handler(app))

    def access_log(request: Request) -> Response:
        records = gateway.access_log.records(request.args.get("apiId"))
        return json_response({"records": records})

    app.add_route("apigw-access-log",
                  lambda r: r.path == "/_lab/apigw/access-log" and r.method == "GET",
                  access_log)

    def reset() -> None:
        gateway.reset()  # access log, authorizer caches, throttle buckets
        deployments.reset()

    app.on_reset(reset)
    app.services["apigw"] = gateway
    endpoints.install_routes(app)  # ApiEndpoint on this machine, Host addressing, quick create
    app.health_info["apigw"] = {"data_plane": "/_aws/execute-api/<apiId>[/<stage>]/<path>",
                                "integrations": ["AWS_PROXY SQS-SendMessage",
                                                 "AWS_PROXY Lambda (payload 1.0, 2.0)"],
                                "authorization": ["JWT", "CUSTOM (Lambda REQUEST)", "AWS_IAM"],
                                "throttling": "token buckets per route + account",
                                "cors": "CorsConfiguration (preflight + headers)"}
