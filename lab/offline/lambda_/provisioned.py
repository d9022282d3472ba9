"""Provisioned concurrency: environments initialised ahead of traffic, on a version or alias.

moto 5.2.5 has no provisioned-concurrency control plane, so the lab answers it
(API shapes: https://docs.aws.amazon.com/lambda/latest/api/API_PutProvisionedConcurrencyConfig.html,
behaviour: https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html):
- `PUT|GET|DELETE /2019-09-30/functions/{name}/provisioned-concurrency?Qualifier=Q`,
  `GET ...?List=ALL`; `$LATEST` (or no qualifier) is refused, a missing configuration is
  `ProvisionedConcurrencyConfigNotFoundException` (404).
- PUT starts `ProvisionedConcurrentExecutions` environments of the version (an alias: the
  version it points to) at once: `Status: IN_PROGRESS` while INIT runs, `READY` when all
  are initialised; `AllocatedProvisionedConcurrentExecutions` counts the initialised ones.
- They run with `AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency`, never retire for
  idleness, and invocations of that version take them first: no `Init Duration` in REPORT.
  Beyond them, invocations start on-demand environments (cold starts as usual). A
  provisioned environment that dies (timeout, crash) is replaced, as Lambda does.
Not emulated: the check against reserved concurrency, Application Auto Scaling, the
`StatusReason` of a FAILED allocation (an INIT that fails is retried every second).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from lab.offline.errors import LabAwsError, json_response
from lab.offline.lambda_.environments import Environment
from lab.offline.lambda_.exceptions import InvalidParameterValue
from lab.offline.requests import request_region

log = logging.getLogger("lab.offline.lambda")
PATH = re.compile(r"^/2019-09-30/functions/(?P<name>[^/]+)/provisioned-concurrency/?$")
LATEST_REFUSED = ("Provisioned Concurrency Configs cannot be applied to unpublished function "
                  "versions.")
WATCH_S = 0.2


class ProvisionedEnvironment(Environment):
    """An environment Lambda initialised ahead of traffic for provisioned concurrency."""

    init_type = "provisioned-concurrency"
    provisioned = True


class ConfigNotFound(LabAwsError):
    def __init__(self):
        super().__init__("ProvisionedConcurrencyConfigNotFoundException",
                         "No Provisioned Concurrency Config found for this function", 404)


def aws_time(epoch_s: float) -> str:
    """LastModified as this API writes it: 2019-12-31T20:28:49+0000."""
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass
class Config:
    function_arn: str  # qualified with the qualifier asked for
    qualifier: str
    requested: int
    spec: object  # FunctionSpec of the version it runs
    fn: object  # moto's function (the version)
    last_modified: float
    ready: bool = False
    envs: list[Environment] = field(default_factory=list)
    starting: int = 0

    def allocated(self) -> int:
        return sum(1 for e in self.envs if e.alive and e.state in ("idle", "busy"))

    def shape(self, listed: bool = False) -> dict:
        allocated = min(self.allocated(), self.requested)
        out = {"RequestedProvisionedConcurrentExecutions": self.requested,
               "AvailableProvisionedConcurrentExecutions": allocated,
               "AllocatedProvisionedConcurrentExecutions": allocated,
               "Status": "READY" if self.ready else "IN_PROGRESS",
               "LastModified": aws_time(self.last_modified)}
        if listed:
            out = {"FunctionArn": self.function_arn, **out}
        return out


class ProvisionedConcurrency:
    """The configurations and their environments, kept allocated by one watcher thread."""

    def __init__(self, service):
        self.service = service
        self._lock = threading.Lock()
        self._configs: dict[tuple[str, str, str], Config] = {}  # (region, arn, qualifier)
        self._wake = threading.Event()
        self._stop = threading.Event()
        threading.Thread(target=self._watch, name="lambda-provisioned", daemon=True).start()

    # -- the API ----------------------------------------------------------------------
    def _key(self, function: str, qualifier: str | None, region: str,
             must_exist: bool = True):
        if not qualifier or qualifier == "$LATEST":
            raise InvalidParameterValue(LATEST_REFUSED)
        spec, invoked_arn, fn = self.service.resolve(function, qualifier, region)
        if spec.version == "$LATEST":  # an alias pointing at $LATEST
            raise InvalidParameterValue(LATEST_REFUSED)
        return (region, spec.arn, qualifier), spec, invoked_arn, fn

    def put(self, function: str, qualifier: str | None, requested, region: str) -> dict:
        if not isinstance(requested, int) or requested < 1:
            raise InvalidParameterValue(
                "1 validation error detected: Value at 'provisionedConcurrentExecutions' "
                "failed to satisfy constraint: Member must have value greater than or equal "
                "to 1")
        key, spec, invoked_arn, fn = self._key(function, qualifier, region)
        if getattr(fn, "_lab_snap_start", None) == "PublishedVersions":
            # AWS documents that SnapStart and provisioned concurrency do not combine; the
            # wording of this message is the lab's, not copied from a Lambda answer.
            raise InvalidParameterValue(
                "Provisioned Concurrency is not supported for functions with SnapStart "
                "enabled.")
        with self._lock:
            old = self._configs.pop(key, None)
            config = Config(invoked_arn, qualifier, requested, spec, fn, time.time())
            self._configs[key] = config
        if old is not None:
            self._release(old, keep=requested, into=config)
        self._wake.set()
        return config.shape()

    def get(self, function: str, qualifier: str | None, region: str) -> dict:
        key = self._key(function, qualifier, region)[0]
        with self._lock:
            config = self._configs.get(key)
        if config is None:
            raise ConfigNotFound()
        return config.shape()

    def delete(self, function: str, qualifier: str | None, region: str) -> None:
        key = self._key(function, qualifier, region)[0]
        with self._lock:
            config = self._configs.pop(key, None)
        if config is None:
            raise ConfigNotFound()
        self._release(config, keep=0)

    def list(self, function: str, region: str) -> list[dict]:
        spec = self.service.resolve(function, None, region)[0]
        with self._lock:
            configs = [c for (r, arn, _), c in self._configs.items()
                       if r == region and arn == spec.arn]
        return [c.shape(listed=True) for c in configs]

    def _release(self, old: Config, keep: int, into: Config | None = None) -> None:
        """A replaced or deleted configuration: up to `keep` environments move to the new
        one (same version), the rest are shut down."""
        envs = [e for e in old.envs if e.alive]
        if into is not None and into.spec.key == old.spec.key:
            into.envs, envs = envs[:keep], envs[keep:]
        for env in envs:
            self.service.pool.forget(env)
            threading.Thread(target=self.service.pool.retire,
                             args=(env, "provisioned concurrency removed"),
                             daemon=True).start()

    # -- keeping the environments allocated ------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(WATCH_S)
            self._wake.clear()
            with self._lock:
                configs = list(self._configs.values())
            for config in configs:
                try:
                    self._top_up(config)
                except Exception:  # the watcher must survive one bad configuration
                    log.exception("provisioned concurrency allocation failed")

    def _top_up(self, config: Config) -> None:
        with self._lock:
            config.envs = [e for e in config.envs if e.alive]
            missing = config.requested - len(config.envs) - config.starting
            config.starting += max(missing, 0)
            if config.allocated() >= config.requested:
                config.ready = True
        for _ in range(max(missing, 0)):
            threading.Thread(target=self._allocate, args=(config,), daemon=True,
                             name="lambda-provisioned-init").start()

    def _allocate(self, config: Config) -> None:
        """Start one environment and run its INIT before any traffic."""
        try:
            env = self.service._start(config.spec, config.fn, cls=ProvisionedEnvironment)
            with self._lock:
                current = self._configs.get((config.spec.region, config.spec.arn,
                                             config.qualifier)) is config
                if current:
                    config.envs.append(env)
            if not current:
                env.kill("provisioned concurrency removed")
                return
            self.service.pool.add(env)
            if env.wait_init(self.service.settings.init_timeout_s) == "ok":
                env.finish()  # initialised and idle: ready for traffic
                env.write_log(f"INIT_REPORT Init Duration: "
                              f"{env.init_breakdown_ms()['init_total_ms']:.2f} ms")
            else:
                env.kill("provisioned INIT failed")
                time.sleep(1.0)
        finally:
            with self._lock:
                config.starting -= 1
            self._wake.set()

    # -- reset and shutdown -----------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self._configs.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.reset()


class ProvisionedApi:
    """The HTTP routes of the provisioned-concurrency API."""

    def __init__(self, manager: ProvisionedConcurrency, default_region: str):
        self.manager = manager
        self.default_region = default_region

    def routes(self) -> list[tuple]:
        return [("lambda-provisioned-concurrency",
                 lambda r: r.method in ("GET", "PUT", "DELETE") and bool(PATH.match(r.path)),
                 self.handle)]

    def handle(self, request: Request) -> Response:
        name = unquote(PATH.match(request.path).group("name"))
        region = request_region(request, self.default_region)
        qualifier = request.args.get("Qualifier")
        if request.method == "PUT":
            body = request.get_json(force=True, silent=True) or {}
            shape = self.manager.put(name, qualifier, body.get("ProvisionedConcurrentExecutions"),
                                     region)
            return json_response(shape, status=202)
        if request.method == "DELETE":
            self.manager.delete(name, qualifier, region)
            return Response(b"", status=204)
        if qualifier is None and request.args.get("List") == "ALL":
            return json_response({"ProvisionedConcurrencyConfigs":
                                  self.manager.list(name, region)})
        return json_response(self.manager.get(name, qualifier, region))
