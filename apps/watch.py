"""Re-route an app moments after one of its tasks starts, turns healthy or dies.

The gateway sends an app's requests to its running tasks' addresses
(:func:`routing.render.upstream_block`). A deployment re-routes when its new tasks
run, and the reconcile every 30 s; this covers what happens in between: swarm
restarting a task that crashed, was killed or ran out of memory, on a new address.
Without it, the old address costs the first request of each gateway worker a
connect that fails (3 s on an overlay network: no host answers), and the new task
gets requests only through the DNS fallback, until the next reconcile.

Docker reports container events per engine: this follows the engine Berth talks to,
where the gateway runs. Tasks on other nodes still wait for the reconcile. It runs in
the worker (:class:`WatchStep`); with two workers both re-route, which changes nothing
twice (an unchanged gateway file is not rewritten).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from celery import bootsteps
from django.db import close_old_connections

from apps import reconcile
from paas import naming, transport
from routing import gateway

log = logging.getLogger(__name__)

EVENTS = ("start", "health_status", "die")
# Swarm's task list follows a container's events within moments: look at once, and again.
AFTER = (0.25, 1.0, 3.0)
# Before following again after the engine ended the stream or did not answer.
RETRY = 2.0
# Every app (a reconcile pass): events may have been missed while the stream was down.
EVERY_APP = "*"


class Watcher:
    """One thread follows the engine's events of this namespace's app containers; another
    re-routes each app named by one, at the times in :data:`AFTER` after its latest."""

    def __init__(self) -> None:
        self._names: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._stream: Any = None
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for target, name in ((self._follow, "berth-watch"), (self._route, "berth-reroute")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        stream = self._stream
        if stream is not None:
            try:
                stream.close()
            except Exception:  # already closed by the engine
                log.debug("closing the event stream", exc_info=True)
        self._names.put("")
        for thread in self._threads:
            thread.join(timeout)

    def _follow(self) -> None:
        filters = {
            "type": "container",
            "event": list(EVENTS),
            "label": [
                f"{naming.NAMESPACE_LABEL}={naming.namespace()}",
                f"{naming.KIND_LABEL}=app",
            ],
        }
        missed = False
        while not self._stopping.is_set():
            try:
                with transport.engine_errors():
                    self._stream = transport.client().events(filters=filters, decode=True)
                    if self._stopping.is_set():  # stop() came before there was a stream
                        self._stream.close()
                        break
                    if missed:
                        self._names.put(EVERY_APP)
                    for event in self._stream:
                        attributes = (event.get("Actor") or {}).get("Attributes") or {}
                        if name := attributes.get(naming.APP_LABEL):
                            self._names.put(name)
            except Exception as exc:  # the thread outlives any failure; the engine may restart
                if not self._stopping.is_set():
                    log.warning("following the engine's container events: %s", exc)
            missed = True
            self._stopping.wait(RETRY)

    def _route(self) -> None:
        due: dict[str, list[float]] = {}
        while not self._stopping.is_set():
            now = time.monotonic()
            wait = max(min(times[0] for times in due.values()) - now, 0.0) if due else None
            try:
                if name := self._names.get(timeout=wait):
                    due[name] = [time.monotonic() + delay for delay in AFTER]
            except queue.Empty:
                pass
            now = time.monotonic()
            ready = [name for name, times in due.items() if times[0] <= now]
            if not ready or self._stopping.is_set():
                continue
            for name in ready:
                del due[name][0]
                if not due[name]:
                    del due[name]
            close_old_connections()
            try:
                if EVERY_APP in ready:
                    reconcile.reconcile()
                else:
                    reconcile.reroute(ready)
            except Exception:  # logged; the next event or the reconcile tries again
                log.exception("re-routing %s", ", ".join(ready))
            finally:
                close_old_connections()


class WatchStep(bootsteps.StartStopStep):
    """Runs a :class:`Watcher` in the worker while it runs (not behind an external
    proxy, which reaches tasks by name)."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.watcher: Watcher | None = None

    def start(self, parent: Any) -> None:
        if not gateway.external():
            self.watcher = Watcher()
            self.watcher.start()

    def stop(self, parent: Any) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
