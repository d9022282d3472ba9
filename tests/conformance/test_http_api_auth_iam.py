"""HTTP API IAM authorization (AWS_IAM; API Gateway Developer Guide
http-api-access-control-iam): requests signed with SigV4 for execute-api, checked
against IAM's access keys and the offline default credentials."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from lab.stack.http_api import invoke_url
from tests.conformance.test_http_api_auth_jwt import AuthApi
from tests.conformance.test_http_api_routing import http


@pytest.fixture(scope="module")
def api(cloud):
    cloud.reset()
    api = AuthApi(cloud, "-iam")
    api.route("POST /signed", AuthorizationType="AWS_IAM")
    return api


def signed_call(api, key: str, secret: str, body: bytes = b'{"a": 1}', tamper=None):
    url = invoke_url(api.cloud, api.api_id, "$default") + "/signed?x=1"
    request = AWSRequest(method="POST", url=url, data=body,
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(key, secret), "execute-api", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())
    headers["Host"] = urlparse(url).netloc
    if tamper:
        body = tamper
    return http(url, "POST", body, headers)


def test_unsigned_request_is_403_forbidden(api):
    status, _, body = api.call("/signed?x=1", "POST", body=b"{}")
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})


def test_default_offline_credentials_sign_valid_requests(api):
    status, _, body = signed_call(api, "testing", "testing")
    assert status == 200, body
    iam = json.loads(body)["requestContext"]["authorizer"]["iam"]
    assert iam["accessKey"] == "testing"
    assert iam["accountId"] == "123456789012"


def test_iam_user_access_key_signs_and_is_identified(api):
    iam = api.cloud.client("iam")
    iam.create_user(UserName="photographer")
    key = iam.create_access_key(UserName="photographer")["AccessKey"]
    status, _, body = signed_call(api, key["AccessKeyId"], key["SecretAccessKey"])
    assert status == 200, body
    who = json.loads(body)["requestContext"]["authorizer"]["iam"]
    assert who["userArn"] == "arn:aws:iam::123456789012:user/photographer"


def test_wrong_secret_unknown_key_and_tampered_body_are_403(api):
    status, _, body = signed_call(api, "testing", "not-the-secret")
    assert status == 403
    assert "signature we calculated does not match" in json.loads(body)["message"]
    status, _, body = signed_call(api, "AKIANOBODY0000000000", "whatever")
    assert (status, json.loads(body)["message"]) == (
        403, "The security token included in the request is invalid.")
    status, _, _ = signed_call(api, "testing", "testing", tamper=b'{"a": 2}')
    assert status == 403
