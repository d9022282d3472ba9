"""The `AWS::Serverless-2016-10-31` transform, offline: AWS's own translator
(`aws-sam-translator`, the library CloudFormation's SAM transform and the SAM CLI use).

CloudFormation expands a template that declares the transform when it is submitted
(CreateStack, UpdateStack, CreateChangeSet; CloudFormation User Guide, "AWS::Serverless
transform"), and the stack is built from the expanded template. The translator needs the
names and ARNs of AWS managed policies (SAM's `Policies: [AWSLambdaBasicExecutionRole]`);
on AWS it lists them with IAM, offline the map is built from the managed-policy data moto
ships (every AWS managed policy with its path), so no network call is ever made.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"

# The translator warns about usage metrics it would publish on AWS; there is nowhere to.
logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)


class TransformError(ValueError):
    """The template cannot be expanded (a SAM document error, or an unknown transform)."""


@functools.cache
def managed_policy_map() -> dict[str, str]:
    """{policy name: ARN} of every AWS managed policy moto knows (1,500+)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)
    return {name: f"arn:aws:iam::aws:policy{info.get('Path', '/')}{name}"
            for name, info in data.items()}


def transforms_of(template: dict) -> list[str]:
    value = template.get("Transform") if isinstance(template, dict) else None
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def expand(template: dict, parameters: dict[str, Any], account_id: str,
           region_name: str) -> dict:
    """The template with SAM resources replaced by CloudFormation resources; templates
    without a transform come back unchanged."""
    names = transforms_of(template)
    if not names:
        return template
    unknown = [n for n in names if n != SAM_TRANSFORM]
    if unknown:
        raise TransformError(f"The lab expands only the {SAM_TRANSFORM} transform, not "
                             f"{', '.join(map(str, unknown))}")
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    session = boto3.Session(aws_access_key_id="lab", aws_secret_access_key="lab",
                            region_name=region_name)
    policies = managed_policy_map()
    translator = Translator(policies, Parser(), boto_session=session)
    values = dict(parameters or {})
    values.setdefault("AWS::AccountId", account_id)
    values.setdefault("AWS::Region", region_name)
    try:
        expanded = translator.translate(json.loads(json.dumps(template)), values,
                                        get_managed_policy_map=lambda: policies)
    except InvalidDocumentException as exc:
        causes = "; ".join(str(c) for c in getattr(exc, "causes", [])) or str(exc)
        raise TransformError(f"Transform {SAM_TRANSFORM} failed with: {causes}") from None
    expanded.pop("Transform", None)
    return expanded
