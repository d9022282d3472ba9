"""lab.offline.moto_setup: what the lab changes in moto's process, and that it still works."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_skip_iri_grammar_leaves_jsonschema_and_moto_apigateway_working():
    # In a fresh interpreter: the grammar module is never imported, jsonschema still validates
    # (formats included, "iri" aside) and moto's API Gateway (openapi_spec_validator) imports.
    code = textwrap.dedent("""
        import sys
        from lab.offline.moto_setup import skip_iri_grammar
        skip_iri_grammar()
        import jsonschema
        import moto.apigateway  # noqa: F401  imports openapi_spec_validator -> jsonschema
        assert sys.modules["rfc3987_syntax"] is None
        checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
        assert "iri" not in checker.checkers and "date" in checker.checkers
        schema = {"type": "object", "properties": {"day": {"type": "string", "format": "date"}}}
        jsonschema.validate({"day": "2026-11-30"}, schema, format_checker=checker)
        try:
            jsonschema.validate({"day": "yesterday"}, schema, format_checker=checker)
        except jsonschema.ValidationError:
            print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
