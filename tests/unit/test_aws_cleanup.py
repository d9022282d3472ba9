"""`lab aws cleanup`: leftovers found by tag (Resource Groups Tagging API) and role path
(IAM), mappings of leftover queues/functions too, deleted in dependency order."""

from __future__ import annotations

import datetime as dt

import pytest

from lab.aws import cleanup
from lab.stack.retry import Backoff
from lab.targets.stubbed import StubbedAwsTarget

A, R = "111122223333", "us-east-1"
NOW = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
UUID = "6a4f0a3e-0000-4000-8000-00000000e5a1"
FILTERS = [{"Key": "lab:project", "Values": ["serverless-lab"]}]


def tags(run):
    return [{"Key": "lab:project", "Value": "serverless-lab"}, {"Key": "lab:run-id", "Value": run}]


def stub_discovery(aws: StubbedAwsTarget, *, throttle_first: bool = False):
    tagging = aws.stub("resourcegroupstaggingapi")
    if throttle_first:
        tagging.add_client_error("get_resources", "ThrottledException", "Rate exceeded", 400)
    tagging.add_response("get_resources", {"PaginationToken": "p2", "ResourceTagMappingList": [
        {"ResourceARN": f"arn:aws:sqs:{R}:{A}:lat-r1-work", "Tags": tags("r1")},
        {"ResourceARN": f"arn:aws:lambda:{R}:{A}:function:lat-r1-handler", "Tags": tags("r1")},
    ]}, {"TagFilters": FILTERS})
    tagging.add_response("get_resources", {"PaginationToken": "", "ResourceTagMappingList": [
        {"ResourceARN": f"arn:aws:apigateway:{R}::/apis/api1", "Tags": tags("r1")},
        {"ResourceARN": f"arn:aws:apigateway:{R}::/apis/api1/stages/$default", "Tags": tags("r1")},
        {"ResourceARN": f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/lat-r1-handler",
         "Tags": tags("r1")},
    ]}, {"TagFilters": FILTERS, "PaginationToken": "p2"})
    iam = aws.stub("iam")
    iam.add_response("list_roles", {"Roles": [
        {"Path": "/serverless-lab/", "RoleName": "lat-r1-fn-role", "RoleId": "AROASTUBBEDROLE0001",
         "Arn": f"arn:aws:iam::{A}:role/serverless-lab/lat-r1-fn-role", "CreateDate": NOW}],
        "IsTruncated": False}, {"PathPrefix": "/serverless-lab/"})
    iam.add_response("list_role_tags", {"Tags": tags("r1")}, {"RoleName": "lat-r1-fn-role"})
    lam = aws.stub("lambda")
    lam.add_response("list_event_source_mappings", {"EventSourceMappings": [
        {"UUID": UUID, "EventSourceArn": f"arn:aws:sqs:{R}:{A}:lat-r1-work"}]},
        {"EventSourceArn": f"arn:aws:sqs:{R}:{A}:lat-r1-work"})
    lam.add_response("list_event_source_mappings", {"EventSourceMappings": [{"UUID": UUID}]},
                     {"FunctionName": "lat-r1-handler"})


def test_leftovers_are_found_by_tag_and_role_path_in_deletion_order():
    aws = StubbedAwsTarget(R, A)
    sleeps: list[float] = []
    stub_discovery(aws, throttle_first=True)
    found = cleanup.find_leftovers(aws, backoff=Backoff(sleep=sleeps.append))
    aws.assert_no_pending_responses()
    assert sleeps == [0.5]  # the throttled GetResources was retried once
    assert [(lo.kind, lo.ident) for lo in found] == [
        ("lambda-esm", UUID), ("http-api", "api1"), ("lambda-function", "lat-r1-handler"),
        ("log-group", "/aws/lambda/lat-r1-handler"), ("iam-role", "lat-r1-fn-role"),
        ("sqs-queue", "lat-r1-work")]
    assert {lo.run_id for lo in found} == {"r1"}


