"""HTTP API stage and route selection (API Gateway Developer Guide, http-api-develop-routes).

Every route here targets one SQS-SendMessage integration whose MessageBody is
`$context.routeKey`, so the message in the queue names the route API Gateway selected.
"""

from __future__ import annotations

import http.client as httplib
import json
from urllib.parse import urlparse

import pytest

from lab.observe.access_log import access_log
from lab.stack.http_api import invoke_url
from tests.fixtures.common import trust


def http(url: str, method: str = "GET", body: bytes | None = None,
         headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request with http.client: (status, lower-case headers, body)."""
    parts = urlparse(url)
    conn = httplib.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


class RoutedApi:
    """An HTTP API whose routes all send `$context.routeKey` to one queue."""

    def __init__(self, cloud, stages=("$default",)):
        self.cloud = cloud
        self.apigw = cloud.client("apigatewayv2")
        self.sqs = cloud.client("sqs")
        role = cloud.client("iam").create_role(
            RoleName="apigw-to-sqs",
            AssumeRolePolicyDocument=trust("apigateway.amazonaws.com"))["Role"]["Arn"]
        self.queue_url = self.sqs.create_queue(QueueName="routes")["QueueUrl"]
        self.api_id = self.apigw.create_api(Name="routing", ProtocolType="HTTP")["ApiId"]
        self.integration_id = self.apigw.create_integration(
            ApiId=self.api_id, IntegrationType="AWS_PROXY",
            IntegrationSubtype="SQS-SendMessage", PayloadFormatVersion="1.0",
            CredentialsArn=role,
            RequestParameters={"QueueUrl": self.queue_url,
                               "MessageBody": "$context.routeKey"})["IntegrationId"]
        for stage in stages:
            self.apigw.create_stage(ApiId=self.api_id, StageName=stage, AutoDeploy=True)

    def route(self, *keys: str) -> RoutedApi:
        for key in keys:
            self.apigw.create_route(ApiId=self.api_id, RouteKey=key,
                                    Target=f"integrations/{self.integration_id}")
        return self

    def selected(self, method: str, path: str, stage: str = "$default") -> str | None:
        """The route key API Gateway selected, or None for 404 Not Found."""
        status, _, body = http(invoke_url(self.cloud, self.api_id, stage) + path, method,
                               body=b"" if method in ("POST", "PUT", "PATCH") else None)
        if status == 404:
            assert json.loads(body) == {"message": "Not Found"}
            return None
        assert status == 200, body
        messages = self.sqs.receive_message(QueueUrl=self.queue_url, WaitTimeSeconds=1)
        message = messages["Messages"][0]
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return message["Body"]


@pytest.fixture
def api(clean_cloud):
    return RoutedApi(clean_cloud)


def test_full_match_of_method_and_path(api):
    api.route("GET /pets", "POST /pets")
    assert api.selected("GET", "/pets") == "GET /pets"
    assert api.selected("POST", "/pets") == "POST /pets"


def test_no_route_matches_is_404_not_found(api):
    api.route("GET /pets")
    assert api.selected("GET", "/cats") is None
    assert api.selected("DELETE", "/pets") is None  # the path exists, not for this method
    assert api.selected("GET", "/pets/1") is None   # no greedy variable, no deeper match


def test_any_matches_methods_without_their_own_route(api):
    api.route("GET /pets", "ANY /pets")
    assert api.selected("GET", "/pets") == "GET /pets"
    assert api.selected("DELETE", "/pets") == "ANY /pets"
    assert api.selected("PATCH", "/pets") == "ANY /pets"


def test_path_variable_matches_exactly_one_segment(api):
    api.route("GET /pets/{petId}")
    assert api.selected("GET", "/pets/6") == "GET /pets/{petId}"
    assert api.selected("GET", "/pets/6/toys") is None
    assert api.selected("GET", "/pets") is None


def test_greedy_variable_catches_all_child_resources(api):
    api.route("GET /pets/{proxy+}")
    assert api.selected("GET", "/pets/cat/1") == "GET /pets/{proxy+}"
    assert api.selected("GET", "/pets/dog") == "GET /pets/{proxy+}"
    assert api.selected("GET", "/pets") is None  # the greedy variable needs a child


def test_documented_precedence_example(api):
    """The guide's table: full match, then greedy, then ANY greedy, $default last."""
    api.route("GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}", "$default")
    assert api.selected("GET", "/pets/dog/1") == "GET /pets/dog/{id}"
    assert api.selected("GET", "/pets/cat/1") == "GET /pets/{proxy+}"
    assert api.selected("POST", "/test/5") == "ANY /{proxy+}"


def test_default_route_catches_what_nothing_else_matches(api):
    api.route("GET /pets", "$default")
    assert api.selected("GET", "/pets") == "GET /pets"
    assert api.selected("PUT", "/anything/at/all") == "$default"
    assert api.selected("GET", "/") == "$default"


def test_literal_segment_beats_path_variable(api):
    api.route("GET /pets/{id}", "GET /pets/dog")
    assert api.selected("GET", "/pets/dog") == "GET /pets/dog"
    assert api.selected("GET", "/pets/cat") == "GET /pets/{id}"


def test_longer_greedy_prefix_is_more_specific(api):
    api.route("ANY /{proxy+}", "ANY /pets/{proxy+}")
    assert api.selected("GET", "/pets/a/b") == "ANY /pets/{proxy+}"
    assert api.selected("GET", "/toys/a") == "ANY /{proxy+}"


def test_full_match_with_any_beats_greedy_with_method(api):
    api.route("ANY /pets/dog", "GET /pets/{proxy+}")
    assert api.selected("GET", "/pets/dog") == "ANY /pets/dog"


def test_named_stage_serves_under_its_name(clean_cloud):
    api = RoutedApi(clean_cloud, stages=("prod",)).route("GET /pets")
    assert api.selected("GET", "/pets", stage="prod") == "GET /pets"
    # no $default stage: a path that names no stage finds nothing
    status, _, body = http(invoke_url(clean_cloud, api.api_id) + "/pets")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_request_goes_to_default_stage_when_no_stage_matches(clean_cloud):
    api = RoutedApi(clean_cloud, stages=("$default", "prod")).route("GET /{proxy+}")
    assert api.selected("GET", "/prod/x", stage="$default") == "GET /{proxy+}"  # stage prod
    assert api.selected("GET", "/beta/x", stage="$default") == "GET /{proxy+}"  # $default
    records = access_log(clean_cloud, api.api_id)
    assert list(records["stage"]) == ["prod", "$default"]


def test_api_without_any_stage_is_not_found(clean_cloud):
    api = RoutedApi(clean_cloud, stages=()).route("GET /pets")
    status, _, body = http(invoke_url(clean_cloud, api.api_id) + "/pets")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_unknown_api_is_not_found(clean_cloud):
    status, _, body = http(invoke_url(clean_cloud, "nosuchapi") + "/pets")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})


def test_path_variables_are_url_decoded(api):
    api.apigw.update_integration(
        ApiId=api.api_id, IntegrationId=api.integration_id,
        RequestParameters={"QueueUrl": api.queue_url, "MessageBody": "$request.path.name"})
    api.route("GET /pets/{name}")
    assert api.selected("GET", "/pets/caf%C3%A9%20au%20lait") == "café au lait"


def test_every_response_carries_apigw_requestid(api):
    api.route("GET /pets")
    for path in ("/pets", "/nothing"):
        _, headers, _ = http(invoke_url(api.cloud, api.api_id) + path)
        assert headers.get("apigw-requestid")
