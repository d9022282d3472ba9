"""The offline target: boto3 clients for a `lab serve` endpoint on loopback.

Offline clients carry fake credentials and the loopback endpoint only, and a
`before-send` hook refuses any request to a non-loopback host: offline code cannot reach
a real account even with real credentials in the environment.
"""

from __future__ import annotations

import os
import threading
from urllib.parse import urlparse

import boto3
import botocore.session
from botocore.config import Config

from lab.offline.client import LabClient
from lab.offline.process import ServeProcess
from lab.targets.base import OfflineSafetyError, Target, is_loopback

FAKE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
DEFAULT_OFFLINE_REGION = "us-east-1"
OFFLINE_ACCOUNT_ID = "123456789012"


class OfflineTarget(Target):
    """Clients for a `lab serve` endpoint on loopback."""

    name = "offline"

    def __init__(self, endpoint_url: str, region: str = DEFAULT_OFFLINE_REGION,
                 process: ServeProcess | None = None, owns_process: bool = False):
        if not is_loopback(urlparse(endpoint_url).hostname):
            raise OfflineSafetyError(f"offline endpoint must be on loopback, got {endpoint_url}")
        self.endpoint_url = endpoint_url.rstrip("/")
        self.region = region
        self.account_id = OFFLINE_ACCOUNT_ID
        self._process = process
        self._owns_process = owns_process
        self._clients: dict[str, object] = {}
        self._clients_lock = threading.Lock()
        self.lab = LabClient(self.endpoint_url)  # the endpoint's own /_lab/ routes
        # No profile, no config or credentials files: AWS_PROFILE and ~/.aws never feed
        # an offline client (an unknown AWS_PROFILE would otherwise even break it).
        core = botocore.session.Session(session_vars={
            "profile": (None, None, None, None),
            "config_file": (None, None, os.devnull, None),
            "credentials_file": (None, None, os.devnull, None),
        })
        core.set_credentials(FAKE_CREDENTIALS["aws_access_key_id"],
                             FAKE_CREDENTIALS["aws_secret_access_key"])
        core.register("before-send", _refuse_non_loopback)
        self.session = boto3.Session(botocore_session=core, region_name=region)
        self._config = Config(s3={"addressing_style": "path"},
                              retries={"max_attempts": 3, "mode": "standard"},
                              read_timeout=120, connect_timeout=5)

    def client(self, service: str, **kwargs):
        """A boto3 client; plain calls share one per service (clients are thread-safe and
        cost milliseconds to build, which polling loops would pay on every call)."""
        if kwargs:
            kwargs.setdefault("config", self._config)
            return self.session.client(service, endpoint_url=self.endpoint_url, **kwargs)
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = self.session.client(
                    service, endpoint_url=self.endpoint_url, config=self._config)
            return self._clients[service]

    def resource(self, service: str, **kwargs):
        kwargs.setdefault("config", self._config)
        return self.session.resource(service, endpoint_url=self.endpoint_url, **kwargs)

    def health(self) -> dict:
        return self.lab.health()

    def reset(self) -> None:
        """Forget every resource on the endpoint (moto state and the lab's own)."""
        self.lab.reset()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def close(self) -> None:
        if self._process is not None and self._owns_process:
            self._process.stop()

    def __repr__(self) -> str:
        return f"<lab offline target {self.endpoint_url} region={self.region}>"


def _refuse_non_loopback(request, **_):
    host = urlparse(request.url).hostname
    if not is_loopback(host):
        raise OfflineSafetyError(f"offline client refused to send a request to {host}")




_shared: ServeProcess | None = None
_shared_lock = threading.Lock()


def shared_endpoint() -> ServeProcess:
    """The `lab serve` child shared by every connect() in this process (one per kernel)."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.alive():
            _shared = ServeProcess()
        return _shared


def connect_offline(region: str | None = None, endpoint_url: str | None = None,
                    fresh: bool = False) -> OfflineTarget:
    """Clients for `endpoint_url` or `LAB_ENDPOINT_URL` if given (a `lab serve` you run),
    otherwise for one `lab serve` started for this process and reused; `fresh=True` starts
    a private one that `close()` (or leaving a `with` block) stops."""
    region = region or os.environ.get("LAB_REGION") or DEFAULT_OFFLINE_REGION
    endpoint_url = endpoint_url or os.environ.get("LAB_ENDPOINT_URL")
    if endpoint_url:
        return OfflineTarget(endpoint_url, region)
    if fresh:
        process = ServeProcess()
        return OfflineTarget(process.url, region, process=process, owns_process=True)
    shared = shared_endpoint()
    return OfflineTarget(shared.url, region, process=shared)


def stop_offline() -> None:
    """Stop this process's shared offline endpoint (it also stops at exit)."""
    global _shared
    with _shared_lock:
        if _shared is not None:
            _shared.stop()
            _shared = None
