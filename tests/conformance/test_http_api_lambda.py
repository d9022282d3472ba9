"""HTTP API Lambda proxy integrations, payload format 2.0 and 1.0 (API Gateway Developer
Guide, http-api-develop-integrations-lambda), against the offline Lambda service."""

from __future__ import annotations

import base64
import json
import textwrap
import time
import urllib.request

import pytest

from lab.observe.access_log import access_log
from lab.stack import zip_files
from lab.stack.http_api import invoke_url
from tests.conformance.test_http_api_routing import http
from tests.fixtures.common import trust, wait_active

HANDLERS = textwrap.dedent('''
    import base64, json, time

    def echo(event, context):
        return event                      # 2.0: no statusCode -> inferred 200 JSON

    def echo_v1(event, context):
        return {"statusCode": 200, "body": json.dumps(event)}

    def hello(event, context):
        return "Hello from Lambda!"

    def custom(event, context):
        return {"statusCode": 201, "headers": {"x-custom": "yes", "content-type": "text/plain"},
                "cookies": ["a=1; Path=/", "b=2"], "body": "created"}

    def custom_v1(event, context):
        return {"statusCode": 202, "headers": {"x-one": "1"},
                "multiValueHeaders": {"x-many": ["p", "q"]}, "body": "accepted"}

    def binary(event, context):
        return {"statusCode": 200, "isBase64Encoded": True,
                "headers": {"content-type": "application/octet-stream"},
                "body": base64.b64encode(bytes(range(256))).decode()}

    def no_status_v1(event, context):
        return {"message": "1.0 needs a statusCode"}

    def fail(event, context):
        raise RuntimeError("boom")

    def slow(event, context):
        time.sleep(float(event.get("queryStringParameters", {}).get("s", "3")))
        return "late"
''')


class LambdaApi:
    def __init__(self, cloud):
        self.cloud = cloud
        self.apigw = cloud.client("apigatewayv2")
        self.lam = cloud.client("lambda")
        self.role = cloud.client("iam").create_role(
            RoleName="fn",
            AssumeRolePolicyDocument=trust("lambda.amazonaws.com"))["Role"]["Arn"]
        self.api_id = self.apigw.create_api(Name="fn-api", ProtocolType="HTTP")["ApiId"]
        self.apigw.create_stage(ApiId=self.api_id, StageName="$default")
        self.apigw.create_stage(ApiId=self.api_id, StageName="prod",
                                StageVariables={"colour": "green"})
        self._zip = zip_files({"handlers.py": HANDLERS})

    def route(self, route_key: str, handler: str, version: str = "2.0",
              timeout_ms: int | None = None, function_timeout: int = 10) -> None:
        name = handler.replace("_", "-") + version.replace(".", "")
        arn = self.lam.create_function(
            FunctionName=name, Runtime="python3.12", Role=self.role,
            Handler=f"handlers.{handler}", Code={"ZipFile": self._zip},
            Timeout=function_timeout)["FunctionArn"]
        wait_active(self.lam, name)
        kwargs = {"TimeoutInMillis": timeout_ms} if timeout_ms else {}
        integration = self.apigw.create_integration(
            ApiId=self.api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn,
            PayloadFormatVersion=version, **kwargs)["IntegrationId"]
        self.apigw.create_route(ApiId=self.api_id, RouteKey=route_key,
                                Target=f"integrations/{integration}")

    def call(self, path: str, method: str = "GET", body: bytes | None = None,
             headers: dict | None = None, stage: str = "$default"):
        return http(invoke_url(self.cloud, self.api_id, stage) + path, method, body, headers)


@pytest.fixture
def api(clean_cloud):
    return LambdaApi(clean_cloud)


def test_payload_2_0_event_field_by_field(api):
    api.route("POST /items/{id}", "echo")
    status, headers, body = api.call(
        "/items/42?b=2&a=1&a=3", "POST", b'{"hello": "world"}',
        {"Content-Type": "application/json", "Cookie": "c1=v1; c2=v2", "X-Custom": "x",
         "User-Agent": "lab-test/1.0"})
    assert status == 200, body
    assert headers["content-type"] == "application/json"  # inferred
    event = json.loads(body)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /items/{id}"
    assert event["rawPath"] == "/items/42"
    assert event["rawQueryString"] == "b=2&a=1&a=3"
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert event["headers"]["x-custom"] == "x"
    assert event["headers"]["content-type"] == "application/json"
    assert "cookie" not in event["headers"]
    assert all(k == k.lower() for k in event["headers"])
    assert event["queryStringParameters"] == {"b": "2", "a": "1,3"}
    assert event["pathParameters"] == {"id": "42"}
    assert event["body"] == '{"hello": "world"}'
    assert event["isBase64Encoded"] is False
    assert "stageVariables" not in event  # $default stage has none
    ctx = event["requestContext"]
    assert ctx["accountId"] == "123456789012"
    assert ctx["apiId"] == api.api_id
    assert ctx["domainName"] == f"{api.api_id}.execute-api.us-east-1.amazonaws.com"
    assert ctx["domainPrefix"] == api.api_id
    assert ctx["http"] == {"method": "POST", "path": "/items/42", "protocol": "HTTP/1.1",
                           "sourceIp": "127.0.0.1", "userAgent": "lab-test/1.0"}
    assert ctx["requestId"] == headers["apigw-requestid"]
    assert ctx["routeKey"] == "POST /items/{id}"
    assert ctx["stage"] == "$default"
    assert time.strptime(ctx["time"], "%d/%b/%Y:%H:%M:%S +0000")
    assert abs(ctx["timeEpoch"] / 1000 - time.time()) < 120


