"""What the worker's and the web's processes import: not the admin in the worker (the
URLs and the admin's own checks load it), and in neither X.509 parsing until a
certificate is stored."""

from __future__ import annotations

import json

from tests.support.processes import run_python

# A fresh interpreter, loading what the worker loads when it starts (its entry module,
# Django, every task module, the watcher) the way it starts (checks skipped:
# paas/production/worker.py), then what the web's first request loads.
SCRIPT = """
import json, sys
import paas.production.worker
import django, django.apps
django.setup()
from paas.celery import app
app.loader.import_default_modules()
import apps.watch
berth_admin = ("paas.admin", "apps.admin", "apps.compose.admin", "apps.git.admin",
               "apps.volumes.admin", "nodes.admin", "routing.admin")
later = ("cryptography.x509", "routing.certificates")
worker = sorted(name for name in (*berth_admin, *later, "django_stubs_ext") if name in sys.modules)
from django.contrib import admin
from django.urls import get_resolver
get_resolver().url_patterns
print(json.dumps({
    "worker": worker,
    "web": [name for name in berth_admin if name not in sys.modules],
    "web_later": [name for name in later if name in sys.modules],
    "registered": [label for label in ("paas.Team", "apps.App", "nodes.Node", "routing.Domain")
                   if admin.site.is_registered(django.apps.apps.get_model(label))],
}))
"""


def test_the_worker_does_not_load_the_admin_the_urls_do_and_neither_loads_x509(tmp_path):
    output = run_python(tmp_path, "-c", SCRIPT, CELERY_SKIP_CHECKS="1")
    report = json.loads(output.strip().splitlines()[-1])
    assert report["worker"] == []
    # Every admin module is found when the URLs load, and registers its models.
    assert report["web"] == []
    assert report["web_later"] == []  # routing.services and routing.portal import it
    assert report["registered"] == ["paas.Team", "apps.App", "nodes.Node", "routing.Domain"]


# The system checks of the admin alone (no URL check to load the URLs first): the
# migrate job runs the checks before every install or upgrade.
CHECKS = """
import json, sys
import django
django.setup()
from django.core import checks
messages = checks.run_checks(tags=[checks.Tags.admin])
print(json.dumps({
    "loaded": "paas.admin" in sys.modules and "nodes.admin" in sys.modules,
    "messages": [str(message) for message in messages],
}))
"""


def test_the_admins_system_checks_load_and_check_every_admin_module(tmp_path):
    output = run_python(tmp_path, "-c", CHECKS)
    report = json.loads(output.strip().splitlines()[-1])
    assert report["loaded"] is True
    assert report["messages"] == []
