"""The stack builders on the aws target: every AWS call pinned with botocore's Stubber (which
validates parameters and responses against the service models), in the order AWS needs it,
with the retries real AWS requires (IAM propagation, throttling, a queue name reused within
60 s) and the waiters (function Active, mapping Enabled, stage deployed)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.stub import ANY

from lab.stack import Stack, TeardownError, policies
from lab.stack.retry import Backoff
from lab.targets.stubbed import StubbedAwsTarget

ACCOUNT = "111122223333"
REGION = "us-east-1"
TAGS = {"lab:run-id": "r1", "lab:project": "serverless-lab"}
TAG_LIST = [{"Key": "lab:run-id", "Value": "r1"}, {"Key": "lab:project", "Value": "serverless-lab"}]
QURL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/lat-r1-work"
QARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:lat-r1-work"
FN = "lat-r1-handler"
FN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FN}"
FN_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/serverless-lab/lat-r1-fn-role"
API_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/serverless-lab/lat-r1-api-role"
ESM_UUID = "6a4f0a3e-0000-4000-8000-00000000e5a1"
NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)


@pytest.fixture
def aws(waiter_sleeps):
    target = StubbedAwsTarget(REGION, ACCOUNT)
    target.waiter_sleeps = waiter_sleeps
    return target


@pytest.fixture
def sleeps():
    return []


def make_stack(aws, sleeps) -> Stack:
    return Stack(aws, "lat", run_id="r1", backoff=Backoff(sleep=sleeps.append))


def role_response(name: str, arn: str) -> dict:
    return {"Role": {"Path": "/serverless-lab/", "RoleName": name, "RoleId": "AROASTUBBEDROLE" + name[-4:].upper(),
                     "Arn": arn, "CreateDate": NOW}}


def queue_stubs(aws, *, deleted_recently: bool = False):
    sqs = aws.stub("sqs")
    params = {"QueueName": "lat-r1-work", "Attributes": {
        "VisibilityTimeout": "30", "MaximumMessageSize": "1048576",
        "ReceiveMessageWaitTimeSeconds": "0"}, "tags": TAGS}
    if deleted_recently:
        sqs.add_client_error("create_queue", "AWS.SimpleQueueService.QueueDeletedRecently",
                             "You must wait 60 seconds after deleting a queue before you can "
                             "create another with the same name.", 400, expected_params=params)
    sqs.add_response("create_queue", {"QueueUrl": QURL}, params)
    sqs.add_response("get_queue_attributes", {"Attributes": {"QueueArn": QARN}},
                     {"QueueUrl": QURL, "AttributeNames": ["QueueArn"]})


def role_stubs(aws, base: str, service: str, arn: str):
    aws.stub("iam").add_response("create_role", role_response(f"lat-r1-{base}", arn), {
        "RoleName": f"lat-r1-{base}", "Path": "/serverless-lab/",
        "AssumeRolePolicyDocument": json.dumps(policies.trust_policy(service)), "Tags": TAG_LIST})


def function_stubs(aws, *, propagation_errors: int = 0):
    aws.stub("logs").add_response("create_log_group", {},
                                  {"logGroupName": f"/aws/lambda/{FN}", "tags": TAGS})
    aws.stub("logs").add_response("put_retention_policy", {},
                                  {"logGroupName": f"/aws/lambda/{FN}", "retentionInDays": 1})
    aws.stub("iam").add_response("put_role_policy", {}, {
        "RoleName": "lat-r1-fn-role", "PolicyName": f"logs-{FN}",
        "PolicyDocument": json.dumps(policies.function_log_policy(REGION, ACCOUNT, FN))})
    lam = aws.stub("lambda")
    create = {"FunctionName": FN, "Code": {"ZipFile": ANY}, "Tags": TAGS, "Runtime": "python3.12",
              "Role": FN_ROLE_ARN, "Handler": "hello.handler", "Timeout": 3, "MemorySize": 128,
              "Environment": {"Variables": {}}}
    for _ in range(propagation_errors):
        lam.add_client_error("create_function", "InvalidParameterValueException",
                             "The role defined for the function cannot be assumed by Lambda.",
                             400, expected_params=create)
    lam.add_response("create_function", {"FunctionName": FN, "FunctionArn": FN_ARN,
                                         "State": "Pending"}, create)
    lam.add_response("get_function", {"Configuration": {"FunctionName": FN, "State": "Pending"}},
                     {"FunctionName": FN})
    lam.add_response("get_function", {"Configuration": {"FunctionName": FN, "State": "Active"}},
                     {"FunctionName": FN})


def esm_stubs(aws):
    lam = aws.stub("lambda")
    lam.add_response("list_event_source_mappings", {"EventSourceMappings": []},
                     {"FunctionName": FN, "EventSourceArn": QARN})
    aws.stub("iam").add_response("put_role_policy", {}, {
        "RoleName": "lat-r1-fn-role", "PolicyName": "consume-lat-r1-work",
        "PolicyDocument": json.dumps(policies.sqs_consume_policy(QARN))})
    lam.add_response("create_event_source_mapping", {"UUID": ESM_UUID, "State": "Creating"}, {
        "FunctionName": FN, "EventSourceArn": QARN, "Enabled": True, "BatchSize": 10,
        "FunctionResponseTypes": [], "MaximumBatchingWindowInSeconds": 0, "Tags": TAGS})
    for state in ("Creating", "Enabled"):
        lam.add_response("get_event_source_mapping", {"UUID": ESM_UUID, "State": state},
                         {"UUID": ESM_UUID})


def api_stubs(aws, *, throttled: bool = False):
    aws.stub("iam").add_response("put_role_policy", {}, {
        "RoleName": "lat-r1-api-role", "PolicyName": "send-lat-r1-work",
        "PolicyDocument": json.dumps(policies.sqs_send_policy(QARN))})
    api = aws.stub("apigatewayv2")
    if throttled:
        api.add_client_error("get_apis", "TooManyRequestsException", "Too Many Requests", 429)
    api.add_response("get_apis", {"Items": []}, {})
    api.add_response("create_api", {"ApiId": "api1", "Name": "lat-r1-api"},
                     {"Name": "lat-r1-api", "ProtocolType": "HTTP", "Tags": TAGS})
    api.add_response("get_integrations", {"Items": []}, {"ApiId": "api1"})
    api.add_response("create_integration", {"IntegrationId": "int1"}, {
        "ApiId": "api1", "IntegrationType": "AWS_PROXY", "IntegrationSubtype": "SQS-SendMessage",
        "PayloadFormatVersion": "1.0", "CredentialsArn": API_ROLE_ARN,
        "RequestParameters": {"QueueUrl": QURL, "MessageBody": "$request.body"}})
    api.add_response("get_routes", {"Items": []}, {"ApiId": "api1"})
    api.add_response("create_route", {"RouteId": "route1"}, {
        "ApiId": "api1", "RouteKey": "POST /messages", "Target": "integrations/int1"})
    api.add_response("get_stages", {"Items": []}, {"ApiId": "api1"})
    api.add_response("create_stage", {"StageName": "$default", "AutoDeploy": True}, {
        "ApiId": "api1", "StageName": "$default", "AutoDeploy": True, "Tags": TAGS})
    api.add_response("get_stage", {"StageName": "$default", "AutoDeploy": True},
                     {"ApiId": "api1", "StageName": "$default"})
    api.add_response("get_stage", {"StageName": "$default", "DeploymentId": "dep1",
                                   "LastDeploymentStatusMessage": "Successfully deployed stage "
                                   "with deployment ID 'dep1'"},
                     {"ApiId": "api1", "StageName": "$default"})


def teardown_stubs(aws):
    aws.stub("apigatewayv2").add_response("delete_api", {}, {"ApiId": "api1"})
    iam, lam = aws.stub("iam"), aws.stub("lambda")
    iam.add_response("delete_role_policy", {}, {"RoleName": "lat-r1-api-role",
                                                "PolicyName": "send-lat-r1-work"})
    iam.add_response("delete_role", {}, {"RoleName": "lat-r1-api-role"})
    lam.add_response("delete_event_source_mapping", {"UUID": ESM_UUID, "State": "Deleting"},
                     {"UUID": ESM_UUID})
    # deletion is asynchronous: the function goes only once the mapping is gone
    lam.add_response("get_event_source_mapping", {"UUID": ESM_UUID, "State": "Deleting"},
                     {"UUID": ESM_UUID})
    lam.add_client_error("get_event_source_mapping", "ResourceNotFoundException",
                         "The resource you requested does not exist.", 404,
                         expected_params={"UUID": ESM_UUID})
    lam.add_response("delete_function", {}, {"FunctionName": FN})
    aws.stub("logs").add_response("delete_log_group", {}, {"logGroupName": f"/aws/lambda/{FN}"})
    for policy in (f"logs-{FN}", "consume-lat-r1-work"):
        iam.add_response("delete_role_policy", {}, {"RoleName": "lat-r1-fn-role",
                                                    "PolicyName": policy})
    iam.add_response("delete_role", {}, {"RoleName": "lat-r1-fn-role"})
    aws.stub("sqs").add_response("delete_queue", {}, {"QueueUrl": QURL})


def build_pipeline(stack):
    q = stack.queue("work")
    role = stack.role("fn-role", policies.LAMBDA_SERVICE)
    fn = stack.function("handler", "hello", role_arn=role)
    stack.event_source_mapping(fn, q)
    api_role = stack.role("api-role", policies.APIGATEWAY_SERVICE)
    return stack.http_api_to_sqs("api", q, role_arn=api_role)


EXPECTED_ORDER = [
    ("sqs", "CreateQueue"), ("sqs", "GetQueueAttributes"),
    ("iam", "CreateRole"),
    ("logs", "CreateLogGroup"), ("logs", "PutRetentionPolicy"), ("iam", "PutRolePolicy"),
    ("lambda", "CreateFunction"), ("lambda", "CreateFunction"), ("lambda", "CreateFunction"),
    ("lambda", "GetFunction"), ("lambda", "GetFunction"),
    ("lambda", "ListEventSourceMappings"), ("iam", "PutRolePolicy"),
    ("lambda", "CreateEventSourceMapping"),
    ("lambda", "GetEventSourceMapping"), ("lambda", "GetEventSourceMapping"),
    ("iam", "CreateRole"), ("iam", "PutRolePolicy"),
    ("apigatewayv2", "GetApis"), ("apigatewayv2", "GetApis"), ("apigatewayv2", "CreateApi"),
    ("apigatewayv2", "GetIntegrations"), ("apigatewayv2", "CreateIntegration"),
    ("apigatewayv2", "GetRoutes"), ("apigatewayv2", "CreateRoute"),
    ("apigatewayv2", "GetStages"), ("apigatewayv2", "CreateStage"),
    ("apigatewayv2", "GetStage"), ("apigatewayv2", "GetStage"),
]


def test_the_create_sequence_is_pinned_call_by_call_with_retries_and_waiters(aws, sleeps):
    queue_stubs(aws)
    role_stubs(aws, "fn-role", policies.LAMBDA_SERVICE, FN_ROLE_ARN)
    function_stubs(aws, propagation_errors=2)
    esm_stubs(aws)
    role_stubs(aws, "api-role", policies.APIGATEWAY_SERVICE, API_ROLE_ARN)
    api_stubs(aws, throttled=True)
    stack = make_stack(aws, sleeps)
    assert build_pipeline(stack) == "api1"
    aws.assert_no_pending_responses()
    assert aws.operations() == EXPECTED_ORDER
    # IAM propagation: 1 s then 2 s; throttled GetApis: 0.5 s; mapping and stage polls: 2 s.
    assert sleeps == [1.0, 2.0, 2.0, 0.5, 2.0]
    assert aws.waiter_sleeps == [2]  # function_active_v2: Pending, then Active
    assert [c.kind for c in stack.created] == ["sqs-queue", "iam-role", "log-group",
                                              "lambda-function", "lambda-esm", "iam-role",
                                              "http-api"]
    teardown_stubs(aws)
    deleted = stack.teardown()
    aws.assert_no_pending_responses()
    assert deleted[0] == "http-api api1" and deleted[-1] == f"sqs-queue {QURL}"
    assert [op for _, op, _ in aws.calls[len(EXPECTED_ORDER):]] == [
        "DeleteApi", "DeleteRolePolicy", "DeleteRole", "DeleteEventSourceMapping",
        "GetEventSourceMapping", "GetEventSourceMapping", "DeleteFunction", "DeleteLogGroup", "DeleteRolePolicy", "DeleteRolePolicy",
        "DeleteRole", "DeleteQueue"]
    assert stack.created == []


def test_iam_propagation_retries_are_bounded(aws, sleeps):
    role_stubs(aws, "fn-role", policies.LAMBDA_SERVICE, FN_ROLE_ARN)
    function_stubs(aws, propagation_errors=10)  # never assumable within 10 attempts
    stack = make_stack(aws, sleeps)
    role = stack.role("fn-role", policies.LAMBDA_SERVICE)
    with pytest.raises(Exception, match="cannot be assumed"):
        stack.function("handler", "hello", role_arn=role)
    assert [op for _, op, _ in aws.calls].count("CreateFunction") == 10
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0, 10.0]  # capped, ~65 s in all


def test_a_queue_name_reused_within_60_s_waits_once_and_retries(aws, sleeps):
    queue_stubs(aws, deleted_recently=True)
    q = make_stack(aws, sleeps).queue("work")
    assert q.arn == QARN
    assert sleeps == [61.0]
    aws.assert_no_pending_responses()


def test_other_errors_are_not_retried(aws, sleeps):
    aws.stub("sqs").add_client_error("create_queue", "InvalidAttributeValue", "bad", 400)
    with pytest.raises(Exception, match="InvalidAttributeValue"):
        make_stack(aws, sleeps).queue("work")
    assert sleeps == []


def test_a_failure_midway_still_tears_down_what_was_created(aws, sleeps):
    queue_stubs(aws)
    role_stubs(aws, "fn-role", policies.LAMBDA_SERVICE, FN_ROLE_ARN)
    aws.stub("logs").add_response("create_log_group", {},
                                  {"logGroupName": f"/aws/lambda/{FN}", "tags": TAGS})
    aws.stub("logs").add_response("put_retention_policy", {},
                                  {"logGroupName": f"/aws/lambda/{FN}", "retentionInDays": 1})
    aws.stub("iam").add_response("put_role_policy", {})
    aws.stub("lambda").add_client_error("create_function", "CodeStorageExceededException",
                                        "Code storage limit exceeded.", 400)
    # teardown of what exists: the log group, the role (and its inline policy), the queue
    aws.stub("logs").add_response("delete_log_group", {}, {"logGroupName": f"/aws/lambda/{FN}"})
    aws.stub("iam").add_response("delete_role_policy", {}, {"RoleName": "lat-r1-fn-role",
                                                            "PolicyName": f"logs-{FN}"})
    aws.stub("iam").add_response("delete_role", {}, {"RoleName": "lat-r1-fn-role"})
    aws.stub("sqs").add_response("delete_queue", {}, {"QueueUrl": QURL})
    with pytest.raises(Exception, match="CodeStorageExceeded"):
        with make_stack(aws, sleeps) as stack:
            q = stack.queue("work")
            role = stack.role("fn-role", policies.LAMBDA_SERVICE)
            stack.function("handler", "hello", role_arn=role)
            stack.event_source_mapping(q, q)  # never reached
    aws.assert_no_pending_responses()
    assert aws.operations()[-4:] == [("logs", "DeleteLogGroup"), ("iam", "DeleteRolePolicy"),
                                     ("iam", "DeleteRole"), ("sqs", "DeleteQueue")]


def test_teardown_keeps_going_past_a_failure_and_names_what_is_left(aws, sleeps):
    queue_stubs(aws)
    role_stubs(aws, "fn-role", policies.LAMBDA_SERVICE, FN_ROLE_ARN)
    stack = make_stack(aws, sleeps)
    stack.queue("work")
    stack.role("fn-role", policies.LAMBDA_SERVICE)
    aws.stub("iam").add_client_error("delete_role", "DeleteConflict", "in use", 409)
    aws.stub("sqs").add_response("delete_queue", {}, {"QueueUrl": QURL})
    with pytest.raises(TeardownError) as err:
        stack.teardown()
    assert err.value.remaining == ["iam-role lat-r1-fn-role"]
    assert [c.ident for c in stack.created] == ["lat-r1-fn-role"]
    assert aws.operations()[-1] == ("sqs", "DeleteQueue")


def test_already_deleted_resources_count_as_torn_down(aws, sleeps):
    queue_stubs(aws)
    stack = make_stack(aws, sleeps)
    stack.queue("work")
    aws.stub("sqs").add_client_error("delete_queue", "AWS.SimpleQueueService.NonExistentQueue",
                                     "gone", 400)
    assert stack.teardown() == []
    assert stack.created == []


def test_a_stack_on_aws_registers_teardown_at_exit_and_unregisters_it(aws, sleeps, monkeypatch):
    registered, unregistered = [], []
    monkeypatch.setattr("lab.stack.builder.atexit.register", registered.append)
    monkeypatch.setattr("lab.stack.builder.atexit.unregister", unregistered.append)
    queue_stubs(aws)
    stack = make_stack(aws, sleeps)
    stack.queue("work")
    assert registered == [stack._teardown_at_exit]
    aws.stub("sqs").add_response("delete_queue", {}, {"QueueUrl": QURL})
    registered[0]()  # what the interpreter would run at exit
    assert aws.operations()[-1] == ("sqs", "DeleteQueue")
    assert unregistered == [stack._teardown_at_exit]


def test_on_aws_a_wildcard_policy_or_managed_policy_is_refused_before_any_call(aws, sleeps):
    stack = make_stack(aws, sleeps)
    with pytest.raises(policies.LeastPrivilegeError):
        stack.role("r", policies.LAMBDA_SERVICE, policy={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]})
    with pytest.raises(policies.LeastPrivilegeError):
        stack.role("r", policies.LAMBDA_SERVICE, managed_policy_arns=(
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",))
    assert aws.calls == []


def test_api_gateway_may_invoke_the_function_only_from_its_own_api(aws, sleeps):
    from lab.stack import Function

    fn = Function(FN, FN_ARN, FN_ROLE_ARN, 3, 128)
    api = aws.stub("apigatewayv2")
    api.add_response("get_apis", {"Items": [{"Name": "lat-r1-web", "ApiId": "api2",
                                             "ProtocolType": "HTTP", "RouteSelectionExpression":
                                             "${request.method} ${request.path}"}]}, {})
    api.add_response("get_integrations", {"Items": []}, {"ApiId": "api2"})
    api.add_response("create_integration", {"IntegrationId": "i2"}, {
        "ApiId": "api2", "IntegrationType": "AWS_PROXY", "IntegrationUri": FN_ARN,
        "PayloadFormatVersion": "2.0"})
    api.add_response("get_routes", {"Items": []}, {"ApiId": "api2"})
    api.add_response("create_route", {"RouteId": "r"}, {
        "ApiId": "api2", "RouteKey": "ANY /{proxy+}", "Target": "integrations/i2"})
    api.add_response("get_stages", {"Items": [{"StageName": "$default"}]}, {"ApiId": "api2"})
    api.add_response("get_stage", {"StageName": "$default", "DeploymentId": "d"},
                     {"ApiId": "api2", "StageName": "$default"})
    aws.stub("lambda").add_response("add_permission", {"Statement": "{}"}, {
        "FunctionName": FN, "StatementId": "lat-r1-web-invoke", "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:api2/*"})
    assert make_stack(aws, sleeps).http_api_to_lambda("web", fn) == "api2"
    aws.assert_no_pending_responses()
