"""AWS managed policies, parsed once per process and built into an IAM backend only when
that backend first looks one up.

The lab needs moto's AWS managed policies (`service-role/AWSLambdaSQSQueueExecutionRole`,
`AWSLambdaBasicExecutionRole`, ...), and moto builds all ~1,600 of them in every IAM backend
it creates: one per partition (six), twice per reset (the reset, then the first request's
account lookup). That was about a second of CPU per reset, most of a typical test's setup.
Here a backend's `managed_policies` is a mapping that fills itself on first use with fresh
objects (attachment counts stay per backend), from data parsed once. What a client sees is
unchanged: the same policies, documents and dates.
"""

from __future__ import annotations

import json
from collections import UserDict
from datetime import datetime
from functools import cache

from moto.iam import models as iam_models
from moto.settings import load_iam_aws_managed_policies

from lab.offline.moto_guard import MotoGuard

MOTO_VERIFIED = "5.2.5"
IAMBackend = iam_models.IAMBackend
GUARD = MotoGuard(MOTO_VERIFIED, {
    "IAMBackend._init_aws_policies":
        "b3f2c8c3a9c6a1eb111edf70dbf4d4a8731fd0b0f0c826849ce638583efd0a37",
    "IAMBackend._init_managed_policies":
        "fb61ef428691ef3f46f838134524e7fe4db906c33c3edcc05e73cbdfb4eca077",
}, {"IAMBackend": IAMBackend})


@cache
def _policy_data() -> tuple[tuple, ...]:
    """(name, default version, path, document JSON, created, updated) per AWS managed
    policy, as moto's `AWSManagedPolicy.from_data` reads them, parsed once."""
    parsed = json.loads(iam_models.aws_managed_policies_data)
    return tuple((name, d.get("DefaultVersionId"), d.get("Path"), json.dumps(d.get("Document")),
                  datetime.fromisoformat(d["CreateDate"]),
                  datetime.fromisoformat(d["UpdateDate"]))
                 for name, d in parsed.items())


def build_policies(account_id: str, region_name: str) -> dict[str, iam_models.ManagedPolicy]:
    """{arn: AWSManagedPolicy}: new objects, equal to what moto's backend builds."""
    out = {}
    for name, version, path, document, created, updated in _policy_data():
        policy = iam_models.AWSManagedPolicy(
            name, account_id=account_id, region=region_name, default_version_id=version,
            path=path, document=document, create_date=created, update_date=updated)
        out[policy.arn] = policy
    return out


class LazyManagedPolicies(UserDict):
    """An IAM backend's `managed_policies` ({arn: policy}, AWS's and the account's own):
    the AWS managed ones are built on the first read or write."""

    def __init__(self, account_id: str, region_name: str):
        self._account_id, self._region_name = account_id, region_name
        self._filled: dict | None = None
        super().__init__()

    @property
    def data(self) -> dict:
        if self._filled is None:
            self._filled = build_policies(self._account_id, self._region_name)
        return self._filled

    @data.setter
    def data(self, value: dict) -> None:  # UserDict.__init__ assigns {}: nothing to keep
        if value:
            self.data.update(value)

    @property
    def built(self) -> bool:
        return self._filled is not None


def install() -> None:
    """Replace the eager build in moto's IAMBackend (idempotent). Without
    MOTO_IAM_LOAD_MANAGED_POLICIES moto loads none, and neither does this."""

    def aws_policies(original):
        def _init_aws_policies(self):
            return []  # built lazily, in managed_policies
        return _init_aws_policies

    def managed_policies(original):
        def _init_managed_policies(self):
            if not load_iam_aws_managed_policies():
                return original(self)
            return LazyManagedPolicies(self.account_id, self.region_name)
        return _init_managed_policies

    GUARD.wrap(IAMBackend, "_init_aws_policies", aws_policies)
    GUARD.wrap(IAMBackend, "_init_managed_policies", managed_policies)
