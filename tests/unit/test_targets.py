"""Safety rail: offline clients carry fake credentials and talk to loopback only."""

from __future__ import annotations

import socket

import pytest

import lab
from lab.targets import OfflineSafetyError, OfflineTarget, connect


def test_offline_clients_never_resolve_an_amazonaws_host(cloud, monkeypatch):
    # Real-looking credentials and profile settings in the environment must not matter.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_PROFILE", "production-that-does-not-exist")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://sqs.us-east-1.amazonaws.com")
    resolved: list[str] = []
    real = socket.getaddrinfo

    def recording(host, *args, **kwargs):
        resolved.append(str(host))
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording)
    target = OfflineTarget(cloud.endpoint_url)
    target.client("sqs").list_queues()
    target.client("sts").get_caller_identity()
    target.client("lambda").list_functions()
    target.client("s3").list_buckets()
    target.client("iam").list_roles()
    assert resolved, "the calls went somewhere"
    assert not [h for h in resolved if "amazonaws" in h or "aws" in h.split(".")]
    creds = target.session.get_credentials()
    assert creds.access_key == "testing"


def test_an_offline_client_refuses_a_non_loopback_endpoint(cloud):
    target = OfflineTarget(cloud.endpoint_url)
    sneaky = target.session.client("sqs", endpoint_url="https://sqs.us-east-1.amazonaws.com")
    with pytest.raises(OfflineSafetyError):
        sneaky.list_queues()


def test_an_offline_target_cannot_be_pointed_at_aws():
    with pytest.raises(OfflineSafetyError):
        OfflineTarget("https://sqs.us-east-1.amazonaws.com")


def test_connect_reads_lab_target_and_rejects_unknown_targets(monkeypatch):
    monkeypatch.setenv("LAB_TARGET", "nowhere")
    with pytest.raises(ValueError, match="unknown target 'nowhere'"):
        connect()


def test_connect_reuses_one_endpoint_per_process_and_fresh_gets_its_own(monkeypatch):
    monkeypatch.delenv("LAB_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("LAB_TARGET", raising=False)
    a, b = lab.connect(), lab.connect()
    assert a.endpoint_url == b.endpoint_url and a.name == "offline"
    with lab.connect(fresh=True) as own:
        assert own.endpoint_url != a.endpoint_url
        assert own.client("sqs").list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200
        pid = own.pid
    import os
    import time

    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
