"""HTTP API `AWS_PROXY` + `SQS-SendMessage` (API Gateway Developer Guide,
http-api-develop-integrations-aws-services and -aws-services-reference)."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from lab.observe.access_log import access_log
from lab.stack.http_api import invoke_url
from tests.conformance.test_http_api_routing import http
from tests.fixtures.common import trust


class SqsApi:
    """`POST /send/{item}` -> SQS-SendMessage with the RequestParameters a test gives."""

    def __init__(self, cloud, queue_name="orders", attributes=None, access_log_settings=None):
        self.cloud = cloud
        self.apigw = cloud.client("apigatewayv2")
        self.sqs = cloud.client("sqs")
        self.iam = cloud.client("iam")
        self.role = self.iam.create_role(
            RoleName="apigw-sqs",
            AssumeRolePolicyDocument=trust("apigateway.amazonaws.com"))["Role"]["Arn"]
        self.queue_url = self.sqs.create_queue(QueueName=queue_name,
                                               Attributes=attributes or {})["QueueUrl"]
        self.api_id = self.apigw.create_api(Name="sqs", ProtocolType="HTTP")["ApiId"]
        extra = {"AccessLogSettings": access_log_settings} if access_log_settings else {}
        self.apigw.create_stage(ApiId=self.api_id, StageName="$default",
                                StageVariables={"team": "blue"}, **extra)
        self.integration_id = None

    def integrate(self, role=None, **params) -> SqsApi:
        request_parameters = {"QueueUrl": self.queue_url, "MessageBody": "$request.body"}
        request_parameters.update(params)
        self.integration_id = self.apigw.create_integration(
            ApiId=self.api_id, IntegrationType="AWS_PROXY",
            IntegrationSubtype="SQS-SendMessage", PayloadFormatVersion="1.0",
            CredentialsArn=role or self.role,
            RequestParameters=request_parameters)["IntegrationId"]
        self.apigw.create_route(ApiId=self.api_id, RouteKey="POST /send/{item}",
                                Target=f"integrations/{self.integration_id}")
        return self

    def post(self, body: bytes = b"{}", path: str = "/send/widget", headers=None):
        return http(invoke_url(self.cloud, self.api_id) + path, "POST", body, headers)

    def receive(self, **kwargs) -> dict:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, WaitTimeSeconds=1, MessageAttributeNames=["All"],
            AttributeNames=["All"], **kwargs).get("Messages", [])
        assert len(messages) == 1, messages
        return messages[0]


@pytest.fixture
def api(clean_cloud):
    return SqsApi(clean_cloud)


def test_success_returns_sendmessage_response(api):
    api.integrate()
    status, headers, body = api.post(b'{"order": 1}')
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    result = json.loads(body)["SendMessageResponse"]
    assert result["ResponseMetadata"]["RequestId"]
    sent = result["SendMessageResult"]
    message = api.receive()
    assert sent["MessageId"] == message["MessageId"]
    assert sent["MD5OfMessageBody"] == hashlib.md5(b'{"order": 1}').hexdigest()
    assert sent["SequenceNumber"] is None  # standard queue
    assert message["Body"] == '{"order": 1}'


@pytest.mark.parametrize("expression, request_kwargs, expected", [
    ("$request.body", {"body": b"raw text"}, "raw text"),
    ("$request.body.order.id", {"body": b'{"order": {"id": "A-7"}}'}, "A-7"),
    ("$request.body.items[1]", {"body": b'{"items": ["a", "b"]}'}, "b"),
    ("$request.body.order", {"body": b'{"order": {"id": 7}}'}, '{"id":7}'),
    ("$request.body.n", {"body": b'{"n": 42}'}, "42"),
    ("$request.header.X-Order", {"headers": {"x-order": "from-header"}}, "from-header"),
    ("$request.querystring.ref", {"path": "/send/widget?ref=q1&ref=q2"}, "q1,q2"),
    ("$request.path.item", {"path": "/send/gadget"}, "gadget"),
    ("$context.routeKey", {}, "POST /send/{item}"),
    ("$context.httpMethod", {}, "POST"),
    ("$context.stage", {}, "$default"),
    ("$stageVariables.team", {}, "blue"),
    ("a literal body", {}, "a literal body"),
])
def test_message_body_mapping_expressions(api, expression, request_kwargs, expected):
    api.integrate(MessageBody=expression)
    status, _, body = api.post(**request_kwargs)
    assert status == 200, body
    assert api.receive()["Body"] == expected


def test_context_request_id_is_the_gateway_request_id(api):
    api.integrate(MessageBody="$context.requestId")
    status, headers, _ = api.post()
    assert status == 200
    assert api.receive()["Body"] == headers["apigw-requestid"]


def test_header_names_are_case_insensitive_and_repeats_joined(api):
    api.integrate(MessageBody="$request.header.x-ORDER")
    import http.client as httplib
    from urllib.parse import urlparse

    url = urlparse(invoke_url(api.cloud, api.api_id) + "/send/w")
    conn = httplib.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.putrequest("POST", url.path)
    conn.putheader("X-Order", "one")
    conn.putheader("X-Order", "two")
    conn.putheader("Content-Length", "0")
    conn.endheaders()
    assert conn.getresponse().status == 200
    conn.close()
    assert api.receive()["Body"] == "one,two"


def test_optional_parameters_delay_attributes(api):
    attributes = {"source": {"DataType": "String", "StringValue": "web"}}
    api.integrate(DelaySeconds="$request.querystring.delay",
                  MessageAttributes=json.dumps(attributes))
    status, _, body = api.post(b"delayed", path="/send/w?delay=1")
    assert status == 200, body
    assert json.loads(body)["SendMessageResponse"]["SendMessageResult"][
        "MD5OfMessageAttributes"]
    assert api.sqs.receive_message(QueueUrl=api.queue_url).get("Messages") is None  # delayed
    message = api.receive()  # visible once the 1 s delay passes (the wait is 1 s)
    assert message["Body"] == "delayed"
    assert message["MessageAttributes"]["source"]["StringValue"] == "web"


def test_fifo_group_and_deduplication_id(clean_cloud):
    api = SqsApi(clean_cloud, "orders.fifo", {"FifoQueue": "true"}).integrate(
        MessageGroupId="$request.path.item", MessageDeduplicationId="$request.header.idem")
    first = api.post(b"one", "/send/g1", {"idem": "k1"})
    again = api.post(b"one again", "/send/g1", {"idem": "k1"})
    assert first[0] == again[0] == 200
    sent = json.loads(first[2])["SendMessageResponse"]["SendMessageResult"]
    assert sent["SequenceNumber"]
    message = api.receive()
    assert message["Body"] == "one"  # the duplicate within 5 minutes is not delivered
    assert message["Attributes"]["MessageGroupId"] == "g1"
    assert message["Attributes"]["MessageDeduplicationId"] == "k1"


def test_region_parameter_sends_to_that_region(clean_cloud):
    api = SqsApi(clean_cloud)
    west = clean_cloud.client("sqs", region_name="eu-west-1")
    west_url = west.create_queue(QueueName="west")["QueueUrl"]
    api.integrate(QueueUrl=west_url, Region="eu-west-1")
    assert api.post(b"to the west")[0] == 200
    assert west.receive_message(QueueUrl=west_url, WaitTimeSeconds=1)["Messages"][0]["Body"] \
        == "to the west"


@pytest.mark.parametrize("body", [b"not json", b'{"other": 1}', b'{"order": null}',
                                  b'{"order": [1]}'])
def test_json_path_selecting_nothing_is_400_bad_request(api, body):
    api.integrate(MessageBody="$request.body.order.id")
    status, _, answer = api.post(body)
    assert (status, json.loads(answer)) == (400, {"message": "Bad Request"})
    assert api.sqs.receive_message(QueueUrl=api.queue_url).get("Messages") is None


def test_json_path_applies_to_the_first_100_kb_only(api):
    api.integrate(MessageBody="$request.body.a")
    big = json.dumps({"pad": "x" * 110_000, "a": "late"}).encode()
    assert api.post(big)[0] == 400  # truncated at 100 KB: no longer JSON
    small = json.dumps({"a": "early", "pad": "x" * 1000}).encode()
    assert api.post(small)[0] == 200


def test_missing_queue_returns_sqs_error(api):
    api.integrate(QueueUrl=api.queue_url.rsplit("/", 1)[0] + "/no-such-queue")
    status, _, body = api.post(b"lost?")
    assert status == 400
    error = json.loads(body)["Error"]
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["Type"] == "Sender"


def test_message_over_1_mib_is_refused_by_sqs(api):
    api.integrate()
    limit = 1_048_576
    assert api.post(b"x" * limit)[0] == 200
    status, _, body = api.post(b"x" * (limit + 1))
    assert status == 400
    assert json.loads(body)["Error"]["Code"] == "InvalidParameterValue"
    assert len(api.receive()["Body"]) == limit  # only the first one was queued


def test_request_over_10_mb_is_413(api):
    api.integrate()
    status, _, body = api.post(b"x" * (10 * 1024 * 1024 + 1))
    assert (status, json.loads(body)) == (413, {"message": "Request Entity Too Large"})


def test_role_that_does_not_exist_is_500(api):
    api.integrate(role="arn:aws:iam::123456789012:role/not-there")
    status, _, body = api.post()
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    log = access_log(api.cloud, api.api_id)
    assert "not-there does not exist" in log["integration_error"].iloc[-1]


def test_role_not_trusted_by_apigateway_is_500(api):
    lambda_role = api.iam.create_role(RoleName="for-lambda", AssumeRolePolicyDocument=trust(
        "lambda.amazonaws.com"))["Role"]["Arn"]
    api.integrate(role=lambda_role)
    status, _, body = api.post()
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    assert api.sqs.receive_message(QueueUrl=api.queue_url).get("Messages") is None


def test_trust_policy_changes_and_role_deletion_apply_to_later_requests(api):
    """API Gateway assumes the role per request: an UpdateAssumeRolePolicy or DeleteRole
    made after earlier requests decides the next one."""
    api.integrate()
    assert api.post()[0] == 200
    api.iam.update_assume_role_policy(RoleName="apigw-sqs",
                                      PolicyDocument=trust("lambda.amazonaws.com"))
    assert api.post()[0] == 500
    api.iam.update_assume_role_policy(RoleName="apigw-sqs",
                                      PolicyDocument=trust("apigateway.amazonaws.com"))
    assert api.post()[0] == 200
    api.iam.delete_role(RoleName="apigw-sqs")
    status, _, body = api.post()
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
    assert "apigw-sqs does not exist" in access_log(api.cloud, api.api_id)[
        "integration_error"].iloc[-1]


def test_parallel_requests_each_send_one_message(api):
    api.integrate(MessageBody="$request.path.item")
    n = 24
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda i: api.post(path=f"/send/m{i}"), range(n)))
    assert [r[0] for r in results] == [200] * n
    ids = {json.loads(r[2])["SendMessageResponse"]["SendMessageResult"]["MessageId"]
           for r in results}
    assert len(ids) == n
    bodies = set()
    for _ in range(10):
        batch = api.sqs.receive_message(QueueUrl=api.queue_url, MaxNumberOfMessages=10,
                                        WaitTimeSeconds=1).get("Messages", [])
        bodies.update(m["Body"] for m in batch)
        if len(bodies) == n:
            break
    assert bodies == {f"m{i}" for i in range(n)}
