"""The environment pool: warm reuse, concurrency accounting, keep-alive and retirement.

Environments are pooled per function version (region, unqualified ARN, version). An
invocation takes the most recently used idle environment of its version (warm), or, if
none is idle, a new one is started (cold) unless that would exceed the function's
ReservedConcurrentExecutions or the account concurrency (429 TooManyRequestsException;
https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html). Environments in
INIT count towards concurrency, as on AWS.

A monitor thread kills environments whose peak RSS passes MemorySize, shuts down
environments idle for longer than keep_alive_s, and retires environments whose function
was deleted or whose code or configuration changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from lab.offline.lambda_ import logs
from lab.offline.lambda_.environments import Environment, FunctionSpec
from lab.offline.lambda_.exceptions import TooManyRequests
from lab.offline.lambda_.settings import Settings

log = logging.getLogger("lab.offline.lambda")
SWEEP_S = 0.5  # how often idle and stale environments are looked for


class EnvironmentPool:
    """The live environments, what is starting, and the latest retirements.

    `current_spec(spec)` gives the function version's spec as it is now, or None if it was
    deleted: the monitor compares it with each idle environment's.
    """

    def __init__(self, settings: Settings,
                 current_spec: Callable[[FunctionSpec], FunctionSpec | None]):
        self.settings = settings
        self._current_spec = current_spec
        self._lock = threading.Lock()
        self._pools: dict[tuple, list[Environment]] = {}
        self._starting: dict[str, int] = {}  # function arn -> environments being created
        self._retired: deque[dict] = deque(maxlen=200)  # latest retirements
        self._stop = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="lambda-monitor", daemon=True)
        self._monitor.start()

    # -- taking and giving back -----------------------------------------------------------
    def acquire(self, spec: FunctionSpec, start: Callable[[], Environment]
                ) -> tuple[Environment, bool]:
        """An environment for one invocation of `spec` and whether it is cold; `start()`
        creates one when none is idle. Raises TooManyRequests (429) when throttled."""
        env, stale = self._take_idle(spec)
        for old in stale:  # off the invoke path: a retirement must not delay this call
            threading.Thread(target=self.retire, args=(old, "code or configuration updated"),
                             name="lambda-retire", daemon=True).start()
        if env is not None:
            return env, False
        try:
            env = start()
        finally:
            with self._lock:
                self._starting[spec.arn] -= 1
                if env is not None:
                    self._pools.setdefault(spec.key, []).append(env)
        return env, True

    def _take_idle(self, spec: FunctionSpec) -> tuple[Environment | None, list[Environment]]:
        """Under the lock: the warm environment to use (marked busy), or None after counting
        a new one as starting; and the environments of an older fingerprint, removed."""
        stale: list[Environment] = []
        with self._lock:
            pool = self._pools.setdefault(spec.key, [])
            idle = []
            for env in list(pool):
                state = env.state  # read once: finish() turns busy to idle concurrently
                if env.spec.fingerprint != spec.fingerprint:
                    if state != "busy":
                        pool.remove(env)
                        stale.append(env)
                elif state == "idle" and env.alive:
                    idle.append(env)
            if idle:  # provisioned environments first (provisioned.py), then the warmest
                env = max(idle, key=lambda e: (getattr(e, "provisioned", False), e.last_used))
                env.state = "busy"
                return env, stale
            self._check_concurrency(spec)
            self._starting[spec.arn] = self._starting.get(spec.arn, 0) + 1
            return None, stale

    def _check_concurrency(self, spec: FunctionSpec) -> None:
        if spec.reserved is not None and self._in_use(spec.arn) >= spec.reserved:
            raise TooManyRequests("ReservedFunctionConcurrentInvocationLimitExceeded")
        if self._in_use() >= self.settings.account_concurrency:
            raise TooManyRequests("ConcurrentInvocationLimitExceeded")

    def _in_use(self, arn: str | None = None) -> int:
        """Concurrent executions (of one function, or of the account): environments in INIT
        or busy, and those being created. Called with the lock held."""
        count = 0
        for (_, pool_arn, _), pool in self._pools.items():
            if arn is None or pool_arn == arn:
                count += sum(1 for e in pool if e.state in ("init", "busy") and e.alive)
        if arn is None:
            return count + sum(self._starting.values())
        return count + self._starting.get(arn, 0)

    def release(self, env: Environment) -> None:
        """The invocation is over: a living environment is idle again, a dead one leaves."""
        if env.alive:
            env.finish()
        else:
            self.forget(env)

    def add(self, env: Environment) -> None:
        """Pool an environment started outside `acquire` (provisioned concurrency)."""
        with self._lock:
            self._pools.setdefault(env.spec.key, []).append(env)

    def forget(self, env: Environment) -> None:
        """Drop `env` from the pool (it died or is being retired)."""
        with self._lock:
            pool = self._pools.get(env.spec.key, [])
            if env in pool:
                pool.remove(env)

    def retire(self, env: Environment, why: str) -> None:
        if why == "function deleted":
            env.log.close()  # what it prints while it is killed goes nowhere, as on AWS
        env.kill(why)
        record = {"environment_id": env.id, "function": env.spec.name, "reason": why,
                  "at_ms": logs.now_ms()}
        with self._lock:
            self._retired.append(record)

    # -- views ----------------------------------------------------------------------------
    def all(self) -> list[Environment]:
        with self._lock:
            return [e for pool in self._pools.values() for e in pool]

    def describe(self) -> list[dict]:
        """The live environments as `/_lab/lambda/environments` shows them."""
        return [{
            "environment_id": env.id, "function": env.spec.name,
            "version": env.spec.version, "region": env.spec.region, "pid": env.pid,
            "state": env.state, "log_stream": env.stream, "created_ms": env.created_ms,
            "invocations": env.invocations,
            "idle_s": round(time.monotonic() - env.last_used, 3) if env.state == "idle" else 0.0,
            "rss_kb": env.rss_kb(), "peak_rss_kb": env.peak_rss_kb(),
            "memory_size_mb": env.spec.memory_mb,
        } for env in self.all()]

    def retired(self, limit: int = 50) -> list[dict]:
        """The latest `limit` retired environments (idle, code updated, deleted), oldest
        first."""
        with self._lock:
            return list(self._retired)[-limit:]

    # -- the monitor: memory limit, idle keep-alive, retired code ----------------------
    def _watch(self) -> None:
        last_sweep = 0.0
        while not self._stop.wait(self.settings.memory_poll_s):
            self._check_memory()
            now = time.monotonic()
            if now - last_sweep >= SWEEP_S:
                last_sweep = now
                try:
                    self._sweep(now)
                except Exception:  # a sweep must never stop the monitor
                    log.exception("lambda environment sweep failed")

    def _check_memory(self) -> None:
        for env in self.all():
            if env.state in ("init", "busy") and env.alive:
                peak = env.peak_rss_kb()  # also remembered, for a process that dies
                if peak is not None and peak > env.spec.memory_mb * 1024:
                    threading.Thread(target=env.kill, args=("oom",), daemon=True).start()

    def _sweep(self, now: float) -> None:
        for env in self.all():
            if env.state != "idle" or not env.alive:
                continue
            if (now - env.last_used > self.settings.keep_alive_s
                    and not getattr(env, "provisioned", False)):
                self.forget(env)
                self.retire(env, "idle")
                continue
            spec = self._current_spec(env.spec)
            if spec is None or spec.fingerprint != env.spec.fingerprint:
                self.forget(env)
                self.retire(env, "function deleted" if spec is None
                            else "code or configuration updated")

    # -- reset and shutdown ---------------------------------------------------------------
    def kill_all(self, why: str) -> None:
        with self._lock:
            envs = [e for pool in self._pools.values() for e in pool]
            self._pools.clear()
        threads = [threading.Thread(target=e.kill, args=(why,), daemon=True) for e in envs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)

    def reset(self) -> None:
        self.kill_all("reset")
        with self._lock:
            self._retired.clear()

    def stop(self) -> None:
        """Stop the monitor and every environment (shutdown)."""
        self._stop.set()
        self.kill_all("shutdown")
