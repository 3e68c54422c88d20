"""How the portal image's Python runs: -OO without column positions, from byte-code
compiled at build time, the libraries' alone (compose/Dockerfile; README, "Footprint")."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration

# Loads what the web and the worker load (the web's whole URLconf included) and reports
# how the interpreter runs, which loaded modules had no byte-code for its level (those
# were compiled from source at start, in every process, every time), which were loaded
# from a source, and a traceback through a library and the interpreter's library.
PROBE = """
import importlib.util, json, os, sys, traceback
import paas.production.web
from django.urls import get_resolver
get_resolver().url_patterns
test_client = "django.test" in sys.modules
import paas.production.worker, apps.watch
# Loaded from a source file (or its cache), not from byte-code alone or frozen.
sources = {
    name: module.__spec__.origin for name, module in list(sys.modules.items())
    if (getattr(getattr(module, "__spec__", None), "origin", None) or "").endswith(".py")
}
compiled_at_start = sorted(
    name for name, path in sources.items()
    if not os.path.exists(importlib.util.cache_from_source(path))
)
from_source = sorted({
    name.partition(".")[0] for name, path in sources.items()
    if not path.startswith("/opt/berth/app/")
})
from django.core import signing
frames = []
for fails in (lambda: signing.loads("not-signed"), lambda: json.loads("{")):
    try:
        fails()
    except Exception as error:
        frames += [(frame.filename, frame.line)
                   for frame in traceback.extract_tb(error.__traceback__)
                   if frame.filename != "<string>"]
print(json.dumps({
    "optimize": sys.flags.optimize,
    # Code of a module loaded from the image's byte-code: columns only with debug ranges.
    "columns": [c for _, _, c, _ in paas.production.web.main.__code__.co_positions()
                if c is not None][:3],
    "modules": len(sys.modules),
    "docstring": paas.production.web.__doc__,
    "test_client": test_client,
    "compiled_at_start": compiled_at_start,
    "from_source": from_source,
    "frames": frames,
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
    # The libraries and the interpreter's own modules load from byte-code alone: one
    # file looked up per module instead of three (~2 MiB of the kernel's a container).
    assert report["from_source"] == []
    # Their sources are where the byte-code's file names point: tracebacks show lines.
    frames = report["frames"]
    assert all(name.startswith("/opt/berth/source/") for name, _ in frames), frames
    assert all(line for _, line in frames), frames
    assert any(name.endswith("/site-packages/django/core/signing.py") for name, _ in frames)
    assert any(name.endswith("/json/decoder.py") for name, _ in frames)
