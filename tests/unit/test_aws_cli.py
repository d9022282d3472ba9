"""`lab aws plan | run | cleanup` wired to a stubbed aws target (no account)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from lab import cli
from lab.cli import aws as aws_cli
from lab.experiments import registry as experiments
from lab.experiments.metadata import run_metadata, tidy
from lab.targets.stubbed import StubbedAwsTarget
from tests.unit.conftest import Tty


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.delenv("LAB_AWS_CONFIRM", raising=False)
    target = StubbedAwsTarget("eu-central-1")
    monkeypatch.setattr(aws_cli, "make_target", lambda args: target)
    return target


def run_cli(argv, stdin=None):
    out = io.StringIO()
    code = aws_cli.main(aws_cli.parse(argv), out=out, stdin=stdin or io.StringIO())
    return code, out.getvalue()


def test_the_lab_command_has_aws_subcommands():
    args = cli._parser().parse_args(["aws", "--region", "eu-west-1", "run", "redelivery",
                                     "--param", "n_messages=3", "--yes"])
    assert (args.command, args.aws_command, args.experiment, args.yes) == (
        "aws", "run", "redelivery", True)
    assert aws_cli._params(["n_messages=3", "imports=[\"json\"]", "mode=fast"]) == {
        "n_messages": 3, "imports": ["json"], "mode": "fast"}


def test_plan_prints_identity_region_plan_and_cost_and_creates_nothing(aws):
    code, text = run_cli(["plan", "redelivery", "cold_start"])
    assert code == 0
    assert "AWS account: 111122223333" in text and "Region:      eu-central-1" in text
    assert "SQS queue redelivery-<run-id>-work" in text and "coldwarm-<run-id>-fn" in text
    assert "Nothing was created" in text
    assert aws.operations() == [("sts", "GetCallerIdentity")]


def fake_experiment(calls):
    def experiment(target, *, n_messages=6):
        calls.append((target, n_messages))
        meta = run_metadata("fake", target, {"n_messages": n_messages}, seed=0,
                            columns={"x": "a number"})
        return tidy([{"x": 1}], {"x": "a number"}, meta)
    return experiment


def test_run_refuses_without_opt_in_and_runs_nothing(aws, monkeypatch):
    calls = []
    monkeypatch.setattr(experiments, "available", lambda: {"redelivery": fake_experiment(calls)})
    code, text = run_cli(["run", "redelivery"])
    assert code == 3 and "without an explicit opt-in" in text and calls == []


def test_run_with_a_typed_yes_runs_the_experiment_on_the_target_and_saves_it(
        aws, monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(experiments, "available", lambda: {"redelivery": fake_experiment(calls)})
    code, text = run_cli(["run", "redelivery", "--param", "n_messages=2", "--save", "aws-fake",
                          "--runs-dir", str(tmp_path)], stdin=Tty("yes\n"))
    assert code == 0, text
    assert calls == [(aws, 2)]
    saved = pd.read_csv(tmp_path / "aws-fake.csv")
    assert list(saved.columns) == ["x"]
    assert '"target": "aws"' in (tmp_path / "aws-fake.json").read_text()


def test_every_registered_experiment_that_exists_has_a_plan():
    from lab.aws import plan

    for name in experiments.available():
        assert plan.plan_for(name).experiment == name


def test_cleanup_lists_and_deletes_only_on_yes(aws):
    tagging = aws.stub("resourcegroupstaggingapi")
    iam = aws.stub("iam")
    arn = "arn:aws:logs:eu-central-1:111122223333:log-group:/aws/lambda/x-r9-fn"
    for _ in range(2):
        tagging.add_response("get_resources", {"ResourceTagMappingList": [{
            "ResourceARN": arn, "Tags": [{"Key": "lab:run-id", "Value": "r9"}]}]})
        iam.add_response("list_roles", {"Roles": [], "IsTruncated": False})
    code, text = run_cli(["cleanup"])
    assert code == 3 and "log-group" in text and "/aws/lambda/x-r9-fn (run r9)" in text
    assert "Nothing deleted" in text
    aws.stub("logs").add_response("delete_log_group", {}, {"logGroupName": "/aws/lambda/x-r9-fn"})
    code, text = run_cli(["cleanup", "--yes"])
    assert code == 0 and "Deleted 1." in text
    aws.assert_no_pending_responses()


def test_no_region_is_one_clear_line_not_a_traceback(monkeypatch):
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "LAB_REGION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    out = io.StringIO()
    assert aws_cli.main(aws_cli.parse(["plan"]), out=out) == 2
    assert out.getvalue().startswith("lab aws plan: no AWS region")


def test_an_unknown_experiment_names_the_known_ones(aws):
    code, text = run_cli(["run", "nope", "--yes"])
    assert code == 2 and "unknown experiment 'nope'" in text and "redelivery" in text


@pytest.mark.parametrize("alias", ["pipeline_latency", "pipeline-latency", "coldstart",
                                   "cold-starts", "cold_vs_warm"])
def test_plan_and_run_accept_the_same_experiment_names(aws, monkeypatch, alias):
    code, text = run_cli(["plan", alias])
    assert code == 0, text
    calls = []
    canonical = experiments.canonical(alias)
    monkeypatch.setattr(experiments, "available", lambda: {canonical: fake_experiment(calls)})
    code, text = run_cli(["run", alias, "--yes"])
    assert code == 0, text
    assert calls == [(aws, 6)]


def test_a_key_error_inside_an_aws_experiment_is_a_traceback_not_an_unknown_name(
        aws, monkeypatch):
    def broken(target):
        return {}["missing"]

    monkeypatch.setattr(experiments, "available", lambda: {"redelivery": broken})
    with pytest.raises(KeyError, match="missing"):
        run_cli(["run", "redelivery", "--yes"])


def test_a_profile_keeps_lab_region_and_region_choices(monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile lab]\nregion = us-west-2\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "LAB_REGION"):
        monkeypatch.delenv(var, raising=False)
    assert aws_cli.make_target(aws_cli.parse(["--profile", "lab", "plan"])).region == "us-west-2"
    monkeypatch.setenv("LAB_REGION", "eu-west-1")
    assert aws_cli.make_target(aws_cli.parse(["--profile", "lab", "plan"])).region == "eu-west-1"
    assert aws_cli.make_target(aws_cli.parse(["--profile", "lab", "--region", "ap-south-1",
                                              "plan"])).region == "ap-south-1"
