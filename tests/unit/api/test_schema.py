from io import StringIO

import pytest
import yaml
from django.core.management import call_command


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
