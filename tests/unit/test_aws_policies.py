"""IAM documents are least privilege: named actions only, the stack's own ARNs only."""

from __future__ import annotations

import json

import pytest

from lab.stack import policies
from lab.stack.policies import LeastPrivilegeError, check_least_privilege

QARN = "arn:aws:sqs:eu-west-1:111122223333:lat-r1-work"


def statements(doc):
    return doc["Statement"]


def test_api_role_may_only_send_messages_to_its_queue():
    doc = policies.sqs_send_policy(QARN)
    check_least_privilege(doc)
    assert statements(doc) == [{"Sid": "SendToOneQueue", "Effect": "Allow",
                                "Action": "sqs:SendMessage", "Resource": QARN}]


def test_function_role_may_only_write_its_own_log_group_and_consume_its_queue():
    logs = policies.function_log_policy("eu-west-1", "111122223333", "lat-r1-handler")
    consume = policies.sqs_consume_policy(QARN)
    for doc in (logs, consume):
        check_least_privilege(doc)
    (st,) = statements(logs)
    assert st["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]  # no CreateLogGroup
    assert st["Resource"] == ("arn:aws:logs:eu-west-1:111122223333:log-group:"
                              "/aws/lambda/lat-r1-handler:*")
    (st,) = statements(consume)
    assert st["Action"] == ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    assert st["Resource"] == QARN


@pytest.mark.parametrize("service", [policies.LAMBDA_SERVICE, policies.APIGATEWAY_SERVICE])
def test_trust_policies_name_one_service_principal(service):
    (st,) = statements(policies.trust_policy(service))
    assert st == {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    json.dumps(policies.trust_policy(service))


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Action": "*", "Resource": QARN},
    {"Effect": "Allow", "Action": "sqs:*", "Resource": QARN},
    {"Effect": "Allow", "Action": ["sqs:Send*"], "Resource": QARN},
    {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
    {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*:*:*"},
    {"Effect": "Allow", "Action": "logs:PutLogEvents",
     "Resource": "arn:aws:logs:eu-west-1:111122223333:log-group:*"},
    {"Effect": "Allow", "NotAction": "iam:*", "Resource": QARN},
])
def test_wildcards_are_refused(statement):
    with pytest.raises(LeastPrivilegeError):
        check_least_privilege({"Version": "2012-10-17", "Statement": [statement]})


def test_role_names_come_from_arns_with_paths():
    assert policies.role_name_from_arn(
        "arn:aws:iam::111122223333:role/serverless-lab/lat-r1-fn-role") == "lat-r1-fn-role"
