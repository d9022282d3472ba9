"""Lambda's control plane as AWS answers it, over moto 5.2.5's model (behind the guard).

moto answers every Lambda control-plane call; this module changes its model layer once,
so every route and in-process caller sees the same function:
- States (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html):
  CreateFunction answers `State: Pending` ("The function is being created.",
  `StateReasonCode: Creating`), the function turns `Active` after `state_delay_s`
  (`/_lab/lambda/config`, `LAB_LAMBDA_STATE_DELAY_S`); an update answers
  `LastUpdateStatus: InProgress`, then `Successful` after the same delay. A Pending
  function cannot be invoked or updated, an update in progress blocks another one
  (ResourceConflictException, 409). The delay is a MODEL: AWS takes seconds to minutes.
- `RevisionId`: new on every change (create, each state change, update, publish), checked
  as a precondition by UpdateFunctionCode, UpdateFunctionConfiguration and PublishVersion
  (PreconditionFailedException, 412).
- Configuration shape as GetFunctionConfiguration answers on AWS: `LoggingConfig`
  (`LogFormat: Text`, `LogGroup: /aws/lambda/<name>`), `RuntimeVersionConfig`, no `Layers`
  key without layers, no null members, `LastModified` as `2020-04-10T19:06:32.563+0000`
  (botocore's examples-1.json, GetFunctionConfiguration).
- A missing function: `Function not found: arn:aws:lambda:<region>:<account>:function:NAME:$LATEST`
  (unqualified names are $LATEST).
- Layers: at most 5 ("Cannot reference more than 5 layers."); AWS's public Powertools
  layer ARNs resolve to the installed aws-lambda-powertools (layers.py).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid
from datetime import UTC, datetime

from moto.awslambda import models as lambda_models
from moto.awslambda import responses as lambda_responses
from moto.awslambda.exceptions import (
    InvalidParameterValueException,
    LambdaClientError,
    PreconditionFailedException,
)

from lab.offline.lambda_ import layers
from lab.offline.moto_guard import MotoGuard

MOTO_VERIFIED = "5.2.5"
PENDING_REASON = "The function is being created."
UPDATE_REASON = "The function is being created."  # what Lambda says for updates too
PRECONDITION_MESSAGE = ("The Revision Id provided does not match the latest Revision Id. "
                        "Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
MAX_LAYERS = 5

LambdaFunction = lambda_models.LambdaFunction
LambdaBackend = lambda_models.LambdaBackend
LambdaStorage = lambda_models.LambdaStorage
LambdaResponse = lambda_responses.LambdaResponse

GUARD = MotoGuard(MOTO_VERIFIED, {
    "LambdaFunction.get_configuration":
        "803fb04bffde71d97d974007c506f6dabaf64242efdf47b05502890335eb5be2",
    "LambdaFunction._get_layers_data":
        "dd2f13beb05252c86b6ae6c1a952b546f8f75bb067f8a6d52338f7333ac660ae",
    "LambdaBackend.create_function":
        "dea879c1b1bc6a0921c49e929e8eeb0b8f1b7cdecf47aa37bea89abd6eb32432",
    "LambdaBackend.update_function_code":
        "da42535db0cfddda6180b9f2891dc965f4d88a02dc1761bc3f6d0a45422af8b1",
    "LambdaBackend.update_function_configuration":
        "b11ed261c9acd60e195b98f8c9307d95bacd5252dfba134a3e756322b907936b",
    "LambdaStorage.publish_version":
        "b62a3d20bd8f190463137a6278f102877818beb368f36b0b3ca3ab06c9fe20bd",
    "LambdaStorage.construct_unknown_function_exception":
        "34d7f9cdc1b25b9b3ca309a824178c74d620b139ccf535d0c9e265dfffb166ca",
    "LambdaResponse.publish_version":
        "c2a60dd2c34610f1e857f5363aaa8bb5837c90b002f38a4f30beb991ce86ce4b",
}, {"LambdaFunction": LambdaFunction, "LambdaBackend": LambdaBackend,
    "LambdaStorage": LambdaStorage, "LambdaResponse": LambdaResponse})

_settings = None  # the LambdaService's Settings (state_delay_s), set by apply()
ON_PUBLISH: list = []  # callables(fn) run after PublishVersion (snapstart.py takes a snapshot)
_lock = threading.Lock()


class ResourceConflict(LambdaClientError):
    """409 ResourceConflictException, raised inside moto's model (moto renders it)."""

    code = 409

    def __init__(self, message: str):
        super().__init__("ResourceConflictException", message)


def state_message(state: str) -> str:
    return ("The operation cannot be performed at this time. The function is currently in "
            f"the following state: {state}")


def update_in_progress_message(arn: str) -> str:
    return f"The operation cannot be performed at this time. An update is in progress for resource: {arn}"


