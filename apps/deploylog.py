"""A deployment's log, written while it runs: throttled appends, a size cap, a heartbeat.

The worker appends in batches (at most every half second) so a chatty build
does not write a row per line. Past the cap the log keeps its beginning and its
latest part with a marker between, since a build's error is at the end.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections, connection
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from apps.models import RUNNING, Deployment

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.5
FLUSH_BYTES = 16 * 1024
CUT_MARKER = "\n[... {count} characters of log cut to keep it under the size limit ...]\n"


def capped(text: str, limit: int) -> tuple[str, int]:
    """``text`` cut to about ``limit`` characters (head and tail kept); and how much was cut."""
    if len(text) <= limit:
        return text, 0
    head = limit // 4
    tail = limit - head - 120
    cut = len(text) - head - tail
    return text[:head] + CUT_MARKER.format(count=cut) + text[-tail:], cut


class DeployLog:
    def __init__(self, deployment_id: int, *, limit: int, initial_size: int = 0) -> None:
        self.deployment_id = deployment_id
        self.limit = limit
        self.size = initial_size
        self.buffer: list[str] = []
        self.buffered = 0
        self.last_flush = time.monotonic()
        self.lock = threading.Lock()

    def write(self, text: str) -> None:
        if not text:
            return
        with self.lock:
            self.buffer.append(text)
            self.buffered += len(text)
            due = time.monotonic() - self.last_flush >= FLUSH_SECONDS
        if due or self.buffered >= FLUSH_BYTES:
            self.flush()

    def line(self, text: str) -> None:
        now = timezone.now()
        stamp = f"{now:%H:%M:%S}.{now.microsecond // 1000:03d}"
        self.write(f"[{stamp}] {text}\n")

    def flush(self) -> None:
        with self.lock:
            chunk = "".join(self.buffer)
            self.buffer.clear()
            self.buffered = 0
            self.last_flush = time.monotonic()
            if not chunk:
                return
            rows = Deployment.objects.filter(pk=self.deployment_id)
            if self.size + len(chunk) <= self.limit:
                rows.update(log=Concat(F("log"), Value(chunk)))
                self.size += len(chunk)
                return
            current = rows.values_list("log", flat=True).first() or ""
            text, _ = capped(current + chunk, self.limit)
            rows.update(log=text, log_truncated=True)
            self.size = len(text)


class Heartbeat(threading.Thread):
    """Marks the deployment alive, renews the app lock and notices a cancel request."""

    def __init__(self, deployment_id: int, renew: object, *, every: float = 5.0) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{deployment_id}")
        self.deployment_id = deployment_id
        self.renew = renew
        self.every = every
        self.stopped = threading.Event()
        self.cancelled = threading.Event()

    def beat(self) -> None:
        rows = Deployment.objects.filter(pk=self.deployment_id, status__in=RUNNING)
        rows.update(heartbeat_at=timezone.now())
        if Deployment.objects.filter(pk=self.deployment_id, cancel_requested=True).exists():
            self.cancelled.set()
        if callable(self.renew):
            self.renew()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                try:
                    self.beat()
                except Exception as exc:  # a missed beat is retried; the reaper allows for several
                    log.warning("heartbeat of deployment %s: %s", self.deployment_id, exc)
                    close_old_connections()
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)
