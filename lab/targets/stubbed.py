"""An `aws`-shaped target whose clients never leave the process: every call is answered by
botocore's Stubber (which checks parameters and responses against the service models).

Tests pin the aws target's calls with it. (Notebook 08 runs without an account as a dress
rehearsal instead: the real aws target against `lab serve`, `LAB_AWS_ENDPOINT_URL`.) Fake credentials and a `before-send` hook that refuses any request
make a real call impossible even if a stub is missing.
"""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from lab.targets.base import Target

STUB_ACCOUNT_ID = "111122223333"


class NetworkRefused(RuntimeError):
    """A stubbed client tried to send a request (a call nobody stubbed)."""


def _refuse(request, **_):
    raise NetworkRefused(f"stubbed aws target refused to send {request.method} {request.url}")


class StubbedAwsTarget(Target):
    """`name == "aws"` (so stacks behave as on AWS) with Stubber-backed clients.

    `stub(service)` is the Stubber to queue responses on; `calls` records every operation
    in order as (service, operation, params) across all clients.
    """

    name = "aws"

    def __init__(self, region: str = "us-east-1", account_id: str = STUB_ACCOUNT_ID):
        self.region = region
        self.account_id = account_id
        self.caller_arn = f"arn:aws:iam::{account_id}:user/stubbed"
        self.endpoint_url = None
        self.session = boto3.Session(aws_access_key_id="stubbed", aws_secret_access_key="stubbed",
                                     region_name=region)
        self._clients: dict[str, object] = {}
        self._stubbers: dict[str, Stubber] = {}
        self.calls: list[tuple[str, str, dict]] = []

    def client(self, service: str, **kwargs):
        if service not in self._clients:
            client = self.session.client(service)
            client.meta.events.register("before-send", _refuse)
            client.meta.events.register_first(
                "before-parameter-build",
                lambda params, model, _s=service, **kw: self.calls.append(
                    (_s, model.name, dict(params))))
            stubber = Stubber(client)
            stubber.activate()
            self._clients[service], self._stubbers[service] = client, stubber
        return self._clients[service]

    def resource(self, service: str, **kwargs):
        raise NotImplementedError("the stubbed target offers clients only")

    def stub(self, service: str) -> Stubber:
        self.client(service)
        return self._stubbers[service]

    def identify(self) -> dict:
        """As AwsTarget.identify, answered by a stub (no account involved)."""
        self.stub("sts").add_response("get_caller_identity", {
            "UserId": "AIDASTUBBED", "Account": self.account_id, "Arn": self.caller_arn})
        ident = self.client("sts").get_caller_identity()
        self.account_id, self.caller_arn = ident["Account"], ident["Arn"]
        return ident

    def operations(self) -> list[tuple[str, str]]:
        return [(s, op) for s, op, _ in self.calls]

    def assert_no_pending_responses(self) -> None:
        for stubber in self._stubbers.values():
            stubber.assert_no_pending_responses()

    def __repr__(self) -> str:
        return f"<lab stubbed aws target account={self.account_id} region={self.region}>"
