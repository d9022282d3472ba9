"""HTTP API Lambda authorizers, REQUEST type (API Gateway Developer Guide
http-api-lambda-authorizer): payload 2.0 and 1.0, simple and IAM-policy responses,
identity sources, caching (seen through invocation counts), failures."""

from __future__ import annotations

import json

import pytest

from tests.conformance.test_http_api_auth_jwt import AuthApi


@pytest.fixture(scope="module")
def api(cloud):
    cloud.reset()
    return AuthApi(cloud, "-lam")


def lambda_authorizer(api, handler: str, version: str = "2.0", simple: bool = True,
                      ttl: int = 0, sources=("$request.header.Authorization",)) -> str:
    arn = api.function(handler) if handler not in api.__dict__.setdefault("fns", {}) \
        else api.fns[handler]
    api.fns[handler] = arn
    uri = (f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}"
           "/invocations")
    kwargs = {"EnableSimpleResponses": simple} if version == "2.0" else {}
    return api.apigw.create_authorizer(
        ApiId=api.api_id, Name=f"{handler}-{version}-{ttl}", AuthorizerType="REQUEST",
        AuthorizerUri=uri, AuthorizerPayloadFormatVersion=version,
        AuthorizerResultTtlInSeconds=ttl, IdentitySource=list(sources),
        **kwargs)["AuthorizerId"]


def protected(api, path: str, authorizer_id: str) -> str:
    api.route(f"GET {path}", AuthorizationType="CUSTOM", AuthorizerId=authorizer_id)
    return path


def test_simple_response_allows_denies_and_passes_context(api):
    path = protected(api, "/simple", lambda_authorizer(api, "allow_simple"))
    status, _, body = api.call(path, headers={"Authorization": "let-me-in"})
    assert status == 200
    ctx = json.loads(body)["requestContext"]["authorizer"]["lambda"]
    assert ctx["user"] == "alice"
    status, _, body = api.call(path, headers={"Authorization": "nope"})
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})


def test_missing_identity_source_is_401_without_invoking(api):
    path = protected(api, "/counted", lambda_authorizer(api, "allow_simple", ttl=0))
    status, _, body = api.call(path)
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    # the authorizer's context counts its invocations: the 401 did not invoke it
    _, _, body = api.call(path, headers={"Authorization": "let-me-in"})
    first = json.loads(body)["requestContext"]["authorizer"]["lambda"]["n"]
    api.call(path)
    _, _, body = api.call(path, headers={"Authorization": "let-me-in"})
    assert json.loads(body)["requestContext"]["authorizer"]["lambda"]["n"] == first + 1


def test_results_are_cached_per_identity_source_for_the_ttl(api):
    path = protected(api, "/cached", lambda_authorizer(api, "allow_simple", ttl=300,
                                                       sources=("$request.header.Authorization",
                                                                "$request.header.X-Id")))
    counts = []
    for who in ("a", "a", "a", "b", "b", "a"):
        _, _, body = api.call(path, headers={"Authorization": "let-me-in", "X-Id": who})
        counts.append(json.loads(body)["requestContext"]["authorizer"]["lambda"]["n"])
    # one invocation for "a" (cached thrice more), one for "b"
    assert counts[0] == counts[1] == counts[2] == counts[5]
    assert counts[3] == counts[4] == counts[0] + 1
    records = api.cloud.lab.apigw_access_log(api.api_id)[-6:]
    assert [r["authorizerRequestId"] is not None for r in records] == \
        [True, False, False, True, False, False]


def test_iam_policy_response_payload_1_0(api):
    path = protected(api, "/policy", lambda_authorizer(api, "policy", version="1.0"))
    status, _, body = api.call(path, headers={"Authorization": "let-me-in"})
    assert status == 200
    assert json.loads(body)["requestContext"]["authorizer"]["lambda"] == {"tier": "gold"}
    status, _, body = api.call(path, headers={"Authorization": "no"})
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})


def test_iam_policy_response_payload_2_0(api):
    path = protected(api, "/policy2", lambda_authorizer(api, "policy", simple=False))
    assert api.call(path, headers={"Authorization": "let-me-in"})[0] == 200
    assert api.call(path, headers={"Authorization": "no"})[0] == 403


def test_authorizer_event_payload_2_0(api):
    path = protected(api, "/event", lambda_authorizer(api, "echo_event"))
    _, _, body = api.call(path + "?q=1", headers={"Authorization": "tok"})
    event = json.loads(json.loads(body)["requestContext"]["authorizer"]["lambda"]["event"])
    assert event["version"] == "2.0" and event["type"] == "REQUEST"
    assert event["identitySource"] == ["tok"]
    assert event["routeArn"] == (f"arn:aws:execute-api:us-east-1:123456789012:"
                                 f"{api.api_id}/$default/GET/event")
    assert event["routeKey"] == "GET /event"
    assert event["rawQueryString"] == "q=1"
    assert event["headers"]["authorization"] == "tok"


@pytest.mark.parametrize("handler", ["broken", "malformed"])
def test_authorizer_failure_is_500(api, handler):
    path = protected(api, f"/{handler}", lambda_authorizer(api, handler))
    status, _, body = api.call(path, headers={"Authorization": "x"})
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    record = api.cloud.lab.apigw_access_log(api.api_id)[-1]
    assert record["errorResponseType"] == "AUTHORIZER_FAILURE"
    assert record["authorizerError"]
