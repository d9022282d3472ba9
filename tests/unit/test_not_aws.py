"""Plain HTTP requests that are not AWS calls get a 404 JSON that points to the HTTP APIs,
while signed S3 calls, presigned URLs, unsigned query-protocol calls and moto's own routes
still reach moto."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest


def _request(url: str, method: str = "GET", data: bytes | None = None,
             headers: dict | None = None) -> tuple[int, str, bytes]:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


@pytest.mark.parametrize("method,path,content_type", [
    ("POST", "/photos", "application/json"),
    ("POST", "/photos", "application/x-www-form-urlencoded"),  # curl -d's default
    ("GET", "/photos/p0001", None),
])
def test_a_request_without_the_execute_api_prefix_gets_a_404_that_says_where_apis_are(
        clean_cloud, method, path, content_type):
    api_id = clean_cloud.client("apigatewayv2").create_api(Name="photos",
                                                           ProtocolType="HTTP")["ApiId"]
    headers = {"Content-Type": content_type} if content_type else {}
    data = b'{"photo_id": "p0001"}' if method == "POST" else None
    status, ctype, body = _request(clean_cloud.endpoint_url + path, method, data, headers)
    assert status == 404
    assert ctype.startswith("application/json")
    answer = json.loads(body)
    assert answer["message"] == "Not Found"
    assert answer["http_apis"] == f"{clean_cloud.endpoint_url}/_aws/execute-api/<apiId>/<path>"
    assert "apigatewayv2 get-apis" in answer["list_apis"]
    assert answer["apis"] == [{"apiId": api_id, "name": "photos",
                               "url": f"{clean_cloud.endpoint_url}/_aws/execute-api/{api_id}{path}"}]


def test_signed_s3_calls_and_presigned_urls_still_reach_s3(clean_cloud):
    s3 = clean_cloud.client("s3")
    s3.create_bucket(Bucket="photos-bucket")
    s3.put_object(Bucket="photos-bucket", Key="p0001.jpg", Body=b"jpeg")
    assert s3.get_object(Bucket="photos-bucket", Key="p0001.jpg")["Body"].read() == b"jpeg"
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "photos-bucket",
                                                          "Key": "p0001.jpg"})
    status, _, body = _request(url)
    assert (status, body) == (200, b"jpeg")
    status, _, _ = _request(f"{clean_cloud.endpoint_url}/photos-bucket/p0001.jpg")
    assert status != 404, "an unsigned request for an existing bucket is S3's to answer"


def test_unsigned_query_protocol_calls_and_moto_routes_still_reach_moto(clean_cloud):
    # moto answers these itself (how well is moto's business): never the lab's 404
    for method, path, data, headers in [
            ("GET", "/?Action=ListQueues", None, {}),
            ("POST", "/", b"Action=ListQueues",
             {"Content-Type": "application/x-www-form-urlencoded"}),
            ("GET", "/moto-api/", None, {})]:
        status, _, body = _request(clean_cloud.endpoint_url + path, method, data, headers)
        assert b"/_aws/execute-api/" not in body, (method, path, status)
    status, _, _ = _request(f"{clean_cloud.endpoint_url}/moto-api/")
    assert status == 200
