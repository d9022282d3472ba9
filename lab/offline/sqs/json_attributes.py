"""RedrivePolicy as SQS returns it: compact JSON, `maxReceiveCount` a number.

GetQueueAttributes on AWS answers `{"deadLetterTargetArn":"arn:...","maxReceiveCount":3}`
(Amazon SQS API reference, GetQueueAttributes example); moto 5.2.5's `Queue.attributes`
serialises it with `json.dumps` defaults (`", "` and `": "` separators). Tools that compare
the attribute as text see a change that is not one (Terraform's second plan of an
`aws_sqs_queue` with a `redrive_policy` reports "whitespace changes"). moto's source of
`Queue.attributes` is guarded by `lab.offline.sqs.patches.MOTO_SOURCE_SHA256`.
"""

from __future__ import annotations

import json

from moto.sqs.models import Queue

_applied: list[bool] = []


def apply() -> None:
    if _applied:
        return
    original = Queue.attributes.fget

    def attributes(self):
        result = original(self)
        if self.redrive_policy and "RedrivePolicy" in result:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    Queue.attributes = property(attributes)
    _applied.append(True)