# -- the state of one moto function --------------------------------------------------------
def _delay_s() -> float:
    return float(getattr(_settings, "state_delay_s", 0.4))


def _now() -> float:
    return time.monotonic()


def _begin(fn, phase: str) -> None:
    """A change starts: `phase` ("create" or "update") ends after the delay; new revision."""
    with _lock:
        fn._lab_seed = uuid.uuid4().hex
        fn._lab_phase = phase
        fn._lab_done_at = _now() + max(0.0, _delay_s())


def _settled(fn) -> bool:
    return _now() >= getattr(fn, "_lab_done_at", 0.0)


def state(fn) -> str:
    """Pending while the create phase runs, else Active."""
    return "Pending" if getattr(fn, "_lab_phase", None) == "create" and not _settled(fn) \
        else "Active"


def wait_settled(fn) -> None:
    """Block until the function's create or update phase is over (Active / Successful), as
    CloudFormation does before it reports a function resource complete."""
    remaining = getattr(fn, "_lab_done_at", 0.0) - _now()
    if remaining > 0:
        time.sleep(remaining)


def updating(fn) -> bool:
    return getattr(fn, "_lab_phase", None) == "update" and not _settled(fn)


def revision_id(fn) -> str:
    """New on every change and on every state change (the phase's end)."""
    seed = getattr(fn, "_lab_seed", None)
    if seed is None:
        with _lock:
            seed = fn.__dict__.setdefault("_lab_seed", uuid.uuid4().hex)
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"{seed}:{_settled(fn)}"))


def state_fields(fn, on_create: bool = False) -> dict:
    fields = {"State": state(fn), "RevisionId": revision_id(fn)}
    if fields["State"] == "Pending":
        fields.update(StateReason=PENDING_REASON, StateReasonCode="Creating")
    if not on_create:
        if updating(fn):
            fields.update(LastUpdateStatus="InProgress", LastUpdateStatusReason=UPDATE_REASON,
                          LastUpdateStatusReasonCode="Creating")
        else:
            fields["LastUpdateStatus"] = "Successful"
    return fields


def check_invocable(fn) -> None:
    """Invoke of a Pending function: ResourceConflictException (functions-states)."""
    if state(fn) != "Active":
        raise ResourceConflict(state_message(state(fn)))


def check_updatable(fn, expected_revision: str | None) -> None:
    if state(fn) != "Active":
        raise ResourceConflict(state_message(state(fn)))
    if updating(fn):
        raise ResourceConflict(update_in_progress_message(fn.function_arn))
    if expected_revision and expected_revision != revision_id(fn):
        raise PreconditionFailedException(PRECONDITION_MESSAGE)


def _aws_time(moto_iso: str) -> str:
    """moto's `2026-01-01T10:00:00.123456000Z` as Lambda's `2026-01-01T10:00:00.123+0000`."""
    try:
        parsed = datetime.strptime(moto_iso[:26], "%Y-%m-%dT%H:%M:%S.%f")
    except (TypeError, ValueError):
        return moto_iso
    return parsed.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def runtime_version_arn(region: str, runtime: str | None) -> str:
    digest = hashlib.sha256(f"lab:{runtime}".encode()).hexdigest()
    return f"arn:aws:lambda:{region}::runtime:{digest}"


# -- the changes to moto's model --------------------------------------------------------------
def _get_configuration(original):
    def get_configuration(self, on_create: bool = False):
        config = original(self, on_create)
        config.update(state_fields(self, on_create))
        config["LastModified"] = _aws_time(config.get("LastModified"))
        logging_config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.function_name}"}
        logging_config.update(getattr(self, "_lab_logging_config", None) or {})
        config["LoggingConfig"] = logging_config
        if self.package_type == "Zip":
            config["RuntimeVersionConfig"] = {
                "RuntimeVersionArn": runtime_version_arn(self.region, self.run_time)}
        if not config.get("Layers"):
            config.pop("Layers", None)
        snap = getattr(self, "_lab_snap_start", None) or "None"  # snapstart.py
        config["SnapStart"] = {"ApplyOn": snap, "OptimizationStatus": "On" if (
            snap == "PublishedVersions" and str(self.version) != "$LATEST") else "Off"}
        return {k: v for k, v in config.items() if v is not None}
    return get_configuration


def _get_layers_data(original):
    def _get_layers_data(self, layers_versions_arns):
        if len(layers_versions_arns or []) > MAX_LAYERS:
            raise InvalidParameterValueException("Cannot reference more than 5 layers.")
        public = {arn for arn in layers_versions_arns or [] if layers.is_powertools_arn(arn)}
        own = original(self, [arn for arn in layers_versions_arns if arn not in public])
        by_arn = {item["Arn"]: item for item in own}
        by_arn.update({arn: {"Arn": arn, "CodeSize": 0} for arn in public})
        return [by_arn[arn] for arn in layers_versions_arns]
    return _get_layers_data


