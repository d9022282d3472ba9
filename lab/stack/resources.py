"""What a lab resource is called and tagged, and how one is deleted (by a Stack's teardown
and by `lab aws cleanup` alike)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError

from lab.stack.retry import error_code

PROJECT_TAG = "serverless-lab"
RUN_TAG = "lab:run-id"
PROJECT_TAG_KEY = "lab:project"
MAX_MESSAGE_SIZE = 1_048_576  # SQS MaximumMessageSize upper bound (1 MiB), AWS what's-new 2025-08-04
ROLE_PATH = "/serverless-lab/"
LOG_RETENTION_DAYS = 1  # the shortest CloudWatch Logs retention: the lab parses logs at once
NOT_FOUND_CODES = ("ResourceNotFoundException", "NoSuchEntity",
                   "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",
                   "NotFoundException")


class TeardownError(RuntimeError):
    """Some resources could not be deleted; `remaining` lists them (see `lab aws cleanup`)."""

    def __init__(self, failures: list[tuple[str, Exception]]):
        self.remaining = [what for what, _ in failures]
        lines = "; ".join(f"{what}: {exc}" for what, exc in failures)
        super().__init__(f"teardown left {len(failures)} resource(s): {lines}")


def new_run_id() -> str:
    """A short id that names and tags everything one run creates."""
    return uuid.uuid4().hex[:8]


def tags_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def delete_resource(client_for: Callable[[str], Any], kind: str, ident: str, *,
                    policies: Iterable[str] | None = None, managed: Iterable[str] | None = None,
                    queue_owner: str | None = None) -> bool:
    """Delete one lab resource (`kind` as Stack records it) through `client_for(service)`.
    An IAM role loses its inline `policies` and managed `managed` policy ARNs first (default:
    whatever IAM lists). An SQS queue is a URL, or a name (of `queue_owner`'s account).
    Returns False when it was already gone (NOT_FOUND_CODES), True when deleted."""
    try:
        if kind == "sqs-queue":
            sqs = client_for("sqs")
            url = ident if "://" in ident else sqs.get_queue_url(
                QueueName=ident, **({"QueueOwnerAWSAccountId": queue_owner}
                                    if queue_owner else {}))["QueueUrl"]
            sqs.delete_queue(QueueUrl=url)
        elif kind == "iam-role":
            iam = client_for("iam")
            if policies is None:
                policies = iam.list_role_policies(RoleName=ident).get("PolicyNames", [])
            for policy in policies:
                iam.delete_role_policy(RoleName=ident, PolicyName=policy)
            if managed is None:
                managed = [p["PolicyArn"] for p in iam.list_attached_role_policies(
                    RoleName=ident).get("AttachedPolicies", [])]
            for arn in managed:
                iam.detach_role_policy(RoleName=ident, PolicyArn=arn)
            iam.delete_role(RoleName=ident)
        elif kind == "lambda-function":
            client_for("lambda").delete_function(FunctionName=ident)
        elif kind == "lambda-esm":
            client_for("lambda").delete_event_source_mapping(UUID=ident)
        elif kind == "http-api":
            client_for("apigatewayv2").delete_api(ApiId=ident)
        elif kind == "log-group":
            client_for("logs").delete_log_group(logGroupName=ident)
        else:
            raise ValueError(f"don't know how to delete {kind}")
    except ClientError as exc:
        if error_code(exc) in NOT_FOUND_CODES:
            return False
        raise
    return True