def test_leftovers_are_deleted_in_dependency_order():
    aws = StubbedAwsTarget(R, A)
    stub_discovery(aws)
    found = cleanup.find_leftovers(aws)
    lam, iam = aws.stub("lambda"), aws.stub("iam")
    lam.add_response("delete_event_source_mapping", {}, {"UUID": UUID})
    lam.add_client_error("get_event_source_mapping", "ResourceNotFoundException", "gone", 404)
    aws.stub("apigatewayv2").add_response("delete_api", {}, {"ApiId": "api1"})
    lam.add_client_error("delete_function", "ResourceNotFoundException", "gone", 404)
    aws.stub("logs").add_response("delete_log_group", {},
                                  {"logGroupName": "/aws/lambda/lat-r1-handler"})
    iam.add_response("list_role_policies", {"PolicyNames": ["logs-lat-r1-handler"],
                                            "IsTruncated": False}, {"RoleName": "lat-r1-fn-role"})
    iam.add_response("delete_role_policy", {}, {"RoleName": "lat-r1-fn-role",
                                                "PolicyName": "logs-lat-r1-handler"})
    iam.add_response("list_attached_role_policies", {"AttachedPolicies": [],
                                                     "IsTruncated": False},
                     {"RoleName": "lat-r1-fn-role"})
    iam.add_response("delete_role", {}, {"RoleName": "lat-r1-fn-role"})
    sqs = aws.stub("sqs")
    url = f"https://sqs.{R}.amazonaws.com/{A}/lat-r1-work"
    sqs.add_response("get_queue_url", {"QueueUrl": url},
                     {"QueueName": "lat-r1-work", "QueueOwnerAWSAccountId": A})
    sqs.add_response("delete_queue", {}, {"QueueUrl": url})
    deleted, failed = cleanup.delete_leftovers(aws, found)
    aws.assert_no_pending_responses()
    assert failed == [] and len(deleted) == 6  # an already-deleted function counts as done


def test_a_run_id_narrows_the_search_to_that_run():
    aws = StubbedAwsTarget(R, A)
    aws.stub("resourcegroupstaggingapi").add_response(
        "get_resources", {"ResourceTagMappingList": []},
        {"TagFilters": FILTERS + [{"Key": "lab:run-id", "Values": ["r2"]}]})
    aws.stub("iam").add_response("list_roles", {"Roles": [
        {"Path": "/serverless-lab/", "RoleName": "lat-r1-fn-role", "RoleId": "AROASTUBBEDROLE0001",
         "Arn": f"arn:aws:iam::{A}:role/serverless-lab/lat-r1-fn-role", "CreateDate": NOW}],
        "IsTruncated": False}, {"PathPrefix": "/serverless-lab/"})
    aws.stub("iam").add_response("list_role_tags", {"Tags": tags("r1")},
                                 {"RoleName": "lat-r1-fn-role"})
    assert cleanup.find_leftovers(aws, run_id="r2") == []
    aws.assert_no_pending_responses()


@pytest.mark.parametrize("arn,expected", [
    ("arn:aws:sqs:us-east-1:1:q", ("sqs-queue", "q")),
    ("arn:aws:lambda:us-east-1:1:function:f", ("lambda-function", "f")),
    ("arn:aws:lambda:us-east-1:1:function:f:$LATEST", ("lambda-function", "f")),
    (f"arn:aws:lambda:us-east-1:1:event-source-mapping:{UUID}", ("lambda-esm", UUID)),
    ("arn:aws:apigateway:us-east-1::/apis/abc", ("http-api", "abc")),
    ("arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:*", ("log-group", "/aws/lambda/f")),
    ("arn:aws:iam::1:role/serverless-lab/r", ("iam-role", "r")),
    ("arn:aws:s3:::bucket", None),
])
def test_arns_are_classified(arn, expected):
    assert cleanup.classify(arn) == expected
