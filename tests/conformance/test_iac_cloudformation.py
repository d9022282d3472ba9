"""CloudFormation on the lab's services (CloudFormation User Guide: resource type reference
for AWS::Lambda::EventSourceMapping and AWS::ApiGatewayV2::*, "Stack status codes",
change sets)."""

from __future__ import annotations

import uuid

from tests.fixtures.common import client_error
from tests.fixtures.iac import (
    CLOUDFORMATION,
    deploy_stack,
    outputs,
    post_and_wait_processed,
    wait_stack,
    wait_until,
)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_moto_cloudformation_code_is_the_version_the_lab_extends():
    # imported here: moto's CloudFormation imports every moto service (~1.7 s of CPU), which
    # every test worker would otherwise pay while collecting
    from lab.offline.cloudformation.stacks import changed_moto_functions

    assert changed_moto_functions() == []


def test_pattern_stack_deploys_carries_a_post_and_deletes_cleanly(clean_cloud):
    cfn, lam, sqs = (clean_cloud.client(s) for s in ("cloudformation", "lambda", "sqs"))
    stack = deploy_stack(cfn, _name("pattern"), CLOUDFORMATION,
                         Capabilities=["CAPABILITY_IAM"])
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    out = outputs(stack)
    mapping = lam.get_event_source_mapping(UUID=out["MappingId"])  # the lab's mapping
    assert mapping["State"] == "Enabled"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert out["MappingArn"] == mapping["EventSourceMappingArn"]
    resources = {r["LogicalResourceId"]: r for r in
                 cfn.describe_stack_resources(StackName=stack["StackName"])["StackResources"]}
    assert resources["OrdersMapping"]["PhysicalResourceId"] == out["MappingId"]
    assert {"OrdersApi", "SendIntegration", "SendRoute", "DefaultStage"} <= set(resources)

    row = post_and_wait_processed(clean_cloud, out["ApiEndpoint"] + "/orders",
                                  out["MappingId"], {"order": 1})
    assert row["batch_size"] == 1

    cfn.delete_stack(StackName=stack["StackName"])
    assert client_error(lam.get_event_source_mapping, UUID=out["MappingId"]).status == 404
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []
    assert clean_cloud.lab.esm_stats(out["MappingId"])["pollers"] == 0  # nothing polls
    assert clean_cloud.client("apigatewayv2").get_apis()["Items"] == []
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_mapping_update_in_place_keeps_its_uuid(clean_cloud):
    cfn, lam = clean_cloud.client("cloudformation"), clean_cloud.client("lambda")
    name = _name("update")
    stack = deploy_stack(cfn, name, CLOUDFORMATION, Capabilities=["CAPABILITY_IAM"])
    before = outputs(stack)["MappingId"]
    cfn.update_stack(StackName=name, Capabilities=["CAPABILITY_IAM"],
                     TemplateBody=CLOUDFORMATION.replace("BatchSize: 10", "BatchSize: 5"))
    after = wait_stack(cfn, name)
    assert after["StackStatus"] == "UPDATE_COMPLETE"
    assert outputs(after)["MappingId"] == before
    assert lam.get_event_source_mapping(UUID=before)["BatchSize"] == 5
    cfn.delete_stack(StackName=name)


def test_unsupported_type_fails_the_stack_naming_the_type_then_rolls_back(clean_cloud):
    cfn, sqs = clean_cloud.client("cloudformation"), clean_cloud.client("sqs")
    template = """
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Broker:
    Type: AWS::AmazonMQ::Broker
    DependsOn: Queue
    Properties: {BrokerName: b}
"""
    name = _name("unsupported")
    stack = deploy_stack(cfn, name, template)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    [failed] = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed["LogicalResourceId"] == "Broker"
    assert failed["ResourceType"] == "AWS::AmazonMQ::Broker"
    assert "AWS::AmazonMQ::Broker" in failed["ResourceStatusReason"]
    assert "ROLLBACK_COMPLETE" in [e["ResourceStatus"] for e in events
                                   if e["LogicalResourceId"] == name]
    assert sqs.list_queues().get("QueueUrls", []) == []  # the queue was rolled back


def test_change_set_create_execute_has_outputs_and_delete_change_set(clean_cloud):
    cfn = clean_cloud.client("cloudformation")
    name = _name("cs")
    cs = cfn.create_change_set(StackName=name, ChangeSetName="first", ChangeSetType="CREATE",
                               TemplateBody=CLOUDFORMATION, Capabilities=["CAPABILITY_IAM"])
    wait_until(lambda: cfn.describe_change_set(ChangeSetName=cs["Id"])["Status"]
               == "CREATE_COMPLETE", what="change set")
    cfn.execute_change_set(ChangeSetName=cs["Id"])
    stack = wait_stack(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert {"ApiEndpoint", "MappingId", "QueueUrl"} <= set(outputs(stack))
    # DeleteChangeSet: by name and stack, then an unknown one is an error, not a 500
    cfn.create_change_set(StackName=name, ChangeSetName="second", ChangeSetType="UPDATE",
                          TemplateBody=CLOUDFORMATION.replace("BatchSize: 10", "BatchSize: 2"),
                          Capabilities=["CAPABILITY_IAM"])
    cfn.delete_change_set(StackName=name, ChangeSetName="second")
    err = client_error(cfn.delete_change_set, StackName=name, ChangeSetName="second")
    assert err.code == "ChangeSetNotFound" and err.status == 404
    cfn.delete_stack(StackName=name)
