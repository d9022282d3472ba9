"""Offline Lambda's tunables (`GET|POST /_lab/lambda/config`); a reset keeps them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from lab.offline.lambda_.exceptions import InvalidParameterValue
from lab.offline.lambda_.runtimes import configured_from_env


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass
class Settings:
    """Tunables, from environment variables at start, changeable via /_lab/lambda/config.

    keep_alive_s: an idle environment is shut down after this long (AWS does not document
      a number; 5-10 minutes is commonly observed). LAB_LAMBDA_KEEP_ALIVE_S, default 300.
    init_timeout_s: Lambda's INIT limit, 10 s. LAB_LAMBDA_INIT_TIMEOUT_S.
    async_retry_delays_s: waits before the two async retries; Lambda waits about 1 and
      then 2 minutes. LAB_LAMBDA_ASYNC_RETRY_DELAYS_S="60,120".
    account_concurrency: account-wide concurrent executions (AWS default quota 1,000).
      LAB_LAMBDA_ACCOUNT_CONCURRENCY.
    memory_poll_s: how often a running environment's RSS is compared with MemorySize.
    state_delay_s: how long a created function stays `Pending` and an update
      `InProgress` (control.py; AWS: seconds or more, a MODEL). Long enough that code
      skipping the function_active_v2 / function_updated_v2 waiters fails offline as on
      AWS. LAB_LAMBDA_STATE_DELAY_S, default 0.4.
    interpreters: {"python3.12": "/path/to/python3.12", ...}: the interpreter to run a
      declared runtime on (runtimes.py); LAB_LAMBDA_INTERPRETERS="python3.12=/path,...".
    """

    keep_alive_s: float = field(default_factory=lambda: _env_float("LAB_LAMBDA_KEEP_ALIVE_S", 300))
    init_timeout_s: float = field(
        default_factory=lambda: _env_float("LAB_LAMBDA_INIT_TIMEOUT_S", 10))
    async_retry_delays_s: list[float] = field(default_factory=lambda: [
        float(x) for x in os.environ.get("LAB_LAMBDA_ASYNC_RETRY_DELAYS_S", "60,120").split(",")])
    account_concurrency: int = field(
        default_factory=lambda: int(_env_float("LAB_LAMBDA_ACCOUNT_CONCURRENCY", 1000)))
    memory_poll_s: float = 0.02
    state_delay_s: float = field(
        default_factory=lambda: _env_float("LAB_LAMBDA_STATE_DELAY_S", 0.4))
    interpreters: dict[str, str] = field(default_factory=configured_from_env)

    def update(self, values: dict) -> None:
        """Check every value first (InvalidParameterValue), then apply them all."""
        checked = {}
        for key, value in values.items():
            if key not in self.__dataclass_fields__:
                raise InvalidParameterValue(f"unknown setting {key!r}")
            try:
                if key == "interpreters":
                    if not isinstance(value, dict):
                        raise ValueError
                    value = {str(k): str(v) for k, v in value.items()}
                elif key == "async_retry_delays_s":
                    if not isinstance(value, list) or len(value) > 10:
                        raise ValueError
                    value = [_number(v) for v in value]
                elif key == "account_concurrency":
                    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                        raise ValueError
                else:
                    value = _number(value)
                    if key in ("init_timeout_s", "memory_poll_s") and value <= 0:
                        raise ValueError
            except (ValueError, TypeError):
                raise InvalidParameterValue(
                    f"invalid value {value!r} for {key}: "
                    + ("an object {runtime: interpreter path}" if key == "interpreters" else
                       "a positive integer" if key == "account_concurrency" else
                       "a list of numbers >= 0" if key == "async_retry_delays_s" else
                       "a number >= 0" if key == "keep_alive_s" else "a number > 0")
                ) from None
            checked[key] = value
        for key, value in checked.items():
            setattr(self, key, value)


def _number(value) -> float:
    """A finite number >= 0 (JSON numbers only: "abc", true, NaN are refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(value)
    value = float(value)
    if not 0 <= value < 1e9:
        raise ValueError(value)
    return value
