"""The web's stand-in for rest_framework.test (paas/production/deferred.py)."""

from __future__ import annotations

import json

from tests.support.processes import run_python

# A fresh interpreter (this one has loaded the test client long ago): the web's
# entry module, its URLs as the first request loads them, then a schema.
SCRIPT = """
import json, sys
import paas.production.web
from django.urls import get_resolver
get_resolver().url_patterns
before = {name: name in sys.modules for name in ("django.test", "unittest")}
from drf_spectacular.generators import SchemaGenerator
schema = SchemaGenerator().get_schema(request=None, public=True)
from rest_framework.test import APIClient
print(json.dumps({
    "before": before,
    "paths": len(schema["paths"]),
    "after": "django.test" in sys.modules,
    "client": APIClient.__module__,
}))
"""


def test_the_web_loads_its_urls_without_the_test_client_and_still_makes_a_schema(tmp_path):
    output = run_python(tmp_path, "-c", SCRIPT)
    report = json.loads(output.strip().splitlines()[-1])
    assert report["before"] == {"django.test": False, "unittest": False}
    # Schema generation loads the real module when it makes its first mock request.
    assert report["paths"] > 20
    assert report["after"] is True
    assert report["client"] == "rest_framework.test"
