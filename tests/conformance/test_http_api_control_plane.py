"""apigatewayv2 control-plane checks moto skips, and CreateDeployment."""

from __future__ import annotations

import pytest

from tests.fixtures.common import client_error, trust

ROLE = "arn:aws:iam::123456789012:role/apigw-sqs"
QUEUE = "http://127.0.0.1/123456789012/q"


@pytest.fixture
def apigw(clean_cloud):
    clean_cloud.client("iam").create_role(RoleName="apigw-sqs",
                                          AssumeRolePolicyDocument=trust(
                                              "apigateway.amazonaws.com"))
    return clean_cloud.client("apigatewayv2")


@pytest.fixture
def api_id(apigw):
    return apigw.create_api(Name="cp", ProtocolType="HTTP")["ApiId"]


def sqs_integration(apigw, api_id, **overrides):
    kwargs = dict(ApiId=api_id, IntegrationType="AWS_PROXY",
                  IntegrationSubtype="SQS-SendMessage", PayloadFormatVersion="1.0",
                  CredentialsArn=ROLE,
                  RequestParameters={"QueueUrl": QUEUE, "MessageBody": "$request.body"})
    kwargs.update(overrides)
    return apigw.create_integration(**kwargs)


def test_route_targeting_a_missing_integration_is_not_found(apigw, api_id):
    err = client_error(apigw.create_route, ApiId=api_id, RouteKey="POST /x",
                       Target="integrations/nope123")
    assert (err.code, err.status) == ("NotFoundException", 404)
    assert apigw.get_routes(ApiId=api_id)["Items"] == []


def test_route_target_must_name_an_integration(apigw, api_id):
    err = client_error(apigw.create_route, ApiId=api_id, RouteKey="POST /x",
                       Target="lambda/whatever")
    assert (err.code, err.status) == ("BadRequestException", 400)


def test_update_route_to_missing_integration_is_refused(apigw, api_id):
    integration = sqs_integration(apigw, api_id)["IntegrationId"]
    route = apigw.create_route(ApiId=api_id, RouteKey="POST /x",
                               Target=f"integrations/{integration}")["RouteId"]
    err = client_error(apigw.update_route, ApiId=api_id, RouteId=route,
                       Target="integrations/gone")
    assert (err.code, err.status) == ("NotFoundException", 404)
    assert apigw.get_route(ApiId=api_id, RouteId=route)["Target"] == \
        f"integrations/{integration}"


@pytest.mark.parametrize("key", ["/x", "FETCH /x", "GET x", "GET /a/{proxy+}/b", "GET /{bad"])
def test_invalid_route_keys_are_bad_requests(apigw, api_id, key):
    err = client_error(lambda: apigw.create_route(ApiId=api_id, RouteKey=key))
    assert (err.code, err.status) == ("BadRequestException", 400)


def test_duplicate_route_key_is_a_conflict(apigw, api_id):
    apigw.create_route(ApiId=api_id, RouteKey="GET /x")
    err = client_error(lambda: apigw.create_route(ApiId=api_id, RouteKey="GET /x"))
    assert (err.code, err.status) == ("ConflictException", 409)


def test_unknown_integration_subtype_is_bad_request(apigw, api_id):
    err = client_error(sqs_integration, apigw, api_id, IntegrationSubtype="SQS-SendMessages")
    assert (err.code, err.status) == ("BadRequestException", 400)
    assert "SQS-SendMessages" in err.message


@pytest.mark.parametrize("missing", ["QueueUrl", "MessageBody"])
def test_missing_required_sqs_parameter_is_bad_request(apigw, api_id, missing):
    params = {"QueueUrl": QUEUE, "MessageBody": "$request.body"}
    del params[missing]
    err = client_error(lambda: sqs_integration(apigw, api_id, RequestParameters=params))
    assert (err.code, err.status) == ("BadRequestException", 400)
    assert missing in err.message


def test_unknown_sqs_parameter_is_bad_request(apigw, api_id):
    err = client_error(sqs_integration, apigw, api_id, RequestParameters={
        "QueueUrl": QUEUE, "MessageBody": "$request.body", "Body": "x"})
    assert (err.code, err.status) == ("BadRequestException", 400)


@pytest.mark.parametrize("expression", ["$request.body..name", "$request.body.a[?(@.x)]",
                                        "$request.nothing.x", "$request.header."])
