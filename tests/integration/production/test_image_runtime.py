"""How the portal image's Python runs: -OO without column positions, from byte-code
compiled at build time (compose/Dockerfile; README, "Footprint")."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration

# Loads what the web and the worker load (the web's whole URLconf included) and reports
# how the interpreter runs and which loaded modules had no byte-code for its level:
# those were compiled from source at start, in every process, every time.
PROBE = """
import importlib.util, json, os, sys
import paas.production.web
from django.urls import get_resolver
get_resolver().url_patterns
test_client = "django.test" in sys.modules
import paas.production.worker, apps.watch
compiled_at_start = sorted(
    name for name, module in list(sys.modules.items())
    if (getattr(module, "__file__", None) or "").endswith(".py")
    and not os.path.exists(importlib.util.cache_from_source(module.__file__))
)
print(json.dumps({
    "optimize": sys.flags.optimize,
    # Code of a module loaded from the image's byte-code: columns only with debug ranges.
    "columns": [c for _, _, c, _ in paas.production.web.main.__code__.co_positions()
                if c is not None][:3],
    "modules": len(sys.modules),
    "docstring": paas.production.web.__doc__,
    "test_client": test_client,
    "compiled_at_start": compiled_at_start,
}))
"""


def test_the_portal_runs_optimized_from_byte_code_built_into_the_image(engine, portal_image):
    output = engine.containers.run(
        portal_image,
        ["python", "-c", PROBE],
        environment={"BERTH_SECRET_KEY": "probe-only", "BERTH_DATA_DIR": "/tmp/probe"},
        remove=True,
        stderr=False,
    )
    report = json.loads(output.decode().strip().splitlines()[-1])
    assert report["optimize"] == 2
    assert report["docstring"] is None
    assert report["columns"] == []  # PYTHONNODEBUGRANGES, at build and at run time
    assert report["modules"] > 1000
    assert report["test_client"] is False  # paas/production/deferred.py
    # Without byte-code at -OO, every module a process loads (1,404 here, on an image
    # without it) is compiled at each start: seconds of CPU, and ~12 MiB more in each
    # process for what the compiler left behind.
    assert report["compiled_at_start"] == []
