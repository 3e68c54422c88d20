"""Celery beat for Berth's stack, without Django.

``python -m paas.production.beat``. Beat only sends task names to the broker on a
schedule; the project's app would set Django up and import every task module (about
50 MB more) for nothing, and the ``celery`` command line another 25 MB. This app
reads the schedule and the broker from the same settings module and never calls
``django.setup()`` (``fixups=[]``).
"""

from __future__ import annotations

import argparse
import os
import sys
import types
from typing import Any

# paas.settings calls django_stubs_ext.monkeypatch(), which imports Django's ORM and
# admin so their generic classes can be subscripted at run time (about 15 MB). Beat
# loads no model or admin module, so a no-op stands in (before settings are read).
if "django_stubs_ext" not in sys.modules:
    _stub = types.ModuleType("django_stubs_ext")
    setattr(_stub, "monkeypatch", lambda *args, **kwargs: None)  # noqa: B010
    sys.modules["django_stubs_ext"] = _stub

from celery import Celery
from celery.beat import PersistentScheduler

from paas.production import alive

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paas.settings")


class Scheduler(PersistentScheduler):
    """The default scheduler, touching the liveness file on every tick."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        alive.touch(alive.BEAT)
        return float(super().tick(*args, **kwargs))


app = Celery("berth", fixups=[])
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_scheduler = f"{__name__}:Scheduler"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paas.production.beat")
    parser.add_argument("--schedule", default="/tmp/celerybeat-schedule")  # noqa: S108
    parser.add_argument("--loglevel", default="INFO")
    args = parser.parse_args(argv)
    app.Beat(schedule=args.schedule, loglevel=args.loglevel).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
