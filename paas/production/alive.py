"""Liveness files the stack's health checks read (their age says the loop still turns).

A health check that loaded Celery and Django (``celery inspect ping``) would start a
90 MB process every few seconds; reading a file's age costs a bare interpreter.
"""

from __future__ import annotations

import os
from pathlib import Path

# In the container's own /tmp (the stack's health checks name the same paths).
WORKER = Path(os.environ.get("BERTH_WORKER_ALIVE_FILE", "/tmp/berth-worker.alive"))  # noqa: S108
BEAT = Path(os.environ.get("BERTH_BEAT_ALIVE_FILE", "/tmp/berth-beat.alive"))  # noqa: S108


def touch(path: Path) -> None:
    path.touch()
