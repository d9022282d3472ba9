"""Where the notebooks' boto3 calls go: `offline` (default) or `aws` (opt-in).

`connect()` dispatches; each target lives in its own module and none imports another:
`offline` (a loopback `lab serve`), `aws` (your own test account, after an explicit
opt-in) and `stubbed` (aws-shaped clients answered by botocore's Stubber, for tests).
"""

from __future__ import annotations

import os

from lab.targets.base import (
    OfflineOnlyError,
    OfflineSafetyError,
    Target,
    is_loopback,
    require_offline,
)
from lab.targets.offline import (
    DEFAULT_OFFLINE_REGION,
    FAKE_CREDENTIALS,
    OFFLINE_ACCOUNT_ID,
    OfflineTarget,
    connect_offline,
    stop_offline,
)

TARGETS = ("offline", "aws")

__all__ = ["DEFAULT_OFFLINE_REGION", "FAKE_CREDENTIALS", "OFFLINE_ACCOUNT_ID", "TARGETS",
           "OfflineOnlyError", "OfflineSafetyError", "OfflineTarget", "Target", "connect",
           "is_loopback", "require_offline", "stop_offline"]


def connect(target: str | None = None, *, region: str | None = None,
            endpoint_url: str | None = None, fresh: bool = False) -> Target:
    """Clients for `target` (`LAB_TARGET`, default offline).

    offline: uses `endpoint_url` or `LAB_ENDPOINT_URL` if given (a `lab serve` you run),
    otherwise starts one `lab serve` for this process and reuses it; `fresh=True` starts a
    private one that `close()` (or leaving a `with` block) stops.
    aws: identity, plan, cost and an explicit opt-in first (`lab.targets.aws.connect_aws`);
    with `endpoint_url` or LAB_AWS_ENDPOINT_URL (loopback only) a dress rehearsal of it
    against a `lab serve`.
    """
    target = (target or os.environ.get("LAB_TARGET") or "offline").lower()
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")
    if target == "aws":
        from lab.targets.aws import connect_aws  # boto3's credential chain: only on request

        return connect_aws(region=region, endpoint_url=endpoint_url)
    return connect_offline(region, endpoint_url, fresh)
