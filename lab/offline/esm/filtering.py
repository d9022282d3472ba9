"""Lambda event filtering for SQS mappings (`FilterCriteria`).

https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html and
https://docs.aws.amazon.com/lambda/latest/dg/with-sqs-filtering.html:
- `FilterCriteria = {"Filters": [{"Pattern": "<JSON>"}, ...]}`, at most 5 filters (the
  default quota); a record is processed when it matches ANY filter (OR).
- A pattern is matched against the SQS record (`body`, `attributes`, `messageAttributes`,
  ...). A JSON body is filtered as JSON; a body pattern that is a list of values matches a
  plain-string body; a JSON pattern on `body` never matches a body that is not JSON.
- Rules: exact values (`["a", 1, true, null]`), `""` (empty), `{"prefix"}`, `{"suffix"}`,
  `{"equals-ignore-case"}`, `{"anything-but": value | [values] | {"prefix"}}`,
  `{"numeric": [">", 0, "<=", 5]}`, `{"exists": true|false}`, and `"$or": [patterns]`.
  A list value in the event matches when any element does.
- "Lambda automatically deletes messages that don't match" (SQS): no invocation.
"""

from __future__ import annotations

import json

from lab.offline.esm.exceptions import InvalidParameterValue, Validation

MAX_FILTERS = 5
MAX_PATTERN = 4096
INVALID_PATTERN = "Invalid filter pattern definition."
_MISSING = object()
_OPERATORS = {"prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists"}


def parse(criteria) -> list[dict]:
    """FilterCriteria -> the parsed patterns; [] when there are none. Lambda's errors for
    a pattern that is not JSON or not a valid rule set."""
    if criteria in (None, {}):
        return []
    if not isinstance(criteria, dict):
        raise InvalidParameterValue(INVALID_PATTERN)
    filters = criteria.get("Filters") or []
    if not isinstance(filters, list):
        raise InvalidParameterValue(INVALID_PATTERN)
    if len(filters) > MAX_FILTERS:
        raise InvalidParameterValue(
            f"The number of filters in FilterCriteria exceeds the limit of {MAX_FILTERS}.")
    patterns = []
    for index, item in enumerate(filters, start=1):
        raw = item.get("Pattern") if isinstance(item, dict) else None
        if not isinstance(raw, str):
            raise InvalidParameterValue(INVALID_PATTERN)
        if len(raw) > MAX_PATTERN:
            raise Validation(f"filterCriteria.filters.{index}.member.pattern", raw,
                             f"Member must have length less than or equal to {MAX_PATTERN}")
        try:
            pattern = json.loads(raw)
        except ValueError:
            raise InvalidParameterValue(INVALID_PATTERN) from None
        if not isinstance(pattern, dict) or not _valid(pattern):
            raise InvalidParameterValue(INVALID_PATTERN)
        patterns.append(pattern)
    return patterns


def _valid(pattern: dict) -> bool:
    for key, sub in pattern.items():
        if key == "$or":
            if not isinstance(sub, list) or len(sub) < 2 or \
                    not all(isinstance(p, dict) and _valid(p) for p in sub):
                return False
        elif isinstance(sub, dict):
            if not _valid(sub):
                return False
        elif isinstance(sub, list):
            for rule in sub:
                if isinstance(rule, dict) and (len(rule) != 1 or not set(rule) <= _OPERATORS):
                    return False
                if isinstance(rule, list):
                    return False
        else:
            return False  # a leaf must be a list of rules
    return True


def matches_record(patterns: list[dict], record: dict) -> bool:
    """Does the SQS record match any pattern (True when there are no patterns)?"""
    if not patterns:
        return True
    event = dict(record)
    body = record.get("body")
    try:
        parsed = json.loads(body) if isinstance(body, str) else _MISSING
    except ValueError:
        parsed = _MISSING
    for pattern in patterns:
        body_rule = pattern.get("body")
        view = event
        if isinstance(body_rule, dict):  # a JSON pattern needs a JSON body
            if not isinstance(parsed, dict):
                continue
            view = {**event, "body": parsed}
        if _match(pattern, view):
            return True
    return False


def _match(pattern: dict, event) -> bool:
    for key, sub in pattern.items():
        if key == "$or":
            if not any(_match(p, event) for p in sub):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, dict) else _MISSING
        if isinstance(sub, dict):
            if not _match(sub, value if isinstance(value, dict) else {}):
                return False
        elif not _leaf(sub, value):
            return False
    return True


def _leaf(rules: list, value) -> bool:
    values = value if isinstance(value, list) else [value]
    for rule in rules:
        if isinstance(rule, dict) and "exists" in rule:
            if (value is not _MISSING) == bool(rule["exists"]):
                return True
            continue
        if value is _MISSING:
            continue
        if any(_rule(rule, v) for v in values):
            return True
    return False


def _rule(rule, value) -> bool:
    if not isinstance(rule, dict):
        return rule == value and type(rule) is type(value) or (
            _is_number(rule) and _is_number(value) and float(rule) == float(value))
    (op, arg), = rule.items()
    if op == "prefix":
        return isinstance(value, str) and isinstance(arg, str) and value.startswith(arg)
    if op == "suffix":
        return isinstance(value, str) and isinstance(arg, str) and value.endswith(arg)
    if op == "equals-ignore-case":
        return isinstance(value, str) and isinstance(arg, str) and value.lower() == arg.lower()
    if op == "anything-but":
        if isinstance(arg, dict):
            return not _rule(arg, value)
        excluded = arg if isinstance(arg, list) else [arg]
        return not any(_rule(x, value) for x in excluded)
    if op == "numeric":
        return _numeric(arg, value)
    return False


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _numeric(spec, value) -> bool:
    if not _is_number(value) or not isinstance(spec, list) or len(spec) % 2:
        return False
    checks = {"=": lambda a, b: a == b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
              ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
    for op, bound in zip(spec[::2], spec[1::2], strict=True):
        if op not in checks or not _is_number(bound) or not checks[op](value, bound):
            return False
    return True
