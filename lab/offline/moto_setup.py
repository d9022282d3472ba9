"""Configure moto the way the lab needs it, before any backend is used.

Must run before the first request: Lambda's `use_docker` switch selects a separate
function store, and IAM managed policies load only when the backend is created.
"""

import logging
import os
import sys


def skip_iri_grammar() -> None:
    """Keep jsonschema from building its optional IRI grammar in this process.

    moto's API Gateway (and CloudFormation, which imports every service) imports
    openapi_spec_validator, which imports jsonschema, whose format checkers import
    `rfc3987_syntax` when it is installed (Jupyter's dependencies install it). That module
    compiles a Lark parser at import: ~3 s of CPU at a `lab serve`'s first reset, for an "iri"
    format check that no AWS API emulated here uses. A module marked absent makes jsonschema
    skip that one checker, exactly as when the package is not installed. Must run before
    jsonschema is first imported; a no-op if rfc3987_syntax already is."""
    sys.modules.setdefault("rfc3987_syntax", None)


def configure_moto() -> None:
    """Set moto up for the lab (its version: moto_version())."""
    skip_iri_grammar()
    # IAM managed policies (e.g. service-role/AWSLambdaSQSQueueExecutionRole) exist only
    # with this variable; it is read when the IAM backend is first created.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    from lab.offline import iam_policies

    iam_policies.install()  # ...built only in the IAM backend that uses them (resets are fast)
    from moto.core.config import default_user_config

    # No Docker here: the lab runs handlers itself (lab.offline Lambda extension).
    default_user_config["lambda"]["use_docker"] = False
    # Werkzeug logs every request even when moto is told to be quiet.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def moto_version() -> str:
    import moto

    return moto.__version__
