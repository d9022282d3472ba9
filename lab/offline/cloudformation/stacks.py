"""Stacks as CloudFormation runs them, over moto 5.2.5's CloudFormation backend.

`LabCloudFormationBackend` subclasses moto's backend and is bound through its `BackendDict`
(as `moto.awslambda_simple` binds its Lambda backend); it adds:
- the SAM transform (`sam.py`) on CreateStack, UpdateStack and CreateChangeSet;
- failure and rollback: a resource that fails to create (its type is one the lab cannot
  create, or its service refused it) gets a `CREATE_FAILED` event naming it and the reason,
  the resources already created are deleted, and the stack ends `ROLLBACK_COMPLETE`
  (CloudFormation User Guide, "Stack status codes"); moto skips unknown types with a
  warning and reports `CREATE_COMPLETE`;
- per-resource events (`CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, `CREATE_FAILED`);
- outputs after ExecuteChangeSet (moto keeps the empty outputs of the review stack);
- DeleteChangeSet of an unknown change set: `ChangeSetNotFound` (moto: a 500).

One moto function is wrapped in place, `moto.cloudformation.parsing.parse_and_create_resource`
(the parser's only entry for creating a resource): `MOTO_SOURCE_SHA256` records the source
of it and of every moto method this module overrides or relies on, as shipped in 5.2.5;
`changed_moto_functions()` lists the ones an upgrade changed (a conformance test fails on
any), as `lab.offline.sqs.guard` does.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import CloudFormationError, ValidationError

from lab.offline.cloudformation import sam
from lab.offline.lambda_ import control

log = logging.getLogger("lab.serve.cloudformation")

MOTO_VERIFIED = "5.2.5"


class ResourceFailed(Exception):
    """A resource of the stack could not be created."""

    def __init__(self, logical_id: str, resource_type: str, reason: str):
        super().__init__(f"{logical_id} ({resource_type}): {reason}")
        self.logical_id, self.resource_type, self.reason = logical_id, resource_type, reason


class ChangeSetNotFound(CloudFormationError):
    code = "ChangeSetNotFound"

    def __init__(self, name: str):
        super().__init__(f"ChangeSet [{name}] does not exist")


def creatable(resource_type: str) -> bool:
    """Can this endpoint create the type (moto's models plus the lab's)?"""
    return (resource_type in parsing.get_model_map() or resource_type in parsing.NULL_MODELS
            or resource_type.startswith("Custom::"))


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    code = getattr(exc, "code", None) or getattr(exc, "error_type", None)
    return f"{message} (Service: {code})" if isinstance(code, str) and code else message


def _stack_of(resources_map):
    backend = cfn_models.cloudformation_backends[resources_map._account_id][
        resources_map._region_name]
    return backend.stacks.get(resources_map.stack_id)


def _resource_event(stack, logical_id: str, resource_type: str, status: str,
                    physical_id: str | None = None, reason: str | None = None) -> None:
    if stack is None:
        return
    stack.events.append(cfn_models.Event(
        stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=logical_id,
        physical_resource_id=physical_id or "", resource_type=resource_type,
        resource_status=status, resource_status_reason=reason, resource_properties=None))


_original_create = parsing.parse_and_create_resource


def parse_and_create_resource(logical_id, resource_json, resources_map, account_id,
                              region_name):
    """moto's parse_and_create_resource, failing (instead of skipping) what it cannot
    create, and recording the resource's events."""
    resource_type = resource_json.get("Type", "")
    condition = resource_json.get("Condition")
    if condition and not resources_map.lazy_condition_map[condition]:
        return None
    stack = _stack_of(resources_map)
    _resource_event(stack, logical_id, resource_type, "CREATE_IN_PROGRESS")
    if not creatable(resource_type):
        reason = (f"Resource type {resource_type} is not supported by lab serve: it cannot "
                  "create it offline (see docs/architecture.md, CloudFormation); deploy it "
                  "on the aws target, or leave it out of the offline template")
        _resource_event(stack, logical_id, resource_type, "CREATE_FAILED", reason=reason)
        raise ResourceFailed(logical_id, resource_type, reason)
    try:
        resource = _original_create(logical_id, resource_json, resources_map, account_id,
                                    region_name)
    except ResourceFailed:
        raise  # a resource this one refers to failed; its event is written
    except Exception as exc:
        reason = _reason(exc)
        log.info("stack resource %s (%s) failed: %s", logical_id, resource_type, reason)
        _resource_event(stack, logical_id, resource_type, "CREATE_FAILED", reason=reason)
        raise ResourceFailed(logical_id, resource_type, reason) from exc
    if resource_type == "AWS::Lambda::Function":
        control.wait_settled(resource)  # CloudFormation waits for State Active
    physical = getattr(resource, "physical_resource_id", None)
    _resource_event(stack, logical_id, resource_type, "CREATE_COMPLETE",
                    physical_id=str(physical) if physical is not None else None)
    return resource


