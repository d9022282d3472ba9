"""Runtimes and layers as on AWS.

Sources: Lambda Developer Guide "Working with layers" (chapter-layers,
packaging-layers: content under /opt, /opt/python on sys.path, in layer order, at most 5,
250 MB unzipped with the function), "Working with .zip file archives for Python Lambda
functions" (python-package: `pip install --platform manylinux2014_x86_64 --only-binary=:all:
--python-version 3.12 --target ...` builds compiled code for the runtime's Python),
Powertools for AWS Lambda (Python) docs, "Lambda Layer" (public ARNs in account
017000801446).
"""

from __future__ import annotations

import sys

from lab.offline.lambda_ import runtimes
from tests.fixtures.common import client_error
from tests.fixtures.lambda_ import deploy, invoke, lab_config, log_events, zip_of

REPORT_PATH = """
import sys
def handler(event, context):
    import shared, onlyfirst
    return [shared.WHO, onlyfirst.__file__, [p for p in sys.path if p.endswith('/python')]]
"""


def publish(cloud, name: str, files: dict[str, str]) -> str:
    return cloud.client("lambda").publish_layer_version(
        LayerName=name, Content={"ZipFile": zip_of(files)},
        CompatibleRuntimes=["python3.12"])["LayerVersionArn"]


def test_layers_are_on_sys_path_under_python_in_layer_order(cloud):
    first = publish(cloud, "first", {"python/shared.py": "WHO = 'first'\n",
                                     "python/onlyfirst.py": ""})
    second = publish(cloud, "second", {"python/shared.py": "WHO = 'second'\n"})
    name = deploy(cloud, REPORT_PATH, Layers=[first, second])
    who, path, _ = invoke(cloud, name)["body"]
    assert who == "second", "a later layer's file replaces an earlier one's (extracted in order)"
    assert path.endswith("/python/onlyfirst.py")
    config = cloud.client("lambda").get_function_configuration(FunctionName=name)
    assert [layer["Arn"] for layer in config["Layers"]] == [first, second]


def test_at_most_five_layers(cloud):
    arn = publish(cloud, "many", {"python/x.py": ""})
    err = client_error(deploy, cloud, "def handler(e, c):\n    return 1\n", Layers=[arn] * 6)
    assert err.code in ("InvalidParameterValueException", "ValidationException")


def test_function_and_layers_at_most_250_mb_unzipped(cloud):
    from lab.offline.lambda_ import layers

    assert layers.UNZIPPED_LIMIT == 262_144_000


def test_the_public_powertools_layer_runs_the_installed_powertools(cloud):
    arn = ("arn:aws:lambda:us-east-1:017000801446:layer:"
           "AWSLambdaPowertoolsPythonV3-python312-x86_64:7")
    name = deploy(cloud, """
        from aws_lambda_powertools import Logger
        logger = Logger(service="lab")
        def handler(event, context):
            logger.info("hello from powertools")
            return "ok"
    """, Layers=[arn])
    assert invoke(cloud, name)["body"] == "ok"
    messages = " ".join(e["message"] for e in log_events(cloud, name))
    assert "AWS's public Powertools layer" in messages and "hello from powertools" in messages


def test_init_log_says_which_interpreter_runs_the_function(cloud):
    own = f"python{runtimes.LAB_VERSION}"
    before = lab_config(cloud)["interpreters"]
    try:
        lab_config(cloud, interpreters={own: sys.executable})
        name = deploy(cloud, "def handler(e, c):\n    return 1\n", Runtime=own)
        invoke(cloud, name)
        lines = [e["message"] for e in log_events(cloud, name)]
        assert lines[0].startswith("INIT_START Runtime Version: ")  # AWS's first line
        first = next(m for m in lines if m.startswith("lab: Runtime"))
        assert f"Runtime {own} runs on Python {runtimes.LAB_VERSION}" in first
        assert "named by the interpreters setting" in first and "NOT match" not in first
        assert own in cloud.health()["lambda"]["interpreters"]
    finally:
        lab_config(cloud, interpreters=before)


COMPILED = {
    "app.py": "import fastthing\ndef handler(e, c):\n    return 1\n",
    "fastthing/__init__.py": "from ._speedups import go\n",
    "fastthing/_speedups.cpython-312-x86_64-linux-gnu.so": "not really an ELF file",
}


def test_compiled_code_for_another_python_fails_with_an_explanation(cloud):
    """A package built the AWS way for python3.12 holds cpython-312 extensions: on another
    Python the import fails, and the error says why and how to fix it."""
    name = deploy(cloud, COMPILED["app.py"], Runtime="python3.12",
                  files={k: v for k, v in COMPILED.items() if k != "app.py"})
    resp = invoke(cloud, name)
    chosen = cloud.health()["lambda"]["interpreters"]["python3.12"]
    assert resp["FunctionError"] == "Unhandled"
    assert resp["body"]["errorType"] == "Runtime.ImportModuleError"
    if "runs on Python 3.12" in chosen:  # a matching interpreter is installed here
        assert "lab serve:" not in resp["body"]["errorMessage"]
        return
    message = resp["body"]["errorMessage"]
    assert "declares python3.12 but runs on Python" in message
    assert "_speedups.cpython-312-x86_64-linux-gnu.so" in message
    assert "/_lab/lambda/config" in message
