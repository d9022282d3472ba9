"""Request validation ahead of moto: AWS's limits and input rules, checked before the work.

A guard (`app.add_guard`) per service, each reading only the requests it names:
- Lambda deployment packages (CreateFunction, UpdateFunctionCode, PublishLayerVersion):
  the request at most 70,167,211 bytes and the zip at most 50 MB (a direct upload), a zip
  that opens and whose members read back (else `InvalidParameterValueException`, "Could not
  unzip uploaded file..."), unzipped at most 262,144,000 bytes (250 MB), from the zip's
  directory, without extracting.
- SQS (JSON and query protocols): integer parameters that are integers, queue attributes
  in their documented ranges (`InvalidAttributeValue`), and query-protocol message texts
  that are not UTF-8 (`InvalidMessageContents`: the decoded text moto sees would hide the
  bad bytes). What SQS checks of a message (characters, attributes, size) is the SQS
  layer's (`lab.offline.sqs.validation`), so a batch fails a bad entry alone.
Sources: Lambda Developer Guide gettingstarted-limits; SQS API Reference SendMessage
(allowed characters), SetQueueAttributes (ranges).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import zipfile
from urllib.parse import parse_qsl

from moto.sqs.exceptions import SQSException
from werkzeug.wrappers import Request, Response

from lab.offline.errors import LabAwsError
from lab.offline.requests import error_for, protocol, read_bounded, service
from lab.offline.sqs import validation as sqs_validation

# -- Lambda ----------------------------------------------------------------------------------
CREATE_FUNCTION_REQUEST_LIMIT = 70_167_211  # AWS's request limit for CreateFunction
ZIPPED_LIMIT = 50 * 1024 * 1024  # direct upload, zipped
UNZIPPED_LIMIT = 262_144_000  # 250 MB, function and layers
_PACKAGE_ROUTES = [
    ("POST", re.compile(r"^/2015-03-31/functions/?$"), "CreateFunction", ("Code", "ZipFile")),
    ("PUT", re.compile(r"^/2015-03-31/functions/[^/]+/code/?$"), "UpdateFunctionCode",
     ("ZipFile",)),
    ("POST", re.compile(r"^/2018-10-31/layers/[^/]+/versions/?$"), "PublishLayerVersion",
     ("Content", "ZipFile")),
]
BAD_ZIP = "Could not unzip uploaded file. Please check your file, then try to upload again."


def _lambda_error(code: str, message: str, status: int = 400) -> LabAwsError:
    return LabAwsError(code, message, status)


def check_lambda_package(request: Request) -> Response | None:
    found = [(op, keys) for method, pattern, op, keys in _PACKAGE_ROUTES
             if request.method == method and pattern.match(request.path)]
    if not found:
        return None
    [(operation, path)] = found
    too_large = _lambda_error("RequestEntityTooLargeException",
                              f"Request must be smaller than {CREATE_FUNCTION_REQUEST_LIMIT} "
                              f"bytes for the {operation} operation", 413)
    data = read_bounded(request, CREATE_FUNCTION_REQUEST_LIMIT)
    if data is None:
        raise too_large
    try:
        params = json.loads(data or b"{}")
    except ValueError:
        return None  # not JSON: moto answers (and the app turns a crash into a 4xx)
    value = params
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        return None  # S3 code, an image, or no code: nothing to check here
    if not isinstance(value, str):
        raise _lambda_error("InvalidParameterValueException", BAD_ZIP)
    try:
        package = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _lambda_error("InvalidParameterValueException", BAD_ZIP) from None
    if len(package) > ZIPPED_LIMIT:
        raise too_large
    check_zip(package)
    return None


def check_zip(package: bytes) -> None:
    """A zip that opens, whose members read back, unzipped within 250 MB."""
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as zf:
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > UNZIPPED_LIMIT:
                raise _lambda_error("InvalidParameterValueException",
                                    f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes")
            if zf.testzip() is not None:  # reads every member, bounded by the sizes above
                raise _lambda_error("InvalidParameterValueException", BAD_ZIP)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError):
        raise _lambda_error("InvalidParameterValueException", BAD_ZIP) from None


# -- SQS ---------------------------------------------------------------------------------------
QUEUE_ATTRIBUTE_RANGES = {  # SetQueueAttributes / CreateQueue
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1_048_576),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43_200),
}
_INTEGER_PARAMS = ("DelaySeconds", "MaxNumberOfMessages", "VisibilityTimeout",
                   "WaitTimeSeconds")
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (surrogateescape)
_MESSAGE_TEXT = re.compile(r"(.*\.)?(MessageBody|MessageAttribute\.\d+\.(Name|Value\.StringValue))")


class _SqsError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def check_sqs(request: Request) -> Response | None:
    if request.method != "POST" or service(request) != "sqs":
        return None
    kind = protocol(request)
    data = request.get_data()  # the app capped the size already
    try:
        if kind == "json":
            try:
                params = json.loads(data or b"{}")
            except ValueError:
                return None
            if isinstance(params, dict):
                _check_json(request.headers.get("X-Amz-Target", "").partition(".")[2], params)
        elif kind == "query":
            text = data.decode("utf-8", errors="surrogateescape")
            pairs = parse_qsl(text, keep_blank_values=True, errors="surrogateescape")
            pairs += list(request.args.items(multi=True))
            _check_query(dict(pairs))
    except _SqsError as exc:
        return error_for(request, exc.code, exc.message, 400)
    except SQSException as exc:
        return error_for(request, exc.code, exc.message, 400)
    return None


def _integer(name: str, value: object) -> None:
    if value is None:
        return
    ok = (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, str) and re.fullmatch(r"-?\d{1,10}", value))
    if not ok:
        raise _SqsError("InvalidParameterValue",
                        f"Value {value} for parameter {name} is invalid. Reason: must be an "
                        "integer.")


def _attributes(attributes: object) -> None:
    if not isinstance(attributes, dict):
        return
    for name, (low, high) in QUEUE_ATTRIBUTE_RANGES.items():
        if name in attributes:
            value = attributes[name]
            try:
                number = int(str(value))
            except ValueError:
                number = None
            if number is None or not low <= number <= high:
                raise _SqsError("InvalidAttributeValue",
                                f"Invalid value for the parameter {name}.")


def _check_json(action: str, params: dict) -> None:
    for name in _INTEGER_PARAMS:
        _integer(name, params.get(name))
    if action in ("CreateQueue", "SetQueueAttributes"):
        _attributes(params.get("Attributes"))
    entries = params.get("Entries")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            _integer("DelaySeconds", entry.get("DelaySeconds"))
            _integer("VisibilityTimeout", entry.get("VisibilityTimeout"))


def _check_query(params: dict) -> None:
    for name in _INTEGER_PARAMS:
        _integer(name, params.get(name))
    attributes = {}
    for key, value in params.items():
        if re.fullmatch(r"Attribute\.\d+\.Name", key):
            attributes[value] = params.get(key[:-4] + "Value")
        elif _MESSAGE_TEXT.fullmatch(key) and _UNDECODABLE.search(value):
            sqs_validation.characters(value, "message attribute name" if key.endswith("Name")
                                      else "message attribute value" if "Attribute" in key
                                      else "message body")
    _attributes(attributes)


def install(app) -> None:
    app.add_guard(check_lambda_package)
    app.add_guard(check_sqs)
    app.health_info["input_checks"] = {
        "lambda_packages": f"zipped <= {ZIPPED_LIMIT} bytes, unzipped <= {UNZIPPED_LIMIT} "
                           "bytes, a zip that opens (checked at CreateFunction)",
        "sqs": "integer parameters, queue attribute ranges, UTF-8 of query-protocol "
               "message texts",
    }