def _forget_resources(stack) -> None:
    """A rolled-back or deleted stack has no resources and no outputs. moto's ResourceMap is
    lazy: reading the outputs or resources of such a stack would create them again."""
    stack.resource_map._resource_json_map = {}
    stack.output_map = parsing.OutputMap(stack.resource_map, {}, stack.stack_id)


class LabCloudFormationBackend(cfn_models.CloudFormationBackend):
    @property
    def _url_module(self):  # moto derives it from the class's module: keep moto's
        from moto.cloudformation import urls

        return urls

    # -- transform ------------------------------------------------------------------------
    def _expand(self, template: str, parameters: dict | None) -> str:
        try:
            parsed = cfn_models.Stack.parse_template(template)
        except Exception:
            return template  # moto reports the template error
        if not sam.transforms_of(parsed):
            return template
        try:
            expanded = sam.expand(parsed, parameters or {}, self.account_id, self.region_name)
        except sam.TransformError as exc:
            raise ValidationError(message=str(exc)) from None
        return json.dumps(expanded)

    # -- failure and rollback ---------------------------------------------------------------
    def _roll_back(self, stack, failed: ResourceFailed, operation: str) -> None:
        reason = (f"The following resource(s) failed to {operation.lower()}: "
                  f"[{failed.logical_id}]. Rollback requested by user.")
        stack.status = "ROLLBACK_IN_PROGRESS"
        stack.stack_status_reason = reason
        stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
        try:
            stack.resource_map.delete()
        except Exception as exc:  # what could not be deleted stays; say so
            stack.status = "ROLLBACK_FAILED"
            stack._add_stack_event("ROLLBACK_FAILED", resource_status_reason=_reason(exc))
            return
        stack.status = "ROLLBACK_COMPLETE"
        stack._add_stack_event("ROLLBACK_COMPLETE")
        _forget_resources(stack)

    def delete_stack(self, name_or_stack_id):
        super().delete_stack(name_or_stack_id)
        for stack in self.deleted_stacks.values():
            if name_or_stack_id in (stack.name, stack.stack_id):
                _forget_resources(stack)

    def _stack_named(self, name: str):
        for stack in self.stacks.values():
            if stack.name == name:
                return stack
        return None

    # -- CloudFormation API -----------------------------------------------------------------
    def create_stack(self, name, template, parameters, *args, **kwargs):
        template = self._expand(template, parameters)
        try:
            return super().create_stack(name, template, parameters, *args, **kwargs)
        except ResourceFailed as failed:
            stack = self._stack_named(name)
            self._roll_back(stack, failed, "CREATE")
            return stack

    def update_stack(self, name, template, role_arn=None, parameters=None, tags=None):
        return super().update_stack(name, self._expand(template, parameters), role_arn,
                                    parameters, tags)

    def create_change_set(self, stack_name, change_set_name, template, parameters,
                          *args, **kwargs):
        return super().create_change_set(stack_name, change_set_name,
                                         self._expand(template, parameters), parameters,
                                         *args, **kwargs)

    def _change_set(self, change_set_name: str, stack_name: str | None = None):
        if change_set_name in self.change_sets:  # an ARN
            return self.change_sets[change_set_name]
        for change_set in self.change_sets.values():
            if change_set.change_set_name == change_set_name and \
                    stack_name in (None, change_set.stack_name, change_set.stack_id):
                return change_set
        raise ChangeSetNotFound(change_set_name)

    def execute_change_set(self, change_set_name, stack_name=None):
        change_set = self._change_set(change_set_name, stack_name)
        stack = self.stacks[change_set.stack_id]
        try:
            super().execute_change_set(change_set.change_set_id, stack_name)
        except ResourceFailed as failed:
            change_set.execution_status = "EXECUTE_FAILED"
            if change_set.change_set_type == "CREATE":
                self._roll_back(stack, failed, "CREATE")
            else:  # MODEL: the lab does not restore the previous configuration
                stack.status = "UPDATE_ROLLBACK_FAILED"
                stack._add_stack_event("UPDATE_ROLLBACK_FAILED",
                                       resource_status_reason=failed.reason)
            return
        stack._parse_template()
        stack.description = stack.template_dict.get("Description")
        stack.output_map = stack._create_output_map()

    def delete_change_set(self, change_set_name, stack_name=None):
        change_set = self._change_set(change_set_name, stack_name)
        del self.change_sets[change_set.change_set_id]