def test_payload_2_0_leaves_out_empty_fields_and_names_stage(api):
    api.route("GET /plain", "echo")
    status, _, body = api.call("/plain", stage="prod")
    assert status == 200
    event = json.loads(body)
    for absent in ("cookies", "queryStringParameters", "pathParameters", "body"):
        assert absent not in event
    assert event["rawQueryString"] == ""
    assert event["rawPath"] == "/prod/plain"  # a named stage is part of the path
    assert event["requestContext"]["stage"] == "prod"
    assert event["stageVariables"] == {"colour": "green"}


def test_binary_request_body_is_base64(api):
    api.route("POST /upload", "echo")
    raw = bytes(range(256))
    status, _, body = api.call("/upload", "POST", raw,
                               {"Content-Type": "application/octet-stream"})
    event = json.loads(body)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


def test_payload_1_0_event_field_by_field(api):
    api.route("GET /v1/{name}", "echo_v1", version="1.0")
    status, headers, body = api.call("/v1/rex?a=1&a=2", headers={"X-Rep": "r"})
    assert status == 200, body
    event = json.loads(body)
    assert event["version"] == "1.0"
    assert event["resource"] == "/v1/{name}"
    assert event["path"] == "/v1/rex"
    assert event["httpMethod"] == "GET"
    assert event["headers"]["X-Rep"] == "r"
    assert event["multiValueHeaders"]["X-Rep"] == ["r"]
    assert event["queryStringParameters"] == {"a": "2"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["pathParameters"] == {"name": "rex"}
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["requestId"] == headers["apigw-requestid"]
    assert ctx["httpMethod"] == "GET"
    assert ctx["resourcePath"] == "/v1/{name}"
    assert ctx["stage"] == "$default"
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert ctx["identity"]["caller"] is None
    for key in ("accountId", "apiId", "domainName", "domainPrefix", "extendedRequestId",
                "path", "protocol", "requestTime", "requestTimeEpoch"):
        assert key in ctx


def test_string_result_becomes_200_json(api):
    api.route("GET /hello", "hello")
    status, headers, body = api.call("/hello")
    assert (status, body) == (200, b"Hello from Lambda!")
    assert headers["content-type"] == "application/json"


def test_custom_response_status_headers_cookies(api):
    api.route("POST /things", "custom")
    status, headers, body = api.call("/things", "POST", b"")
    assert (status, body) == (201, b"created")
    assert headers["x-custom"] == "yes"
    assert headers["content-type"] == "text/plain"
    request = urllib.request.Request(invoke_url(api.cloud, api.api_id) + "/things",
                                     data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=60) as resp:
        assert resp.headers.get_all("set-cookie") == ["a=1; Path=/", "b=2"]  # one per cookie


def test_payload_1_0_multi_value_headers(api):
    api.route("GET /many", "custom_v1", version="1.0")
    status, headers, body = api.call("/many")
    assert (status, body) == (202, b"accepted")
    assert headers["x-one"] == "1"
    with urllib.request.urlopen(invoke_url(api.cloud, api.api_id) + "/many", timeout=60) as r:
        assert r.headers.get_all("x-many") == ["p", "q"]


def test_base64_response_body_is_decoded(api):
    api.route("GET /bin", "binary")
    status, _, body = api.call("/bin")
    assert (status, body) == (200, bytes(range(256)))


def test_payload_1_0_without_status_code_is_500(api):
    api.route("GET /bad", "no_status_v1", version="1.0")
    status, _, body = api.call("/bad")
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})


def test_handler_error_is_500_internal_server_error(api):
    api.route("GET /fail", "fail")
    status, _, body = api.call("/fail")
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    log = access_log(api.cloud, api.api_id)
    assert log["status"].iloc[-1] == 500
    assert log["integration_status"].iloc[-1] == 200  # Lambda's Invoke answered 200


def test_integration_timeout_is_503(api):
    api.route("GET /slow", "slow", timeout_ms=1000)
    started = time.monotonic()
    status, _, body = api.call("/slow?s=4")
    elapsed = time.monotonic() - started
    assert (status, json.loads(body)) == (503, {"message": "Service Unavailable"})
    assert elapsed < 3.5  # answered at the integration timeout, not when the function ended


def test_function_timeout_is_500(api):
    api.route("GET /slow", "slow", function_timeout=1)
    status, _, body = api.call("/slow?s=3")
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
