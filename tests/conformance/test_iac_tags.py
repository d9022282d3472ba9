"""What IaC tools read back: Lambda's tagging API on event source mapping ARNs (Lambda API
reference: TagResource, UntagResource, ListTags; CreateEventSourceMapping `Tags`) and SQS's
RedrivePolicy as GetQueueAttributes returns it (compact JSON)."""

from __future__ import annotations

import json

from tests.fixtures.common import client_error, queue_arn, unique_queue
from tests.fixtures.esm import deploy


def test_mapping_tags_tag_untag_list(clean_cloud):
    lam, sqs = clean_cloud.client("lambda"), clean_cloud.client("sqs")
    fn = deploy(clean_cloud)
    queue = unique_queue(sqs, "tags", VisibilityTimeout=30)
    mapping = lam.create_event_source_mapping(EventSourceArn=queue_arn(sqs, queue),
                                              FunctionName=fn.name, Tags={"team": "blue"})
    arn = mapping["EventSourceMappingArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "blue"}
    lam.tag_resource(Resource=arn, Tags={"env": "lab"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "blue", "env": "lab"}
    lam.untag_resource(Resource=arn, TagKeys=["team"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"env": "lab"}
    assert lam.list_tags(Resource=fn.arn)["Tags"] == {}  # functions stay moto's
    gone = arn.replace(mapping["UUID"], "00000000-0000-0000-0000-000000000000")
    assert client_error(lam.list_tags, Resource=gone).status == 404


def test_redrive_policy_is_compact_json(clean_cloud):
    sqs = clean_cloud.client("sqs")
    dlq = queue_arn(sqs, unique_queue(sqs, "dlq"))
    src = unique_queue(sqs, "src", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq, "maxReceiveCount": "3"}))
    policy = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["RedrivePolicy"])[
        "Attributes"]["RedrivePolicy"]
    assert policy == f'{{"deadLetterTargetArn":"{dlq}","maxReceiveCount":3}}'
