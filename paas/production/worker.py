"""The worker's Celery app in Berth's stack: the project's app, plus a liveness file.

``celery -A paas.production.worker worker``. The consumer's event loop touches
:data:`paas.production.alive.WORKER` every few seconds; the stack's health check
fails when the file grows old, and swarm restarts a worker whose loop is stuck.
"""

from __future__ import annotations

from typing import Any

from celery import bootsteps

from paas.celery import app
from paas.production import alive

INTERVAL = 5.0

__all__ = ["app"]


def _touch() -> None:
    alive.touch(alive.WORKER)


class Liveness(bootsteps.StartStopStep):
    """Touch the liveness file from the consumer's timer (driven by its event loop)."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.entry: Any = None

    def start(self, parent: Any) -> None:
        _touch()
        self.entry = parent.timer.call_repeatedly(INTERVAL, _touch)

    def stop(self, parent: Any) -> None:
        if self.entry is not None:
            self.entry.cancel()
            self.entry = None


app.steps["consumer"].add(Liveness)
