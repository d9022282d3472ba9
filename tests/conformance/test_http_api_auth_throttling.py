"""HTTP API throttling (API Gateway Developer Guide http-api-throttling): token buckets from
the stage's DefaultRouteSettings and RouteSettings, counted (not timed): a rate near zero
makes the burst the exact number of requests admitted."""

from __future__ import annotations

import json

import pytest

from tests.conformance.test_http_api_auth_jwt import AuthApi

SLOW = 0.001  # requests per second: no token comes back during a test


@pytest.fixture(scope="module")
def api(cloud):
    cloud.reset()
    api = AuthApi(cloud, "-thr")
    for path in ("/a", "/b", "/c"):
        api.route(f"GET {path}")
    return api


def statuses(api, path: str, n: int) -> list[int]:
    return [api.call(path)[0] for _ in range(n)]


def test_update_stage_stores_route_settings(api):
    api.apigw.update_stage(
        ApiId=api.api_id, StageName="$default",
        DefaultRouteSettings={"ThrottlingBurstLimit": 3, "ThrottlingRateLimit": SLOW},
        RouteSettings={"GET /b": {"ThrottlingBurstLimit": 5, "ThrottlingRateLimit": SLOW}})
    stage = api.apigw.get_stage(ApiId=api.api_id, StageName="$default")
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 3
    assert stage["RouteSettings"]["GET /b"]["ThrottlingBurstLimit"] == 5


def test_burst_then_429_per_route_bucket(api):
    a = statuses(api, "/a", 8)
    assert a.count(200) == 3 and a.count(429) == 5
    assert a[:3] == [200] * 3  # the bucket starts full
    b = statuses(api, "/b", 8)  # its own bucket, its own burst
    assert b.count(200) == 5 and b.count(429) == 3
    status, _, body = api.call("/a")
    assert (status, json.loads(body)) == (429, {"message": "Too Many Requests"})
    record = api.cloud.lab.apigw_access_log(api.api_id)[-1]
    assert (record["status"], record["errorResponseType"]) == (429, "THROTTLED")


def test_zero_limits_block_every_request(api):
    api.apigw.update_stage(ApiId=api.api_id, StageName="$default", RouteSettings={
        "GET /c": {"ThrottlingBurstLimit": 0, "ThrottlingRateLimit": 0}})
    assert statuses(api, "/c", 3) == [429, 429, 429]


def test_route_settings_for_an_unknown_route_are_refused(api):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        api.apigw.update_stage(ApiId=api.api_id, StageName="$default", RouteSettings={
            "GET /nowhere": {"ThrottlingBurstLimit": 1}})
    assert caught.value.response["Error"]["Code"] == "BadRequestException"


def test_create_stage_with_default_route_settings_throttles(api):
    api.apigw.create_stage(ApiId=api.api_id, StageName="slow", DefaultRouteSettings={
        "ThrottlingBurstLimit": 2, "ThrottlingRateLimit": SLOW})
    from lab.stack.http_api import invoke_url
    from tests.conformance.test_http_api_routing import http

    url = invoke_url(api.cloud, api.api_id, "slow") + "/a"
    assert [http(url)[0] for _ in range(4)] == [200, 200, 429, 429]
