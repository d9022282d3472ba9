"""Stack builders: create-or-get, tagged with the run id, torn down completely."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from lab.stack import RUN_TAG, Stack, zip_function


def test_zip_function_packages_one_module_from_lab_functions():
    with zipfile.ZipFile(io.BytesIO(zip_function("hello"))) as zf:
        assert zf.namelist() == ["hello.py"]
        assert "def handler(event, context)" in zf.read("hello.py").decode()


def test_queue_with_dead_letter_is_create_or_get_tagged_and_torn_down(clean_cloud):
    stack = Stack(clean_cloud, "t1")
    dlq = stack.queue("dlq")
    q = stack.queue("work", visibility_timeout=18, dead_letter=dlq, max_receive_count=4)
    again = stack.queue("work", visibility_timeout=18, dead_letter=dlq, max_receive_count=4)
    assert again.url == q.url and q.name == "t1-work"
    sqs = clean_cloud.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=q.url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "18"
    assert attrs["MaximumMessageSize"] == "1048576"
    assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": dlq.arn,
                                                  "maxReceiveCount": 4}
    assert sqs.list_queue_tags(QueueUrl=q.url)["Tags"][RUN_TAG] == stack.run_id
    fifo = stack.queue("orders", fifo=True, content_based_deduplication=True)
    assert fifo.name == "t1-orders.fifo"
    deleted = stack.teardown()
    assert len(deleted) == 3
    assert "QueueUrls" not in sqs.list_queues()


def test_role_and_function_are_created_once_and_deleted(clean_cloud):
    stack = Stack(clean_cloud, "t2")
    role = stack.role("fn-role", "lambda.amazonaws.com",
                      policy={"Version": "2012-10-17", "Statement": [{
                          "Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "*"}]})
    fn = stack.function("hello", "hello", role_arn=role, timeout=5, memory_size=256)
    fn2 = stack.function("hello", "hello", role_arn=role, timeout=6, memory_size=256)
    assert fn.arn == fn2.arn
    lam = clean_cloud.client("lambda")
    config = lam.get_function_configuration(FunctionName=fn.name)
    assert config["Timeout"] == 6 and config["Handler"] == "hello.handler"
    assert lam.list_tags(Resource=fn.arn)["Tags"][RUN_TAG] == stack.run_id
    stack.teardown()
    assert lam.list_functions()["Functions"] == []
    assert not [r for r in clean_cloud.client("iam").list_roles()["Roles"]
                if r["RoleName"] == "t2-fn-role"]


def test_http_api_to_sqs_is_configured_with_a_default_stage(clean_cloud):
    with Stack(clean_cloud, "t3") as stack:
        q = stack.queue("in")
        role = stack.role("api-role", "apigateway.amazonaws.com")
        api_id = stack.http_api_to_sqs("api", q, role_arn=role, route_key="POST /photos")
        assert stack.http_api_to_sqs("api", q, role_arn=role, route_key="POST /photos") == api_id
        apigw = clean_cloud.client("apigatewayv2")
        routes = apigw.get_routes(ApiId=api_id)["Items"]
        assert [r["RouteKey"] for r in routes] == ["POST /photos"]
        integ = apigw.get_integrations(ApiId=api_id)["Items"][0]
        assert integ["IntegrationSubtype"] == "SQS-SendMessage"
        assert integ["RequestParameters"]["QueueUrl"] == q.url
        assert [s["StageName"] for s in apigw.get_stages(ApiId=api_id)["Items"]] == ["$default"]
    assert clean_cloud.client("apigatewayv2").get_apis()["Items"] == []


def test_a_function_s_log_group_is_torn_down_with_it(clean_cloud):
    stack = Stack(clean_cloud, "t4")
    role = stack.role("fn-role", "lambda.amazonaws.com")
    fn = stack.function("hello", "hello", role_arn=role)
    clean_cloud.client("lambda").invoke(FunctionName=fn.name, Payload=b"{}")
    logs = clean_cloud.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{fn.name}")["logGroups"]
    assert [g["logGroupName"] for g in groups] == [f"/aws/lambda/{fn.name}"]
    assert groups[0]["retentionInDays"] >= 1
    stack.teardown()
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"] == []


def test_waiting_for_an_event_source_mapping_polls_until_enabled_and_fails_if_disabled():
    from lab.stack import wait_for_mapping

    class Lambda:
        def __init__(self, states):
            self.states = list(states)

        def get_event_source_mapping(self, UUID):  # noqa: N803 - the boto3 parameter name
            return {"UUID": UUID, "State": self.states.pop(0)}

    sleeps: list[float] = []
    lam = Lambda(["Creating", "Enabling", "Enabled"])
    assert wait_for_mapping(lam, "u1", "Enabled", poll_every=0.1, sleep=sleeps.append) == "Enabled"
    assert sleeps == [0.1, 0.1]
    with pytest.raises(TimeoutError, match="is Disabled, not Enabled"):
        wait_for_mapping(Lambda(["Enabling", "Disabled"]), "u2", sleep=sleeps.append)
    with pytest.raises(TimeoutError, match="is Enabling, not Enabled"):
        wait_for_mapping(Lambda(["Enabling"] * 10), "u3", timeout=0.5, poll_every=0.1,
                         sleep=sleeps.append)
