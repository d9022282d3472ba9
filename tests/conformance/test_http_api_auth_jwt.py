"""HTTP API JWT authorizers (API Gateway Developer Guide http-api-jwt-authorizer), through
`lab serve`, with tokens minted in the test by `lab.stack.issuer.LocalIssuer`."""

from __future__ import annotations

import json
import textwrap
import time

import pytest

from lab.observe.access_log import access_log
from lab.stack import zip_files
from lab.stack.http_api import invoke_url
from lab.stack.issuer import LocalIssuer, new_rsa_key
from tests.conformance.test_http_api_routing import http
from tests.fixtures.common import trust, wait_active

HANDLERS = textwrap.dedent('''
    import json

    def echo(event, context):
        return {"statusCode": 200, "body": json.dumps(event)}

    COUNT = {"n": 0}

    def allow_simple(event, context):
        COUNT["n"] += 1
        token = (event.get("headers") or {}).get("authorization", "")
        return {"isAuthorized": token == "let-me-in",
                "context": {"user": "alice", "n": COUNT["n"]}}

    def policy(event, context):
        token = event.get("authorizationToken") or ",".join(event.get("identitySource") or [])
        effect = "Allow" if token == "let-me-in" else "Deny"
        arn = event.get("routeArn") or event.get("methodArn")
        return {"principalId": "user-7",
                "policyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Action": "execute-api:Invoke", "Effect": effect, "Resource": [arn]}]},
                "context": {"tier": "gold"}}

    def echo_event(event, context):
        return {"isAuthorized": True, "context": {"event": json.dumps(event)}}

    def broken(event, context):
        raise RuntimeError("authorizer bug")

    def malformed(event, context):
        return {"hello": "world"}
''')


class AuthApi:
    """An HTTP API whose routes all reach one echo Lambda (the event comes back)."""

    def __init__(self, cloud, suffix: str = ""):
        self.cloud, self.suffix = cloud, suffix
        self.apigw = cloud.client("apigatewayv2")
        self.lam = cloud.client("lambda")
        self.role = cloud.client("iam").create_role(
            RoleName=f"auth-fn{suffix}",
            AssumeRolePolicyDocument=trust("lambda.amazonaws.com"))["Role"]["Arn"]
        self.api_id = self.apigw.create_api(Name="auth-api", ProtocolType="HTTP")["ApiId"]
        self.apigw.create_stage(ApiId=self.api_id, StageName="$default")
        self._zip = zip_files({"handlers.py": HANDLERS})
        self.echo = self.function("echo")
        self.integration = self.apigw.create_integration(
            ApiId=self.api_id, IntegrationType="AWS_PROXY", IntegrationUri=self.echo,
            PayloadFormatVersion="2.0")["IntegrationId"]

    def function(self, handler: str) -> str:
        name = handler.replace("_", "-") + self.suffix
        arn = self.lam.create_function(
            FunctionName=name, Runtime="python3.12", Role=self.role,
            Handler=f"handlers.{handler}", Code={"ZipFile": self._zip},
            Timeout=5)["FunctionArn"]
        wait_active(self.lam, name)
        return arn

    def route(self, route_key: str, **auth) -> str:
        return self.apigw.create_route(ApiId=self.api_id, RouteKey=route_key,
                                       Target=f"integrations/{self.integration}",
                                       **auth)["RouteId"]

    def jwt_authorizer(self, issuer: str, audience: list[str], **extra) -> str:
        return self.apigw.create_authorizer(
            ApiId=self.api_id, Name="jwt", AuthorizerType="JWT",
            IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={"Issuer": issuer, "Audience": audience},
            **extra)["AuthorizerId"]

    def call(self, path: str, method: str = "GET", headers: dict | None = None,
             body: bytes | None = None):
        return http(invoke_url(self.cloud, self.api_id, "$default") + path, method, body,
                    headers)


@pytest.fixture(scope="module")
def issuer():
    with LocalIssuer() as iss:
        yield iss


@pytest.fixture(scope="module")
def api(cloud, issuer):
    cloud.reset()  # one API for the module: the tests only read it
    api = AuthApi(cloud, "-jwt")
    auth = api.jwt_authorizer(issuer.url, ["photo-api"])
    api.route("GET /open")
    api.route("GET /photos", AuthorizationType="JWT", AuthorizerId=auth)
    api.route("POST /photos", AuthorizationType="JWT", AuthorizerId=auth,
              AuthorizationScopes=["photos/write", "photos/admin"])
    return api


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_route_without_authorization_is_open(api):
    status, _, _ = api.call("/open")
    assert status == 200


