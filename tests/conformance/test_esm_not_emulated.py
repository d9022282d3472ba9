"""SQS mapping features the lab does not emulate are refused with a clear
InvalidParameterValueException, never accepted and silently ignored."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from lab.stack import Stack


@pytest.mark.parametrize("field,value", [
    ("ProvisionedPollerConfig", {"MinimumPollers": 2, "MaximumPollers": 10}),
    ("MetricsConfig", {"Metrics": ["EventCount"]}),
])
def test_not_emulated_fields_are_refused_on_create(cloud, field, value):
    with Stack(cloud, f"ne-{uuid.uuid4().hex[:6]}") as stack:
        q = stack.queue("q")
        fn = stack.function("f", "hello", role_arn=stack.role("r", "lambda.amazonaws.com"))
        with pytest.raises(ClientError) as err:
            cloud.client("lambda").create_event_source_mapping(
                FunctionName=fn.name, EventSourceArn=q.arn, **{field: value})
        error = err.value.response["Error"]
        assert error["Code"] == "InvalidParameterValueException"
        assert field in error["Message"] and "does not emulate" in error["Message"]
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert cloud.client("lambda").list_event_source_mappings(
            FunctionName=fn.name)["EventSourceMappings"] == []