# -- installation and the source guard ----------------------------------------------------
_SOURCES = {
    "parsing.parse_and_create_resource": lambda: _original_create,
    "parsing.ResourceMap.__getitem__": lambda: parsing.ResourceMap.__getitem__,
    "parsing.ResourceMap.delete": lambda: parsing.ResourceMap.delete,
    "parsing.resource_class_from_type": lambda: parsing.resource_class_from_type,
    "parsing.get_model_list": lambda: parsing.get_model_list.__wrapped__,
    "CloudFormationBackend.create_stack": lambda: cfn_models.CloudFormationBackend.create_stack,
    "CloudFormationBackend.update_stack": lambda: cfn_models.CloudFormationBackend.update_stack,
    "CloudFormationBackend.create_change_set":
        lambda: cfn_models.CloudFormationBackend.create_change_set,
    "CloudFormationBackend.execute_change_set":
        lambda: cfn_models.CloudFormationBackend.execute_change_set,
    "CloudFormationBackend.delete_change_set":
        lambda: cfn_models.CloudFormationBackend.delete_change_set,
    "Stack.create_resources": lambda: cfn_models.Stack.create_resources,
}

MOTO_SOURCE_SHA256: dict[str, str] = {}  # filled in at the end of the module


def source_sha256(key: str) -> str:
    return hashlib.sha256(inspect.getsource(_SOURCES[key]()).encode()).hexdigest()


def changed_moto_functions() -> list[str]:
    """moto functions this module depends on whose source differs from moto 5.2.5's."""
    return [key for key, digest in MOTO_SOURCE_SHA256.items() if source_sha256(key) != digest]


def apply(lab_models) -> None:
    """Bind the lab's backend, register the lab's resource types, wrap the parser (once)."""
    changed = changed_moto_functions()
    if changed:
        log.warning("moto's CloudFormation code differs from %s in %s: the lab's stack "
                    "handling needs re-verifying", MOTO_VERIFIED, ", ".join(changed))
    backends = cfn_models.cloudformation_backends
    backends.backend = LabCloudFormationBackend
    for account in list(backends.values()):
        account.backend = LabCloudFormationBackend
        for region in list(account):
            if not isinstance(account[region], LabCloudFormationBackend):
                del account[region]  # recreated as the lab's on next use
    parsing.parse_and_create_resource = parse_and_create_resource
    # moto caches the model map on first use; the lab's classes are defined later and so
    # come later in CloudFormationModel.__subclasses__(): they win on their types.
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    model_map = parsing.get_model_map()
    for model in lab_models:
        if model_map.get(model.cloudformation_type()) is not model:
            raise RuntimeError(f"{model.__name__} did not register for "
                               f"{model.cloudformation_type()}")


MOTO_SOURCE_SHA256.update({
    "parsing.parse_and_create_resource": "ea3c10d68d2c03e6abde0de40aa57d2169c2fe7ce5dad71fda0dc5602da13463",
    "parsing.ResourceMap.__getitem__": "bfa3c026d08de5207c073452db9ff5f1e8f781e3cfab9bc82f558b14523e4171",
    "parsing.ResourceMap.delete": "4faca03385e54f6320acceeb2a3edfb44956cf30dd1a20cce8b31b75be8ca72e",
    "parsing.resource_class_from_type": "ca766bc34c1950ae5a933707db84b22dda9d222e05a9129b6afced5ba52f041d",
    "parsing.get_model_list": "f951e0f10931343f620dfdb5edd5a99c1e4dcd5fbd4b84c6ade57ada43c2688f",
    "CloudFormationBackend.create_stack": "dcb835c34772ed6c3a2785c44571cba7bea8a9edaf80bd4533428b093c3351a6",
    "CloudFormationBackend.update_stack": "83a62d954ef05565636c254a1fa1910fa7124479cbbf974b4c2a6ebf433cc63b",
    "CloudFormationBackend.create_change_set": "4668670ac84b203d05ecdaf6f864b93263fad1faa040137225a3d38a9b3ae7d1",
    "CloudFormationBackend.execute_change_set": "1090cb5b81abc8ff0422a9c1df9b0ea09192550345fbc198b448e9e9a148a050",
    "CloudFormationBackend.delete_change_set": "9821ad111e7fdce86d567d2036f18fe48861cc9c9efa2de662a6ba93861a612b",
    "Stack.create_resources": "a5f30450448a1d58ba3ffe05b0a545b8efa86633b47cfb0c8c4a2b269d447655",
})
