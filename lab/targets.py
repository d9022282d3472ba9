"""Where the notebooks' boto3 calls go: `offline` (default) or `aws` (opt-in).

Offline clients carry fake credentials and the loopback endpoint only, and a
`before-send` hook refuses any request to a non-loopback host: offline code cannot reach
a real account even with real credentials in the environment.
"""

from __future__ import annotations

import ipaddress
import json
import os
import threading
import urllib.parse
import urllib.request
from urllib.parse import urlparse

import boto3
import botocore.session
from botocore.config import Config

from lab.offline.process import ServeProcess

TARGETS = ("offline", "aws")
FAKE_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
DEFAULT_OFFLINE_REGION = "us-east-1"
OFFLINE_ACCOUNT_ID = "123456789012"


class OfflineOnlyError(RuntimeError):
    """A lab-only record or setting was asked of a target that has none (AWS)."""


def require_offline(target, what: str, on_aws: str) -> None:
    """Refuse `what` (a lab serve record/setting) on AWS, saying what to use there."""
    if not getattr(target, "is_offline", False):
        raise OfflineOnlyError(f"{what} exist only offline (lab serve); on AWS {on_aws}")


class OfflineSafetyError(RuntimeError):
    """An offline client tried to send a request somewhere other than loopback."""


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Target:
    """boto3 clients for one target, plus what a notebook needs to know about it."""

    name: str = ""
    region: str
    endpoint_url: str | None
    account_id: str

    def client(self, service: str, **kwargs):
        raise NotImplementedError

    def resource(self, service: str, **kwargs):
        raise NotImplementedError

    @property
    def is_offline(self) -> bool:
        return self.name == "offline"

    def close(self) -> None:
        """Release what this target owns (an offline endpoint it started itself)."""

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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

    def lab_api(self, path: str, body: dict | None = None, timeout: float = 30.0,
                **query) -> object:
        """The endpoint's own `/_lab/...` routes (no AWS equivalent): GET with `query`, or
        POST `body` as JSON; returns the decoded JSON answer."""
        url = f"{self.endpoint_url}/_lab/{path.lstrip('/')}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method="GET" if data is None else "POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.load(resp)

    def health(self) -> dict:
        return self.lab_api("health", timeout=5)

    def reset(self) -> None:
        """Forget every resource on the endpoint (moto state and the lab's own)."""
        self.lab_api("reset", body={})

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


def _shared_endpoint() -> ServeProcess:
    """The `lab serve` child shared by every connect() in this process (one per kernel)."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.alive():
            _shared = ServeProcess()
        return _shared


def connect(target: str | None = None, *, region: str | None = None,
            endpoint_url: str | None = None, fresh: bool = False) -> Target:
    """Clients for `target` (`LAB_TARGET`, default offline).

    offline: uses `endpoint_url` or `LAB_ENDPOINT_URL` if given (a `lab serve` you run),
    otherwise starts one `lab serve` for this process and reuses it; `fresh=True` starts a
    private one that `close()` (or leaving a `with` block) stops.
    """
    target = (target or os.environ.get("LAB_TARGET") or "offline").lower()
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")
    if target == "aws":
        from lab.aws_target import connect_aws

        return connect_aws(region=region)
    region = region or os.environ.get("LAB_REGION") or DEFAULT_OFFLINE_REGION
    endpoint_url = endpoint_url or os.environ.get("LAB_ENDPOINT_URL")
    if endpoint_url:
        return OfflineTarget(endpoint_url, region)
    if fresh:
        process = ServeProcess()
        return OfflineTarget(process.url, region, process=process, owns_process=True)
    shared = _shared_endpoint()
    return OfflineTarget(shared.url, region, process=shared)


def stop_offline() -> None:
    """Stop this process's shared offline endpoint (it also stops at exit)."""
    global _shared
    with _shared_lock:
        if _shared is not None:
            _shared.stop()
            _shared = None
