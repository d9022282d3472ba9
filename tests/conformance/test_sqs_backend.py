"""The lab's SQS backend is moto's, subclassed and registered (lab/offline/sqs/models.py),
and `/_lab/health` says when moto's code under it changed (lab/offline/sqs/guard.py)."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import Client

from lab.offline.app import LabApp, ServerContext
from lab.offline.sqs import guard, models
from lab.offline.sqs.exceptions import SQSLayerNotInstalled


def _health(monkeypatch, *, allow: bool, changed: str | None) -> dict:
    """GET /_lab/health of an in-process LabApp with the SQS layer."""
    if allow:
        monkeypatch.setenv(guard.ALLOW_UNVERIFIED_ENV, "1")
    else:
        monkeypatch.delenv(guard.ALLOW_UNVERIFIED_ENV, raising=False)
    if changed is not None:  # as if moto's source of `changed` differed from 5.2.5's
        monkeypatch.setitem(guard.MOTO_SOURCE_SHA256, changed, "0" * 64)
    app = LabApp(ServerContext("127.0.0.1", 0), extensions=["lab.offline.sqs"])
    try:
        response = Client(app).get("/_lab/health")
        assert response.status_code == 200
        return json.loads(response.get_data())
    finally:
        app.shutdown()


def test_health_is_ready_on_the_verified_moto(monkeypatch):
    body = _health(monkeypatch, allow=False, changed=None)
    assert body["status"] == "ready"
    assert "degraded" not in body
    assert body["sqs_fixes"]["moto_source_changed"] == []
    assert body["sqs_fixes"]["backend"] == "lab.offline.sqs.models.LabSQSBackend"


def test_health_is_degraded_and_names_the_changed_moto_functions(monkeypatch):
    body = _health(monkeypatch, allow=False, changed="SQSBackend.receive_message")
    assert body["status"] == "degraded"
    assert "SQSBackend.receive_message" in body["degraded"]["sqs"]
    assert guard.ALLOW_UNVERIFIED_ENV in body["degraded"]["sqs"]
    assert body["sqs_fixes"]["moto_source_changed"] == ["SQSBackend.receive_message"]


def test_health_stays_ready_with_a_note_when_unverified_moto_is_allowed(monkeypatch):
    body = _health(monkeypatch, allow=True, changed="Queue.add_message")
    assert body["status"] == "ready"
    assert "degraded" not in body
    assert body["sqs_fixes"]["moto_source_changed"] == ["Queue.add_message"]
    assert "unverified" in body["sqs_fixes"]["note"]


def test_moto_builds_lab_backends_and_queues_once_registered():
    from moto.sqs.models import sqs_backends

    models.register()
    models.register()  # idempotent
    backend = sqs_backends["123456789012"]["eu-west-1"]
    assert isinstance(backend, models.LabSQSBackend)
    queue = backend.create_queue("registered-q")
    try:
        assert isinstance(queue, models.LabQueue)
        assert queue.store.queue is queue  # the queue owns its message store
        sent = backend.send_message("registered-q", "x")
        [got] = backend.receive_message("registered-q", 1, 0, 30, receiver="t")
        assert (got.id, type(got)) == (sent.id, models.LabMessage)
    finally:
        backend.delete_queue("registered-q")


def test_without_the_lab_backend_lab_callers_refuse_with_a_clear_error(monkeypatch):
    from moto.core.base_backend import BackendDict
    from moto.sqs import models as moto_sqs

    from lab.offline.esm import sqs_source

    # moto's own SQS, as in a process where the lab's SQS layer was never installed
    monkeypatch.setattr(moto_sqs, "sqs_backends", BackendDict(moto_sqs.SQSBackend, "sqs"))
    ref = sqs_source.QueueRef.parse("arn:aws:sqs:us-east-1:123456789012:plain")
    with pytest.raises(SQSLayerNotInstalled, match="lab.offline.sqs") as info:
        sqs_source.receive(ref, 1, 0, receiver="esm-1/poller-0")
    assert "event source mapping" in str(info.value)
