"""The `aws` target: your own test account, opt-in only.

`connect_aws()` uses boto3's standard credential chain and region (AWS_PROFILE, environment
variables, SSO, instance roles...), asks STS who you are, prints the account, region, what
the experiments will create and an estimated cost, and only then asks for an explicit
opt-in: `LAB_AWS_CONFIRM=1`, or typing `yes` at a terminal. There is no default yes.
"""

from __future__ import annotations

import os
import sys

import boto3
from botocore.config import Config

from lab.aws import plan as plans
from lab.targets.base import Target

CONFIRM_ENV = "LAB_AWS_CONFIRM"


class AwsTargetError(RuntimeError):
    """The aws target cannot start (no region, no credentials)."""


class AwsOptInRequired(PermissionError):
    """Refused: nothing is created in an AWS account without an explicit opt-in."""


class AwsTarget(Target):
    """boto3 clients for a real account; same client()/resource() API as offline."""

    name = "aws"

    def __init__(self, session: boto3.Session | None = None, region: str | None = None):
        self.session = session or aws_session(region)
        self.region = self.session.region_name
        if not self.region:
            raise AwsTargetError(
                "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), a region in your "
                "profile, or LAB_REGION")
        self.endpoint_url = None
        self.account_id = ""
        self.caller_arn = ""
        # Adaptive retries: botocore slows down on throttling before the lab's own layer.
        self._config = Config(retries={"mode": "adaptive", "max_attempts": 10},
                              user_agent_extra="serverless-lab", connect_timeout=10,
                              read_timeout=120)
        self._clients: dict[str, object] = {}

    def client(self, service: str, **kwargs):
        """One cached client per service (kwargs give a fresh one)."""
        if kwargs:
            kwargs.setdefault("config", self._config)
            return self.session.client(service, **kwargs)
        if service not in self._clients:
            self._clients[service] = self.session.client(service, config=self._config)
        return self._clients[service]

    def resource(self, service: str, **kwargs):
        kwargs.setdefault("config", self._config)
        return self.session.resource(service, **kwargs)

    def identify(self) -> dict:
        """STS GetCallerIdentity (creates nothing, costs nothing): who and which account."""
        if self.session.get_credentials() is None:
            raise AwsTargetError(
                "no AWS credentials found: use a profile (AWS_PROFILE, `aws sso login`) or "
                "environment variables for a TEST account")
        ident = self.client("sts").get_caller_identity()
        self.account_id, self.caller_arn = ident["Account"], ident["Arn"]
        return ident

    def __repr__(self) -> str:
        return f"<lab aws target account={self.account_id or '?'} region={self.region}>"


def aws_session(region: str | None = None, profile: str | None = None) -> boto3.Session:
    """The session of the aws target: `profile` (default: the standard chain) in `region`,
    else LAB_REGION, else the profile's or the chain's region."""
    return boto3.Session(profile_name=profile or None,
                         region_name=region or os.environ.get("LAB_REGION") or None)


def opted_in(*, confirm: bool | None = None, stdin=None, stdout=None,
             prompt: str = "Create these resources? Type yes to continue: ") -> bool:
    """True only for an explicit yes: `confirm=True`, LAB_AWS_CONFIRM=1, or `yes` typed at
    an interactive terminal. Anything else (no TTY, empty answer, EOF) is a no."""
    if confirm is not None:
        return bool(confirm)
    if os.environ.get(CONFIRM_ENV, "").strip() == "1":
        return True
    stdin = stdin or sys.stdin
    if stdin is None or not getattr(stdin, "isatty", lambda: False)():
        return False
    out = stdout or sys.stdout
    out.write(prompt)
    out.flush()
    answer = stdin.readline()
    return answer.strip().lower() == "yes"


def announce(target: AwsTarget, experiment_plans=None, *, out=None) -> str:
    """Identify the caller and print account, region, plan and cost; returns the text."""
    target.identify()
    text = plans.render(experiment_plans or plans.default_plans(), account_id=target.account_id,
                        region=target.region, caller_arn=target.caller_arn)
    print(text, file=out or sys.stdout)
    if os.environ.get("AWS_ENDPOINT_URL"):
        print(f"Note: AWS_ENDPOINT_URL={os.environ['AWS_ENDPOINT_URL']} redirects these "
              "clients away from AWS's own endpoints.", file=out or sys.stdout)
    return text


def connect_aws(region: str | None = None, *, experiment_plans=None, target: AwsTarget | None = None,
                confirm: bool | None = None, stdin=None, out=None) -> AwsTarget:
    """The aws target after identity, plan, cost and an explicit opt-in; refuses otherwise."""
    target = target or AwsTarget(aws_session(region))
    announce(target, experiment_plans, out=out)
    if not opted_in(confirm=confirm, stdin=stdin, stdout=out):
        raise AwsOptInRequired(
            f"Refusing to create resources in AWS account {target.account_id} "
            f"({target.region}) without an explicit opt-in. Review the plan above, then set "
            f"{CONFIRM_ENV}=1 (or answer yes at a terminal). Use a test account.")
    return target
