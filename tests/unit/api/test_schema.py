from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from tests.support.processes import run_python


@pytest.mark.django_db
def test_the_openapi_schema_generates_without_warnings():
    out = StringIO()
    # --fail-on-warn turns every ambiguity (an unnamed component, an untyped
    # field, colliding enums) into an error, so clients can trust the schema.
    call_command("spectacular", "--fail-on-warn", "--validate", stdout=out, stderr=StringIO())
    schema = yaml.safe_load(out.getvalue())
    paths = schema["paths"]
    for path in ("/api/v1/apps/", "/api/v1/volumes/", "/api/v1/stacks/", "/api/v1/nodes/"):
        assert path in paths
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def _schema(tmp_path: Path, *python_flags: str) -> str:
    return run_python(tmp_path, *python_flags, "manage.py", "spectacular")


def test_the_schema_says_the_same_when_python_drops_docstrings(tmp_path):
    # The portal image runs Python with -OO (compose/Dockerfile): a description the
    # API documents must be written out (extend_schema), not read from a docstring.
    plain = _schema(tmp_path)
    assert "Make a new webhook secret" in plain
    assert _schema(tmp_path, "-OO") == plain
