"""Lambda's control plane answers as AWS does: function states, RevisionId, configuration
shape, error messages.

Sources: Lambda Developer Guide "Lambda function states" (functions-states); botocore's
lambda/2015-03-31 model (waiters-2.json FunctionActiveV2 / FunctionUpdatedV2,
examples-1.json GetFunctionConfiguration for the shape); Lambda API reference
(API_UpdateFunctionConfiguration: RevisionId, PreconditionFailedException).
"""

from __future__ import annotations

import re

import pytest

from lab.offline.lambda_ import control
from tests.fixtures.common import client_error, wait_active, wait_updated
from tests.fixtures.lambda_ import invoke, role_arn, zip_of

SOURCE = "def handler(event, context):\n    return 'ok'\n"


def create(cloud, name: str, **config) -> dict:
    config.setdefault("Runtime", "python3.12")
    return cloud.client("lambda").create_function(
        FunctionName=name, Role=role_arn(cloud), Handler="app.handler",
        Code={"ZipFile": zip_of({"app.py": SOURCE})}, **config)


@pytest.fixture
def name(request):
    return re.sub(r"[^a-zA-Z0-9-]", "-", request.node.name)[:50]


def test_create_function_answers_pending_and_the_function_becomes_active(cloud, name):
    created = create(cloud, name)
    assert (created["State"], created["StateReason"], created["StateReasonCode"]) == (
        "Pending", "The function is being created.", "Creating")
    assert "LastUpdateStatus" not in created
    lam = cloud.client("lambda")
    wait_active(lam, name)
    config = lam.get_function(FunctionName=name)["Configuration"]
    assert config["State"] == "Active" and config["LastUpdateStatus"] == "Successful"
    assert "StateReason" not in config


def test_invoking_a_pending_function_is_a_resource_conflict(cloud, name):
    create(cloud, name)
    err = client_error(cloud.client("lambda").invoke, FunctionName=name, Payload=b"{}")
    assert err == ("ResourceConflictException",
                   "The operation cannot be performed at this time. The function is "
                   "currently in the following state: Pending", 409)
    wait_active(cloud.client("lambda"), name)
    assert invoke(cloud, name)["body"] == "ok"


def test_an_update_is_in_progress_until_function_updated_v2(cloud, name):
    lam = cloud.client("lambda")
    create(cloud, name)
    wait_active(lam, name)
    updated = lam.update_function_configuration(FunctionName=name, MemorySize=256)
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["State"] == "Active"
    err = client_error(lam.update_function_code, FunctionName=name,
                       ZipFile=zip_of({"app.py": SOURCE}))
    assert err.code == "ResourceConflictException" and err.status == 409
    assert err.message == ("The operation cannot be performed at this time. An update is in "
                           f"progress for resource: {updated['FunctionArn']}")
    wait_updated(lam, name)
    assert lam.get_function_configuration(FunctionName=name)["LastUpdateStatus"] == "Successful"


def test_revision_id_changes_with_every_change_and_is_a_precondition(cloud, name):
    lam = cloud.client("lambda")
    first = create(cloud, name)["RevisionId"]
    wait_active(lam, name)
    active = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    assert active != first  # the state change is a change
    err = client_error(lam.update_function_configuration, FunctionName=name, Timeout=5,
                       RevisionId=first)
    assert err == ("PreconditionFailedException", control.PRECONDITION_MESSAGE, 412)
    updated = lam.update_function_configuration(FunctionName=name, Timeout=5,
                                                RevisionId=active)["RevisionId"]
    assert updated != active
    wait_updated(lam, name)
    current = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    err = client_error(lam.publish_version, FunctionName=name, RevisionId=active)
    assert err.code == "PreconditionFailedException"
    version = lam.publish_version(FunctionName=name, RevisionId=current)
    assert version["Version"] == "1" and version["RevisionId"] != current


def test_configuration_has_aws_shape(cloud, name):
    """examples-1.json GetFunctionConfiguration; LoggingConfig and RuntimeVersionConfig as
    GetFunction returns them since 2023."""
    lam = cloud.client("lambda")
    create(cloud, name)
    wait_active(lam, name)
    config = lam.get_function_configuration(FunctionName=name)
    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    assert re.fullmatch(r"arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}",
                        config["RuntimeVersionConfig"]["RuntimeVersionArn"])
    assert "Layers" not in config
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", config["LastModified"])


def test_a_missing_function_is_not_found_with_its_latest_arn(cloud):
    lam = cloud.client("lambda")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:no-such-fn"
    for call in (lam.get_function, lam.get_function_configuration):
        assert client_error(call, FunctionName="no-such-fn") == (
            "ResourceNotFoundException", f"Function not found: {arn}:$LATEST", 404)
    assert client_error(lam.invoke, FunctionName="no-such-fn").message == \
        f"Function not found: {arn}:$LATEST"
    assert client_error(lam.get_function, FunctionName="no-such-fn", Qualifier="live"
                        ).message == f"Function not found: {arn}:live"


def test_state_delay_is_a_setting(cloud, name):
    lab = cloud.lab
    before = lab.lambda_config()["state_delay_s"]
    try:
        lab.lambda_config(state_delay_s=0)
        create(cloud, name)
        assert invoke(cloud, name)["body"] == "ok"
    finally:
        lab.lambda_config(state_delay_s=before)


def test_moto_is_the_version_the_lambda_fixes_were_verified_against():
    assert control.GUARD.changed() == [], (
        f"moto's Lambda code differs from {control.MOTO_VERIFIED}: re-verify control.py")


# -- Invoke answers in AWS's words (Lambda API reference, API_Invoke) -----------------------
def test_an_event_invoke_answers_202_without_an_executed_version(cloud):
    from tests.fixtures.lambda_ import deploy

    name = deploy(cloud, SOURCE)
    resp = cloud.client("lambda").invoke(FunctionName=name, InvocationType="Event",
                                         Payload=b"{}")
    assert resp["StatusCode"] == 202 and "ExecutedVersion" not in resp
    assert "x-amz-executed-version" not in resp["ResponseMetadata"]["HTTPHeaders"]


def test_a_runtime_exiting_on_its_own_is_runtime_exited_without_providing_a_reason(cloud):
    from tests.fixtures.lambda_ import deploy

    name = deploy(cloud, "import sys\ndef handler(event, context):\n    sys.exit(0)\n")
    resp = invoke(cloud, name)
    assert resp["FunctionError"] == "Unhandled"
    assert resp["body"]["errorType"] == "Runtime.ExitError"
    assert resp["body"]["errorMessage"].endswith(
        "Error: Runtime exited without providing a reason")
