"""The rehearsal's safety rails, without any endpoint: a non-loopback rehearsal endpoint is
refused before any request, and a rehearsal client never carries the environment's
credentials nor sends a request anywhere but loopback."""

from __future__ import annotations

import io
import socket

import pytest

import lab
from lab.cli import aws as aws_cli
from lab.experiments.metadata import run_metadata, target_info, tidy
from lab.results import data
from lab.targets.aws import (
    AwsTarget,
    AwsTargetError,
    RehearsalEndpointRefused,
    RehearsalSafetyError,
)

NOT_LOOPBACK = ["http://example.com:4566", "https://sqs.us-east-1.amazonaws.com",
                "http://10.0.0.1:4566", "http://localhost.example.com:4566",
                "ftp://127.0.0.1:4566", "127.0.0.1:4566"]


@pytest.fixture
def no_network(monkeypatch) -> list:
    """Every attempt to open a connection is recorded and refused."""
    attempts: list = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("network call attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.fixture
def real_looking_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEYNEVERUSED0")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-token")
    monkeypatch.setenv("AWS_PROFILE", "production-never-used")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://sts.amazonaws.com")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "https://sts.amazonaws.com")
    monkeypatch.delenv("LAB_AWS_ENDPOINT_URL", raising=False)


@pytest.mark.parametrize("url", NOT_LOOPBACK)
def test_a_non_loopback_endpoint_is_refused_before_any_request(url, no_network, monkeypatch):
    with pytest.raises(RehearsalEndpointRefused, match="loopback"):
        AwsTarget(endpoint_url=url)
    monkeypatch.setenv("LAB_AWS_ENDPOINT_URL", url)
    with pytest.raises(RehearsalEndpointRefused, match="refusing rehearsal endpoint"):
        lab.connect("aws")
    out = io.StringIO()
    code = aws_cli.main(aws_cli.parse(["plan", "--endpoint-url", url]), out=out)
    assert code == 2 and "refusing rehearsal endpoint" in out.getvalue()
    assert no_network == []


def test_a_rehearsal_never_uses_the_environments_credentials_or_profile(
        real_looking_credentials):
    target = AwsTarget(endpoint_url="http://127.0.0.1:4566")
    creds = target.session.get_credentials()
    assert (creds.access_key, creds.secret_key, creds.token) == ("rehearsal", "rehearsal", None)
    for service in ("sts", "sqs", "lambda", "iam", "logs", "apigatewayv2",
                    "resourcegroupstaggingapi"):
        assert target.client(service).meta.endpoint_url == "http://127.0.0.1:4566"
    assert target.client("sts", region_name="eu-west-1").meta.endpoint_url == \
        "http://127.0.0.1:4566"
    with pytest.raises(AwsTargetError, match="no session or profile"):
        AwsTarget(endpoint_url="http://127.0.0.1:4566", profile="prod")


def test_a_rehearsal_client_refuses_any_host_but_loopback(real_looking_credentials, no_network):
    target = AwsTarget(endpoint_url="http://localhost:4566")
    sts = target.session.client("sts", endpoint_url="https://sts.amazonaws.com")
    with pytest.raises(RehearsalSafetyError, match="sts.amazonaws.com"):
        sts.get_caller_identity()
    assert no_network == []


def test_rehearsal_metadata_labels_and_check_run(tmp_path):
    target = AwsTarget(endpoint_url="http://127.0.0.1:4566", region="eu-west-1")
    assert target_info(target) == {"target": "rehearsal", "region": "eu-west-1",
                                   "rehearsal_of": "aws", "endpoint_url": "http://127.0.0.1:4566"}
    meta = run_metadata("x", target, {}, seed=0, columns={"v": "a value (ms)"})
    df = tidy([{"v": 1.0}], {"v": "a value (ms)"}, meta)
    assert data.source_kind(df) == "rehearsal"
    assert data.source_label(df) == data.REHEARSAL_LABEL and "not AWS" in data.REHEARSAL_LABEL
    data.save_run(df, "ok", tmp_path)
    for forged in ({"target": "aws"}, {"target": "rehearsal", "endpoint_url": None}):
        bad = df.copy()
        bad.attrs.update(forged)
        with pytest.raises(data.RunSchemaError):
            data.save_run(bad, "bad", tmp_path)


def test_charts_say_rehearsal_in_legend_and_caption():
    import matplotlib

    matplotlib.use("Agg")
    from lab.results import plots

    target = AwsTarget(endpoint_url="http://127.0.0.1:4566")
    df = tidy([{"end_to_end_ms": v} for v in (1.0, 2.0, 3.0)],
              {"end_to_end_ms": "latency (ms)"},
              run_metadata("x", target, {}, seed=0, columns={"end_to_end_ms": "latency (ms)"}))
    fig = plots.latency_cdf(df)
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "rehearsal" in texts and "not AWS data" in texts
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0].startswith("rehearsal")
