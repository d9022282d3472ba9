"""SAM templates (`Transform: AWS::Serverless-2016-10-31`) expanded by AWS's translator when
submitted, through CreateStack and change sets (CloudFormation User Guide, "AWS::Serverless
transform"; SAM specification: AWS::Serverless::Function, its SQS and HttpApi events,
AWS::Serverless::HttpApi)."""

from __future__ import annotations

import json
import uuid

from lab.stack import zip_files
from tests.fixtures.iac import (
    SAM,
    deploy_stack,
    http,
    outputs,
    post_and_wait_processed,
    wait_stack,
    wait_until,
)

CAPS = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


def _resources(cfn, name: str) -> dict[str, dict]:
    return {r["LogicalResourceId"]: r for r in
            cfn.describe_stack_resources(StackName=name)["StackResources"]}


def test_sam_pattern_deploys_carries_a_post_and_deletes_cleanly(clean_cloud):
    cfn, lam = clean_cloud.client("cloudformation"), clean_cloud.client("lambda")
    name = f"sam-{uuid.uuid4().hex[:8]}"
    stack = deploy_stack(cfn, name, SAM, Capabilities=CAPS)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    resources = _resources(cfn, name)
    # what the translator made of the two SAM resources
    assert resources["OrdersFunctionOrders"]["ResourceType"] == \
        "AWS::Lambda::EventSourceMapping"
    assert resources["OrdersFunctionRole"]["ResourceType"] == "AWS::IAM::Role"
    assert resources["OrdersApi"]["ResourceType"] == "AWS::ApiGatewayV2::Api"
    uuid_ = resources["OrdersFunctionOrders"]["PhysicalResourceId"]
    mapping = lam.get_event_source_mapping(UUID=uuid_)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]

    out = outputs(stack)
    post_and_wait_processed(clean_cloud, out["ApiEndpoint"] + "/orders", uuid_, {"order": 7})

    cfn.delete_stack(StackName=name)
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []
    assert lam.list_functions()["Functions"] == []
    assert clean_cloud.lab.esm_stats(uuid_)["pollers"] == 0


def test_sam_through_a_change_set(clean_cloud):
    cfn = clean_cloud.client("cloudformation")
    name = f"samcs-{uuid.uuid4().hex[:8]}"
    cs = cfn.create_change_set(StackName=name, ChangeSetName="deploy", TemplateBody=SAM,
                               ChangeSetType="CREATE", Capabilities=CAPS)
    wait_until(lambda: cfn.describe_change_set(ChangeSetName=cs["Id"])["Status"]
               == "CREATE_COMPLETE", what="change set")
    changes = cfn.describe_change_set(ChangeSetName=cs["Id"])["Changes"]
    types = {c["ResourceChange"]["ResourceType"] for c in changes}
    assert "AWS::Lambda::EventSourceMapping" in types  # the expanded template
    assert not any(t.startswith("AWS::Serverless::") for t in types)
    cfn.execute_change_set(ChangeSetName=cs["Id"])
    stack = wait_stack(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert outputs(stack)["ApiEndpoint"].startswith(clean_cloud.endpoint_url)
    cfn.delete_stack(StackName=name)


HELLO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"route": event["routeKey"]})}
"""

FUNCTION_WITH_HTTP_EVENT = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://{bucket}/hello.zip
      Events:
        Get:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: GET
Outputs:
  Url:
    Value: !GetAtt ServerlessHttpApi.ApiEndpoint
"""


def test_function_from_s3_with_an_http_api_event(clean_cloud):
    cfn, s3 = clean_cloud.client("cloudformation"), clean_cloud.client("s3")
    bucket = f"code-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="hello.zip", Body=zip_files({"app.py": HELLO}))
    name = f"hello-{uuid.uuid4().hex[:8]}"
    stack = deploy_stack(cfn, name, FUNCTION_WITH_HTTP_EVENT.replace("{bucket}", bucket),
                         Capabilities=CAPS)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    types = {r["ResourceType"] for r in _resources(cfn, name).values()}
    assert {"AWS::Lambda::Permission", "AWS::ApiGatewayV2::Stage"} <= types
    status, body = http(outputs(stack)["Url"] + "/hello")
    assert status == 200, body
    assert json.loads(body) == {"route": "GET /hello"}
    cfn.delete_stack(StackName=name)
    assert clean_cloud.client("apigatewayv2").get_apis()["Items"] == []


def test_invalid_sam_document_is_a_validation_error(clean_cloud):
    cfn = clean_cloud.client("cloudformation")
    bad = "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n" \
          "    Type: AWS::Serverless::Function\n    Properties: {Runtime: python3.12}\n"
    try:
        cfn.create_stack(StackName="bad-sam", TemplateBody=bad, Capabilities=CAPS)
    except cfn.exceptions.ClientError as exc:
        assert exc.response["Error"]["Code"] == "ValidationError"
        assert "AWS::Serverless-2016-10-31" in exc.response["Error"]["Message"]
    else:
        raise AssertionError("an invalid SAM document was accepted")
