"""IAM documents for the lab's roles: least privilege, scoped to the resources created.

Every statement names its actions (no `*`, no `service:*`) and the ARNs of this stack's own
resources. The one wildcard is the `:*` log-stream suffix of the function's own log group:
Lambda names the streams itself, so no narrower resource exists.
Source: Lambda Developer Guide lambda-intro-execution-role and with-sqs (the permissions in
AWSLambdaSQSQueueExecutionRole), API Gateway Developer Guide
http-api-develop-integrations-aws-services (an integration's CredentialsArn role).
"""

from __future__ import annotations

LAMBDA_SERVICE = "lambda.amazonaws.com"
APIGATEWAY_SERVICE = "apigateway.amazonaws.com"
VERSION = "2012-10-17"

# What an SQS event source mapping needs on its queue (Lambda checks them on create).
SQS_CONSUME_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
LOG_WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


def trust_policy(service: str) -> dict:
    """Who may assume the role: one AWS service principal, nothing else."""
    return {"Version": VERSION, "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}


def log_group_arn(region: str, account_id: str, log_group: str, partition: str = "aws") -> str:
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group}"


def function_log_policy(region: str, account_id: str, function_name: str,
                        partition: str = "aws") -> dict:
    """Write the function's own log streams (the stack creates the log group itself)."""
    group = log_group_arn(region, account_id, f"/aws/lambda/{function_name}", partition)
    return {"Version": VERSION, "Statement": [{
        "Sid": "OwnLogGroupOnly", "Effect": "Allow", "Action": list(LOG_WRITE_ACTIONS),
        "Resource": f"{group}:*"}]}


def sqs_consume_policy(queue_arn: str) -> dict:
    """What Lambda's SQS poller does with the function's role on one queue."""
    return {"Version": VERSION, "Statement": [{
        "Sid": "ConsumeOneQueue", "Effect": "Allow", "Action": list(SQS_CONSUME_ACTIONS),
        "Resource": queue_arn}]}


def sqs_send_policy(queue_arn: str) -> dict:
    """The HTTP API's integration role: sqs:SendMessage to one queue, nothing else."""
    return {"Version": VERSION, "Statement": [{
        "Sid": "SendToOneQueue", "Effect": "Allow", "Action": "sqs:SendMessage",
        "Resource": queue_arn}]}


class LeastPrivilegeError(ValueError):
    """A policy grants a wildcard action or resource the lab never needs."""


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def check_least_privilege(policy: dict) -> None:
    """Refuse `*` actions (`*`, `sqs:*`, `sqs:Send*`), `NotAction`/`NotResource`, and
    wildcard resources other than a log group's `:*` stream suffix."""
    for st in _as_list(policy.get("Statement", [])):
        if "NotAction" in st or "NotResource" in st:
            raise LeastPrivilegeError(f"NotAction/NotResource grant too much: {st}")
        if st.get("Effect") != "Allow":
            continue
        for action in _as_list(st.get("Action", [])):
            if "*" in action:
                raise LeastPrivilegeError(f"wildcard action {action!r}; name each action")
        for resource in _as_list(st.get("Resource", [])):
            if resource == "*" or not resource.startswith("arn:"):
                raise LeastPrivilegeError(f"resource {resource!r}: scope it to an ARN")
            body = resource
            if ":log-group:" in resource:  # arn:...:log-group:<one group>[:*]
                prefix, group = resource.split(":log-group:", 1)
                group = group.removesuffix(":*")
                body = prefix + (":" + group if group else "*")
            if "*" in body:
                raise LeastPrivilegeError(f"wildcard in resource {resource!r}")


def role_name_from_arn(role_arn: str) -> str:
    """arn:aws:iam::123:role/serverless-lab/name -> name (the path is not part of it)."""
    return role_arn.rsplit("/", 1)[-1]
