"""The function look-up: the only place that reads moto's Lambda backend.

moto keeps the control plane (create_function, versions, aliases, concurrency, code);
`resolve` takes a snapshot of one function version as a `FunctionSpec`.
"""

from __future__ import annotations

from lab.offline.lambda_.environments import FunctionSpec
from lab.offline.lambda_.exceptions import (
    NOT_FOUND_PREFIX,
    InvalidParameterValue,
    MotoClientError,
    ResourceNotFound,
)


def resolve(account_id: str, function: str, qualifier: str | None, region: str
            ) -> tuple[FunctionSpec, str, object]:
    """Three values for a function name or ARN and an optional qualifier: the version's
    `FunctionSpec`, the ARN it was invoked by (qualified as the caller qualified it), and
    moto's function object (code bytes, event invoke configs).

    Raises ResourceNotFound (404), moto's other client errors as MotoClientError (400), and
    InvalidParameterValue (400) for a name moto cannot parse.
    """
    from moto.awslambda.exceptions import UnknownFunctionException
    from moto.awslambda.utils import get_backend
    from moto.core.exceptions import JsonRESTError

    try:
        fn = get_backend(account_id, region).get_function(function, qualifier)
    except UnknownFunctionException as exc:
        raise ResourceNotFound(exc.message.removeprefix(NOT_FOUND_PREFIX)) from None
    except JsonRESTError as exc:  # moto's InvalidParameterValueException and friends
        raise MotoClientError(exc.error_type, exc.message) from None
    except ValueError as exc:  # a name moto cannot split, e.g. "a:b:c:d"
        raise InvalidParameterValue(str(exc)) from None
    spec = _spec(account_id, region, fn)
    return spec, _invoked_arn(spec.arn, function, qualifier), fn


def _spec(account_id: str, region: str, fn) -> FunctionSpec:
    version = str(fn.version)
    arn = fn.function_arn
    return FunctionSpec(
        account_id=account_id, region=region, name=fn.function_name,
        arn=arn if version == "$LATEST" else arn.rsplit(":", 1)[0],  # unqualified
        version=version, handler=fn.handler or "", runtime=fn.run_time or "",
        memory_mb=int(fn.memory_size or 128), timeout_s=float(fn.timeout or 3),
        env_vars=tuple(sorted((fn.environment_vars or {}).items())),
        code_sha=getattr(fn, "code_sha_256", ""),
        reserved=None if fn.reserved_concurrency is None else int(fn.reserved_concurrency),
        layers=tuple(layer["Arn"] for layer in (getattr(fn, "layers", None) or [])),
        ephemeral_mb=int(getattr(fn, "ephemeral_storage", None) or 512))


def _invoked_arn(unqualified: str, function: str, qualifier: str | None) -> str:
    """Lambda-Runtime-Invoked-Function-Arn: a qualifier given in the ARN or separately."""
    if qualifier is None and ":" in function.split(":function:")[-1]:
        return f"{unqualified}:{function.rsplit(':', 1)[1]}"
    return unqualified if qualifier is None else f"{unqualified}:{qualifier}"


def live_code_shas(account_id: str) -> set[str]:
    """CodeSha256 of every function version moto stores for the account (any region)."""
    from moto.awslambda.models import lambda_backends
    from moto.awslambda.utils import get_backend
    from moto.awslambda_simple.models import lambda_simple_backends

    shas: set[str] = set()
    regions = set(lambda_backends[account_id].keys()) | set(
        lambda_simple_backends[account_id].keys())
    for region in regions:  # get_backend picks the store moto uses (no Docker: "simple")
        storage = get_backend(account_id, region)._lambdas
        for group in list(storage._functions.values()):
            for fn in [group["latest"], *group["versions"]]:
                shas.add(getattr(fn, "code_sha_256", "") or "")
    return shas


def code_package(fn) -> bytes:
    """The version's deployment package (zip bytes) as moto stores it."""
    return getattr(fn, "code_bytes", b"") or b""


def layer_packages(account_id: str, region: str, spec: FunctionSpec) -> list[tuple]:
    """[(layer version ARN, zip bytes, CodeSha256)] in the function's order; AWS's public
    Powertools layers have no bytes here (layers.py provides them)."""
    from moto.awslambda.utils import get_backend

    backend = get_backend(account_id, region)
    out = []
    for arn in spec.layers:
        version = backend.layers_versions_by_arn(arn)
        out.append((arn, getattr(version, "code_bytes", b"") or b"",
                    getattr(version, "code_sha_256", "") or ""))
    return out


def event_invoke_config(fn) -> dict:
    """The version's PutFunctionEventInvokeConfig settings, {} if none."""
    configs = getattr(fn, "event_invoke_config", None) or []
    return configs[0].config if configs else {}
