"""What the mapping needs to know about its function, read from moto's Lambda store."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    arn: str  # with the qualifier when one was given (alias or version)
    timeout: int
    reserved_concurrency: int | None


def _split(name_or_arn: str) -> tuple[str, str | None, str | None]:
    """(name, qualifier, region-from-arn) for a name, partial ARN or full ARN."""
    parts = name_or_arn.split(":")
    if name_or_arn.startswith("arn:") and len(parts) >= 7:
        return parts[6], (parts[7] if len(parts) > 7 else None), parts[3]
    if len(parts) == 3 and parts[1] == "function":  # 123456789012:function:name
        return parts[2], None, None
    if len(parts) == 2:  # name:qualifier
        return parts[0], parts[1], None
    return name_or_arn, None, None


def lookup(name_or_arn: str, account: str, region: str) -> FunctionInfo | None:
    from moto.awslambda.utils import get_backend  # the store moto's use_docker picks

    name, qualifier, arn_region = _split(name_or_arn)
    region = arn_region or region
    try:
        fn = get_backend(account, region).get_function(name, qualifier)
    except Exception:
        return None
    if fn is None:
        return None
    base_arn = f"arn:aws:lambda:{region}:{account}:function:{fn.function_name}"
    arn = f"{base_arn}:{qualifier}" if qualifier else base_arn
    reserved = getattr(fn, "reserved_concurrency", None)
    return FunctionInfo(name=fn.function_name, arn=arn, timeout=int(fn.timeout or 3),
                        reserved_concurrency=int(reserved) if reserved is not None else None)


def unknown_function_arn(name_or_arn: str, account: str, region: str) -> str:
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    name, qualifier, _ = _split(name_or_arn)
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn
