"""The aws target is opt-in: it says who and where (STS), what it will create and what that
costs, and refuses without an explicit yes. Offline never touches real credentials."""

from __future__ import annotations

import io

import boto3
import pytest
from botocore.stub import Stubber

import lab
from lab.aws import plan, pricing
from lab.targets import Target
from lab.targets import aws as aws_target
from lab.targets.aws import AwsOptInRequired, AwsTarget, AwsTargetError, connect_aws, opted_in
from tests.unit.conftest import Tty


def stubbed_target(monkeypatch, account="444455556666") -> tuple[AwsTarget, Stubber]:
    for var in ("LAB_AWS_CONFIRM", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    session = boto3.Session(aws_access_key_id="AKIDSTUB", aws_secret_access_key="stub",
                            region_name="eu-west-1")
    target = AwsTarget(session)
    stub = Stubber(target.client("sts"))
    stub.add_response("get_caller_identity", {
        "UserId": "AIDASTUB", "Account": account,
        "Arn": f"arn:aws:sts::{account}:assumed-role/Admin/me"}, {})
    stub.activate()
    return target, stub


def test_aws_target_is_a_target_with_the_same_client_api():
    target = AwsTarget(boto3.Session(aws_access_key_id="a", aws_secret_access_key="b",
                                     region_name="eu-west-1"))
    assert isinstance(target, Target) and target.name == "aws" and not target.is_offline
    assert target.client("sqs") is target.client("sqs")
    assert target.client("sqs").meta.region_name == "eu-west-1"
    assert target.client("sqs").meta.endpoint_url == "https://sqs.eu-west-1.amazonaws.com"
    assert target.resource("dynamodb").meta.client.meta.region_name == "eu-west-1"


def test_refuses_without_opt_in_after_saying_account_region_plan_and_cost(monkeypatch):
    target, stub = stubbed_target(monkeypatch)
    out = io.StringIO()
    with pytest.raises(AwsOptInRequired, match="444455556666.*eu-west-1.*LAB_AWS_CONFIRM=1"):
        connect_aws(target=target, out=out, stdin=io.StringIO("yes\n"))  # not a TTY: no
    text = out.getvalue()
    stub.assert_no_pending_responses()
    assert "AWS account: 444455556666" in text and "Region:      eu-west-1" in text
    assert "Lambda function coldwarm-<run-id>-fn" in text
    assert "Estimated total: " in text and "free tier ignored" in text and pricing.PRICES_RETRIEVED in text


def test_lab_aws_confirm_1_opts_in(monkeypatch):
    target, _ = stubbed_target(monkeypatch)
    monkeypatch.setenv("LAB_AWS_CONFIRM", "1")
    assert connect_aws(target=target, out=io.StringIO()) is target
    assert target.account_id == "444455556666"


@pytest.mark.parametrize("answer,ok", [("yes\n", True), ("YES\n", True), ("\n", False),
                                       ("y\n", False), ("", False), ("no\n", False)])
def test_only_a_typed_yes_at_a_terminal_opts_in(monkeypatch, answer, ok):
    monkeypatch.delenv("LAB_AWS_CONFIRM", raising=False)
    assert opted_in(stdin=Tty(answer), stdout=io.StringIO()) is ok


@pytest.mark.parametrize("value", ["", "0", "true", "yes", "2"])
def test_other_values_of_lab_aws_confirm_are_not_an_opt_in(monkeypatch, value):
    monkeypatch.setenv("LAB_AWS_CONFIRM", value)
    assert opted_in(stdin=io.StringIO("yes\n")) is False


def test_no_region_and_no_credentials_are_clear_errors(monkeypatch):
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "LAB_REGION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(AwsTargetError, match="no AWS region"):
        AwsTarget(boto3.Session())
    target = AwsTarget(boto3.Session(region_name="us-east-1"))
    monkeypatch.setattr(target.session, "get_credentials", lambda: None)
    with pytest.raises(AwsTargetError, match="no AWS credentials"):
        target.identify()


def test_lab_connect_aws_goes_through_connect_aws(monkeypatch):
    seen = {}

    def fake(region=None, endpoint_url=None):
        seen.update(region=region, endpoint_url=endpoint_url)
        return "aws-target"

    monkeypatch.setattr(aws_target, "connect_aws", fake)
    assert lab.connect("aws", region="ap-south-1") == "aws-target"
    assert seen == {"region": "ap-south-1", "endpoint_url": None}


def test_offline_never_builds_an_aws_target_or_reads_real_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKING00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-looking-secret")
    monkeypatch.delenv("LAB_TARGET", raising=False)

    def boom(*a, **k):
        raise AssertionError("offline must not touch the aws target")

    monkeypatch.setattr(aws_target, "connect_aws", boom)
    monkeypatch.setattr(aws_target.AwsTarget, "__init__", boom)
    from lab.targets import OfflineTarget

    target = OfflineTarget("http://127.0.0.1:9")  # never contacted
    creds = target.session.get_credentials()
    assert (creds.access_key, creds.secret_key) == ("testing", "testing")


def test_the_plan_prices_every_experiment_with_dated_published_prices():
    plans = [plan.plan_for(name) for name in plan.PLANS]
    for p in plans:
        cost = p.cost()
        assert 0 < cost["total"] < 0.05  # a few hundred requests cost fractions of a cent
        assert cost["total"] == pytest.approx(sum(v for k, v in cost.items() if k != "total"))
    # 1 million HTTP API requests at the published $1.00/M
    assert pricing.estimate(pricing.Usage(http_api_requests=1_000_000))["total"] == 1.0
    # 1 M Lambda requests of 128 MB x 100 ms: $0.20 + 12,500 GB-s x $0.0000166667
    usage = pricing.Usage(lambda_requests=1_000_000,
                          lambda_gb_seconds=pricing.lambda_gb_seconds(1_000_000, 128, 100))
    assert pricing.estimate(usage)["total"] == pytest.approx(0.20 + 12_500 * 0.0000166667)
    assert "2026-11-27" in pricing.describe() and "aws.amazon.com/sqs/pricing" in pricing.describe()
    from lab.experiments.registry import UnknownExperiment

    with pytest.raises(UnknownExperiment, match="no AWS plan"):
        plan.plan_for("nonexistent")
