"""The `aws` target: your own test account, opt-in only.

`connect_aws()` uses boto3's standard credential chain and region (AWS_PROFILE, environment
variables, SSO, instance roles...), asks STS who you are, prints the account, region, what
the experiments will create and an estimated cost, and only then asks for an explicit
opt-in: `LAB_AWS_CONFIRM=1`, or typing `yes` at a terminal. There is no default yes.

Dress rehearsal: with `LAB_AWS_ENDPOINT_URL=<url>` (or `endpoint_url=`) every call of this
target goes to that endpoint, a `lab serve` on loopback, while everything else is this
target's own code (identity, plan and cost, opt-in, names and tags, waits, log polling,
teardown). A rehearsal never uses your credentials or profile: its clients carry fake
credentials, and a `before-send` hook refuses any request that is not for a loopback host,
so nothing reaches AWS even with real credentials in the environment. A non-loopback
endpoint is refused before any client exists. Runs record `target="rehearsal"` and the
endpoint, so a rehearsal never passes for AWS data.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlparse

import boto3
import botocore.session
from botocore.config import Config

from lab.aws import plan as plans
from lab.targets.base import Target, is_loopback

CONFIRM_ENV = "LAB_AWS_CONFIRM"
ENDPOINT_ENV = "LAB_AWS_ENDPOINT_URL"
#: The credentials of every rehearsal client (never the environment's or a profile's).
REHEARSAL_CREDENTIALS = ("rehearsal", "rehearsal")
REHEARSAL_DEFAULT_REGION = "us-east-1"


class AwsTargetError(RuntimeError):
    """The aws target cannot start (no region, no credentials)."""


class AwsOptInRequired(PermissionError):
    """Refused: nothing is created in an AWS account without an explicit opt-in."""


class RehearsalEndpointRefused(AwsTargetError):
    """A rehearsal endpoint that is not on loopback (refused before any request)."""


class RehearsalSafetyError(RuntimeError):
    """A rehearsal client tried to send a request to a host that is not loopback."""


def rehearsal_endpoint(endpoint_url: str | None = None) -> str | None:
    """The rehearsal endpoint (`endpoint_url`, else LAB_AWS_ENDPOINT_URL), checked: an
    http(s) URL on a loopback host; None when neither is set. RehearsalEndpointRefused
    for anything else (no request is made)."""
    url = (endpoint_url or os.environ.get(ENDPOINT_ENV) or "").strip()
    if not url:
        return None
    parsed = urlparse(url)
    host = parsed.hostname
    if parsed.scheme not in ("http", "https") or not is_loopback(host):
        raise RehearsalEndpointRefused(
            f"refusing rehearsal endpoint {url!r}: {ENDPOINT_ENV} / --endpoint-url must be a "
            "`lab serve` on loopback (http://127.0.0.1:<port>, http://localhost:<port>); "
            "to use AWS itself, unset it")
    return url.rstrip("/")


def _refuse_non_loopback(request, **_):
    host = urlparse(request.url).hostname
    if not is_loopback(host):
        raise RehearsalSafetyError(f"rehearsal client refused to send a request to {host}")


def rehearsal_session(region: str | None = None) -> boto3.Session:
    """A session with fake credentials and no profile, config or credentials file, whose
    clients refuse any non-loopback host."""
    core = botocore.session.Session(session_vars={
        "profile": (None, None, None, None),
        "config_file": (None, None, os.devnull, None),
        "credentials_file": (None, None, os.devnull, None),
    })
    core.set_credentials(*REHEARSAL_CREDENTIALS)
    core.register("before-send", _refuse_non_loopback)
    region = (region or os.environ.get("LAB_REGION") or os.environ.get("AWS_REGION")
              or os.environ.get("AWS_DEFAULT_REGION") or REHEARSAL_DEFAULT_REGION)
    return boto3.Session(botocore_session=core, region_name=region)


class AwsTarget(Target):
    """boto3 clients for a real account; same client()/resource() API as offline."""

    name = "aws"

    def __init__(self, session: boto3.Session | None = None, region: str | None = None, *,
                 endpoint_url: str | None = None, profile: str | None = None):
        # A rehearsal (endpoint_url or LAB_AWS_ENDPOINT_URL) is decided first: it must
        # never fall back to the real credential chain.
        self.endpoint_url = rehearsal_endpoint(endpoint_url)
        if self.endpoint_url:
            if session is not None or profile:
                raise AwsTargetError(
                    f"a rehearsal ({ENDPOINT_ENV} or --endpoint-url) uses its own session "
                    "with fake credentials: no session or profile")
            session = rehearsal_session(region)
        self.session = session or aws_session(region, profile)
        self.region = self.session.region_name
        if not self.region:
            raise AwsTargetError(
                "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), a region in your "
                "profile, or LAB_REGION")
        self.account_id = ""
        self.caller_arn = ""
        # Adaptive retries: botocore slows down on throttling before the lab's own layer.
        self._config = Config(retries={"mode": "adaptive", "max_attempts": 10},
                              user_agent_extra="serverless-lab", connect_timeout=10,
                              read_timeout=120)
        self._clients: dict[str, object] = {}

    @property
    def rehearsal(self) -> bool:
        """True when every call goes to a loopback `lab serve`, not to AWS."""
        return bool(self.endpoint_url)

    def client(self, service: str, **kwargs):
        """One cached client per service (kwargs give a fresh one)."""
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        if set(kwargs) - {"endpoint_url"}:
            kwargs.setdefault("config", self._config)
            return self.session.client(service, **kwargs)
        if service not in self._clients:
            self._clients[service] = self.session.client(service, config=self._config,
                                                         **kwargs)
        return self._clients[service]

    def resource(self, service: str, **kwargs):
        kwargs.setdefault("config", self._config)
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
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
        if self.rehearsal:
            return (f"<lab aws target REHEARSAL endpoint={self.endpoint_url} "
                    f"account={self.account_id or '?'} region={self.region}>")
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


def rehearsal_banner(target) -> str:
    """The line every rehearsal prints before and after its plan ('' on AWS itself)."""
    if not getattr(target, "rehearsal", False):
        return ""
    return (f"DRESS REHEARSAL: every call goes to {target.endpoint_url} (lab serve on this "
            "machine) with fake credentials; nothing reaches AWS. The account below is the "
            "endpoint's, the cost is what a real run would cost, and results are labelled "
            "rehearsal, never AWS.")


def announce(target: AwsTarget, experiment_plans=None, *, out=None) -> str:
    """Identify the caller and print account, region, plan and cost; returns the text."""
    out = out or sys.stdout
    target.identify()
    text = plans.render(experiment_plans or plans.default_plans(), account_id=target.account_id,
                        region=target.region, caller_arn=target.caller_arn)
    banner = rehearsal_banner(target)
    if banner:
        text = f"{banner}\n\n{text}"
    print(text, file=out)
    if banner:
        print(f"(rehearsal against {target.endpoint_url}: nothing is created in AWS)", file=out)
    elif os.environ.get("AWS_ENDPOINT_URL"):
        print(f"Note: AWS_ENDPOINT_URL={os.environ['AWS_ENDPOINT_URL']} redirects these "
              "clients away from AWS's own endpoints.", file=out)
    return text


def connect_aws(region: str | None = None, *, experiment_plans=None, target: AwsTarget | None = None,
                confirm: bool | None = None, stdin=None, out=None,
                endpoint_url: str | None = None) -> AwsTarget:
    """The aws target after identity, plan, cost and an explicit opt-in; refuses otherwise.
    With `endpoint_url` or LAB_AWS_ENDPOINT_URL: a rehearsal against that loopback endpoint
    (the same steps, the same opt-in)."""
    target = target or AwsTarget(region=region, endpoint_url=endpoint_url)
    announce(target, experiment_plans, out=out)
    if not opted_in(confirm=confirm, stdin=stdin, stdout=out):
        where = (f"the rehearsal endpoint {target.endpoint_url} (account {target.account_id})"
                 if getattr(target, "rehearsal", False) else f"AWS account {target.account_id}")
        raise AwsOptInRequired(
            f"Refusing to create resources in {where} "
            f"({target.region}) without an explicit opt-in. Review the plan above, then set "
            f"{CONFIRM_ENV}=1 (or answer yes at a terminal). Use a test account.")
    return target