def check_unzipped_size(backend, code_zip: bytes, layer_arns) -> None:
    """Function code and layers together at most 250 MB unzipped (Lambda quotas)."""
    total = layers.unzipped_size(code_zip)
    for arn in layer_arns or []:
        version = None if layers.is_powertools_arn(arn) else backend.layers_versions_by_arn(arn)
        total += layers.unzipped_size(getattr(version, "code_bytes", b"") or b"")
    if total > layers.UNZIPPED_LIMIT:
        raise InvalidParameterValueException(
            "Function code combined with layers exceeds the maximum allowed size of "
            f"{layers.UNZIPPED_LIMIT} bytes. The actual size is {total} bytes.")


def _zip_of(code: dict) -> bytes:
    raw = (code or {}).get("ZipFile")
    if not raw:
        return b""
    try:
        return base64.b64decode(raw)
    except (ValueError, TypeError):
        return b""


def _create_function(original):
    def create_function(self, spec):
        if spec.get("Layers"):
            check_unzipped_size(self, _zip_of(spec.get("Code")), spec["Layers"])
        fn = original(self, spec)
        latest = self.get_function(spec["FunctionName"], None)
        for each in {id(latest): latest, id(fn): fn}.values():
            _begin(each, "create")
            if spec.get("LoggingConfig"):
                each._lab_logging_config = dict(spec["LoggingConfig"])
            if spec.get("SnapStart"):
                each._lab_snap_start = spec["SnapStart"].get("ApplyOn", "None")
        return fn
    return create_function


def _update(original, kind: str):
    def update(self, function_name, qualifier, body):
        fn = self.get_function(function_name, qualifier)
        if body.get("DryRun"):
            return original(self, function_name, qualifier, body)
        check_updatable(fn, body.get("RevisionId"))
        if kind == "configuration" and body.get("Layers"):
            check_unzipped_size(self, getattr(fn, "code_bytes", b""), body["Layers"])
        result = original(self, function_name, qualifier, body)
        _begin(fn, "update")
        if kind == "configuration" and body.get("LoggingConfig"):
            fn._lab_logging_config = dict(body["LoggingConfig"])
        if kind == "configuration" and body.get("SnapStart"):
            fn._lab_snap_start = body["SnapStart"].get("ApplyOn", "None")
        if kind == "code" and body.get("Publish"):
            return result  # the published version's configuration
        return fn.get_configuration()
    update.__name__ = f"update_function_{kind}"
    return update


def _publish_version(original):
    def publish_version(self, name_or_arn, description=""):
        fn = original(self, name_or_arn, description)
        if fn is not None and not getattr(fn, "_lab_published", False):
            fn._lab_published = True
            fn._lab_seed = uuid.uuid4().hex  # a version's own RevisionId
            for hook in ON_PUBLISH:
                hook(fn)
        return fn
    return publish_version


def _publish_version_response(original):
    def publish_version(self):
        expected = self.json_body.get("RevisionId") if self.body else None
        if expected:
            from urllib.parse import unquote

            fn = self.backend.get_function(unquote(self.path.split("/")[-2]), None)
            check_updatable(fn, expected)
        return original(self)
    return publish_version


def _unknown_function(original):
    def construct_unknown_function_exception(self, name_or_arn, qualifier=None):
        unqualified = ":" not in name_or_arn.split(":function:")[-1]
        if qualifier is None and unqualified:
            qualifier = "$LATEST"
            if name_or_arn.startswith("arn:"):
                name_or_arn = f"{name_or_arn}:$LATEST"
        return original(self, name_or_arn, qualifier)
    return construct_unknown_function_exception


def apply(settings) -> list[str]:
    """Apply the changes once; `settings.state_delay_s` is read on every change."""
    global _settings
    _settings = settings
    GUARD.wrap(LambdaFunction, "get_configuration", _get_configuration)
    GUARD.wrap(LambdaFunction, "_get_layers_data", _get_layers_data)
    GUARD.wrap(LambdaBackend, "create_function", _create_function)
    GUARD.wrap(LambdaBackend, "update_function_code", lambda o: _update(o, "code"))
    GUARD.wrap(LambdaBackend, "update_function_configuration",
               lambda o: _update(o, "configuration"))
    GUARD.wrap(LambdaStorage, "publish_version", _publish_version)
    GUARD.wrap(LambdaStorage, "construct_unknown_function_exception", _unknown_function)
    GUARD.wrap(LambdaResponse, "publish_version", _publish_version_response)
    return sorted(GUARD.digests)

