"""What every target shares: the `Target` interface, loopback checks, and the refusal of
lab-only records on a target that has none (AWS)."""

from __future__ import annotations

import ipaddress


class OfflineOnlyError(RuntimeError):
    """A lab-only record or setting was asked of a target that has none (AWS)."""


def require_offline(target, what: str, on_aws: str) -> None:
    """Refuse `what` (a lab serve record/setting) on AWS, saying what to use there."""
    if not getattr(target, "is_offline", False):
        raise OfflineOnlyError(f"{what} exist only offline (lab serve); on AWS {on_aws}")


class OfflineSafetyError(RuntimeError):
    """An offline client tried to send a request somewhere other than loopback."""


def is_loopback(host: str | None) -> bool:
    """True for `localhost`, `*.localhost` and loopback addresses (127.0.0.0/8, ::1)."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
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
