"""The worker in Berth's stack: the project's Celery app, plus a liveness file.

``python -m paas.production.worker --pool threads --concurrency 4`` starts it without
the ``celery`` command line, whose import (click, its REPL, prompt_toolkit and every
subcommand) would cost the process about 25 MB. The consumer's event loop touches
:data:`paas.production.alive.WORKER` every few seconds; the stack's health check
fails when the file grows old, and swarm restarts a worker whose loop is stuck.
With ``--beat`` it also runs the scheduler, as a thread (:mod:`paas.production.beat`).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from typing import Any

from celery import bootsteps

from paas.celery import app
from paas.production import alive, beat, trim

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
app.steps["worker"].add(beat.Beat)
# Re-routes an app moments after swarm restarts one of its tasks (a name: the module
# needs Django's apps, which are loaded when the worker starts).
app.steps["worker"].add("apps.watch:WatchStep")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paas.production.worker")
    parser.add_argument("--pool", choices=("threads", "prefork", "solo"), default="threads")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--loglevel", default="INFO")
    parser.add_argument("--beat", action="store_true", help="run the scheduler too (a thread)")
    parser.add_argument("--schedule", default="/tmp/celerybeat-schedule")  # noqa: S108
    args = parser.parse_args(argv)
    # Celery runs Django's system checks at start, which import every URL, view and
    # template tag (~11 MB the worker never uses). The migrate job of the same image
    # has run them before the worker starts.
    os.environ.setdefault("CELERY_SKIP_CHECKS", "1")
    # The heap a burst of tasks (a deployment's) freed goes back to the system after it.
    trim.after_tasks()
    trim.trimmer().poke()  # and what loading the application left
    worker = app.Worker(
        hostname=f"worker@{socket.gethostname()}",
        pool_cls=args.pool,
        concurrency=args.concurrency,
        loglevel=args.loglevel,
        # One worker: nothing to gossip with or to synchronise at start.
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
        beat_thread=args.beat,
        schedule_filename=args.schedule,
    )
    worker.start()
    return int(worker.exitcode or 0)


if __name__ == "__main__":
    sys.exit(main())