def test_unsupported_selection_expressions_are_bad_requests(apigw, api_id, expression):
    err = client_error(sqs_integration, apigw, api_id,
                       RequestParameters={"QueueUrl": QUEUE, "MessageBody": expression})
    assert (err.code, err.status) == ("BadRequestException", 400)


def test_subtype_needs_payload_1_0_and_credentials(apigw, api_id):
    err = client_error(lambda: sqs_integration(apigw, api_id, PayloadFormatVersion="2.0"))
    assert (err.code, err.status) == ("BadRequestException", 400)
    err = client_error(apigw.create_integration, ApiId=api_id, IntegrationType="AWS_PROXY",
                       IntegrationSubtype="SQS-SendMessage", PayloadFormatVersion="1.0",
                       RequestParameters={"QueueUrl": QUEUE, "MessageBody": "b"})
    assert (err.code, err.status) == ("BadRequestException", 400)


def test_lambda_proxy_needs_a_payload_format_version(apigw, api_id):
    err = client_error(apigw.create_integration, ApiId=api_id, IntegrationType="AWS_PROXY",
                       IntegrationUri="arn:aws:lambda:us-east-1:123456789012:function:f")
    assert (err.code, err.status) == ("BadRequestException", 400)


def test_update_integration_dropping_a_required_parameter_is_refused(apigw, api_id):
    integration = sqs_integration(apigw, api_id)["IntegrationId"]
    err = client_error(apigw.update_integration, ApiId=api_id, IntegrationId=integration,
                       RequestParameters={"QueueUrl": QUEUE})
    assert (err.code, err.status) == ("BadRequestException", 400)


def test_valid_configuration_is_stored_by_moto(apigw, api_id):
    integration = sqs_integration(apigw, api_id, RequestParameters={
        "QueueUrl": QUEUE, "MessageBody": "$request.body.order.items[0]",
        "MessageGroupId": "$request.header.group", "Region": "us-east-1"})
    assert integration["IntegrationSubtype"] == "SQS-SendMessage"
    route = apigw.create_route(ApiId=api_id, RouteKey="ANY /orders/{proxy+}",
                               Target=f"integrations/{integration['IntegrationId']}")
    assert route["RouteKey"] == "ANY /orders/{proxy+}"
    assert apigw.create_route(ApiId=api_id, RouteKey="$default")["RouteKey"] == "$default"


def test_create_deployment_works(apigw, api_id):
    apigw.create_stage(ApiId=api_id, StageName="prod")
    deployment = apigw.create_deployment(ApiId=api_id, StageName="prod", Description="v1")
    assert deployment["DeploymentStatus"] == "DEPLOYED"
    listed = apigw.get_deployments(ApiId=api_id)["Items"]
    assert [d["DeploymentId"] for d in listed] == [deployment["DeploymentId"]]
    got = apigw.get_deployment(ApiId=api_id, DeploymentId=deployment["DeploymentId"])
    assert got["Description"] == "v1"


def test_create_deployment_for_missing_stage_or_api_is_not_found(apigw, api_id):
    err = client_error(lambda: apigw.create_deployment(ApiId=api_id, StageName="nope"))
    assert (err.code, err.status) == ("NotFoundException", 404)
    err = client_error(lambda: apigw.create_deployment(ApiId="noapi"))
    assert (err.code, err.status) == ("NotFoundException", 404)


def test_get_authorizers_lists_the_apis_authorizers(clean_cloud):
    """GetAuthorizers (moto 5.2.5 answers 500): every authorizer of the API, as created."""
    apigw = clean_cloud.client("apigatewayv2")
    api_id = apigw.create_api(Name="authz-list", ProtocolType="HTTP")["ApiId"]
    assert apigw.get_authorizers(ApiId=api_id)["Items"] == []
    created = apigw.create_authorizer(
        ApiId=api_id, Name="jwt", AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Audience": ["app"], "Issuer": "https://issuer.example"})
    [item] = apigw.get_authorizers(ApiId=api_id)["Items"]
    assert (item["AuthorizerId"], item["Name"], item["AuthorizerType"]) == (
        created["AuthorizerId"], "jwt", "JWT")
    assert item["JwtConfiguration"]["Audience"] == ["app"]
