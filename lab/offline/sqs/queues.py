"""Finding a moto SQS queue by its ARN (move tasks, redrive policies, event source mappings)."""

from __future__ import annotations


def queue_by_arn(arn: str | None):
    """moto's Queue whose ARN is `arn` (`arn:<partition>:sqs:<region>:<account>:<name>`),
    or None if there is no such queue (or `arn` is not an SQS queue ARN)."""
    from moto.sqs.models import sqs_backends

    parts = arn.split(":") if isinstance(arn, str) else ()
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
        return None
    _, _, _, region, account, name = parts
    if account not in sqs_backends or region not in sqs_backends[account]:
        return None
    queue = sqs_backends[account][region].queues.get(name)
    return queue if queue is not None and queue.queue_arn == arn else None