def test_no_token_is_401_unauthorized(api):
    status, _, body = api.call("/photos")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})


def test_valid_token_with_or_without_bearer_prefix(api, issuer):
    token = issuer.mint(sub="alice", aud="photo-api")
    assert api.call("/photos", headers=bearer(token))[0] == 200
    assert api.call("/photos", headers={"Authorization": token})[0] == 200


@pytest.mark.parametrize("case", ["expired", "wrong_audience", "wrong_key", "wrong_issuer",
                                  "not_yet_valid", "issued_in_future", "garbage", "unknown_kid"])
def test_each_failed_check_is_401(api, issuer, case):
    now = time.time()
    token = {
        "expired": lambda: issuer.mint(aud="photo-api", expires_in=-60),
        "wrong_audience": lambda: issuer.mint(aud="someone-else"),
        "wrong_key": lambda: issuer.mint(aud="photo-api", key=new_rsa_key()),
        "wrong_issuer": lambda: issuer.mint(aud="photo-api", issuer="https://evil.example"),
        "not_yet_valid": lambda: issuer.mint(aud="photo-api", not_before=now + 600),
        "issued_in_future": lambda: issuer.mint(aud="photo-api", issued_at=now + 600),
        "garbage": lambda: "not.a.jwt",
        "unknown_kid": lambda: issuer.mint(aud="photo-api", key=new_rsa_key(), kid="other"),
    }[case]()
    status, _, body = api.call("/photos", headers=bearer(token))
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"}), case


def test_client_id_is_checked_when_there_is_no_aud(api, issuer):
    # Cognito access tokens carry client_id, not aud
    assert api.call("/photos", headers=bearer(issuer.mint(client_id="photo-api")))[0] == 200
    assert api.call("/photos", headers=bearer(issuer.mint(client_id="other")))[0] == 401


def test_route_scopes_need_one_matching_scope_else_403(api, issuer):
    none = issuer.mint(aud="photo-api")
    read = issuer.mint(aud="photo-api", scope="photos/read")
    write = issuer.mint(aud="photo-api", scope="photos/read photos/write")
    scp = issuer.mint(aud="photo-api", scp=["photos/admin"])
    status, _, body = api.call("/photos", "POST", bearer(read), b"{}")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    assert api.call("/photos", "POST", bearer(none), b"{}")[0] == 403
    assert api.call("/photos", "POST", bearer(write), b"{}")[0] == 200
    assert api.call("/photos", "POST", bearer(scp), b"{}")[0] == 200
    assert api.call("/photos", "GET", bearer(read))[0] == 200  # no scopes on GET


def test_claims_and_scopes_reach_the_integration(api, issuer):
    token = issuer.mint(sub="alice", aud="photo-api", scope="photos/write photos/read",
                        email="alice@example.com")
    status, _, body = api.call("/photos", "POST", bearer(token), b"{}")
    assert status == 200
    jwt_ctx = json.loads(body)["requestContext"]["authorizer"]["jwt"]
    assert jwt_ctx["scopes"] == ["photos/write", "photos/read"]
    claims = jwt_ctx["claims"]
    assert claims["sub"] == "alice"
    assert claims["email"] == "alice@example.com"
    assert claims["iss"] == issuer.url
    assert claims["aud"] == "photo-api"


def test_keys_are_cached(api, issuer):
    before = sum(p.endswith("jwks.json") for p in issuer.requests)
    for _ in range(5):
        assert api.call("/photos", headers=bearer(issuer.mint(aud="photo-api")))[0] == 200
    assert sum(p.endswith("jwks.json") for p in issuer.requests) - before <= 1


def test_non_loopback_http_issuer_is_refused_as_configuration_error(api):
    auth = api.jwt_authorizer("http://example.com", ["x"])
    api.route("GET /p", AuthorizationType="JWT", AuthorizerId=auth)
    status, _, body = api.call("/p", headers=bearer("a.b.c"))
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})


def test_access_log_carries_the_authorizer_outcome(api, issuer):
    api.call("/photos")
    api.call("/photos", headers=bearer(issuer.mint(aud="photo-api")))
    records = api.cloud.lab.apigw_access_log(api.api_id)
    refused, allowed = records[-2], records[-1]
    assert refused["status"] == 401 and refused["authorizerStatus"] == 401
    assert refused["errorResponseType"] == "UNAUTHORIZED"
    assert refused["authorizerError"]
    assert allowed["status"] == 200 and allowed["authorizerStatus"] == 200
    assert allowed["authorizerLatencyMs"] >= 0
    frame = access_log(api.cloud, api.api_id)
    assert list(frame["status"].tail(2)) == [401, 200]
