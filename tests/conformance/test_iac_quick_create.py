"""HTTP API endpoints reachable from this machine, and quick create (API Gateway v2 API
reference, CreateApi: `Target`, `RouteKey`, `CredentialsArn`; "quick create" makes an
integration, a route and an auto-deploying `$default` stage)."""

from __future__ import annotations

import json
import uuid

from lab.stack import zip_files
from tests.fixtures.common import trust, wait_active
from tests.fixtures.iac import http

HANDLER = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"route": event["routeKey"],
                                                    "path": event["rawPath"]})}
"""


def _function(cloud) -> str:
    name = f"qc-{uuid.uuid4().hex[:8]}"
    role = cloud.client("iam").create_role(
        RoleName=name, AssumeRolePolicyDocument=trust("lambda.amazonaws.com"))["Role"]["Arn"]
    lam = cloud.client("lambda")
    arn = lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": zip_files({"index.py": HANDLER})})["FunctionArn"]
    wait_active(lam, name)
    return arn


def test_quick_create_makes_integration_route_and_default_stage(clean_cloud):
    apigw = clean_cloud.client("apigatewayv2")
    arn = _function(clean_cloud)
    api = apigw.create_api(Name="quick", ProtocolType="HTTP", Target=arn)
    [integration] = apigw.get_integrations(ApiId=api["ApiId"])["Items"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["PayloadFormatVersion"] == "2.0"
    assert integration["IntegrationUri"] == arn
    [route] = apigw.get_routes(ApiId=api["ApiId"])["Items"]
    assert route["RouteKey"] == "$default"
    assert route["Target"] == f"integrations/{integration['IntegrationId']}"
    [stage] = apigw.get_stages(ApiId=api["ApiId"])["Items"]
    assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True


def test_quick_create_then_get_on_api_endpoint_reaches_the_function(clean_cloud):
    apigw = clean_cloud.client("apigatewayv2")
    api = apigw.create_api(Name="quick", ProtocolType="HTTP", Target=_function(clean_cloud))
    endpoint = api["ApiEndpoint"]
    assert endpoint == f"{clean_cloud.endpoint_url}/_aws/execute-api/{api['ApiId']}"
    assert apigw.get_api(ApiId=api["ApiId"])["ApiEndpoint"] == endpoint
    assert apigw.update_api(ApiId=api["ApiId"], Name="renamed")["ApiEndpoint"] == endpoint
    status, body = http(endpoint + "/hello")
    assert status == 200, body
    assert json.loads(body) == {"route": "$default", "path": "/hello"}


def test_quick_create_with_route_key(clean_cloud):
    apigw = clean_cloud.client("apigatewayv2")
    api = apigw.create_api(Name="quick", ProtocolType="HTTP", Target=_function(clean_cloud),
                           RouteKey="GET /items")
    assert [r["RouteKey"] for r in apigw.get_routes(ApiId=api["ApiId"])["Items"]] == \
        ["GET /items"]
    assert http(api["ApiEndpoint"] + "/items")[0] == 200
    assert http(api["ApiEndpoint"] + "/other")[0] == 404


def test_host_based_addressing_reaches_the_api(clean_cloud):
    apigw = clean_cloud.client("apigatewayv2")
    api = apigw.create_api(Name="quick", ProtocolType="HTTP", Target=_function(clean_cloud))
    port = clean_cloud.endpoint_url.rsplit(":", 1)[1]
    status, body = http(f"http://127.0.0.1:{port}/by-host",
                        headers={"Host": f"{api['ApiId']}.execute-api.localhost:{port}"})
    assert status == 200, body
    assert json.loads(body)["path"] == "/by-host"


def test_create_api_without_target_creates_nothing_else(clean_cloud):
    apigw = clean_cloud.client("apigatewayv2")
    api = apigw.create_api(Name="plain", ProtocolType="HTTP")
    assert api["ApiEndpoint"].endswith(f"/_aws/execute-api/{api['ApiId']}")
    assert apigw.get_routes(ApiId=api["ApiId"])["Items"] == []
    assert apigw.get_stages(ApiId=api["ApiId"])["Items"] == []
