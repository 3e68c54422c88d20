"""Following a deployment: new log lines, status changes and a progress line until it ends."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from berth_cli.client import Api, app_path
from berth_cli.errors import INTERRUPTED, CliError

FINISHED = {"healthy", "failed", "rolled_back", "cancelled"}
POLL_SECONDS = 1.0
# How long following rides out an unreachable portal (a restart, a network blip).
RETRY_SECONDS = 60.0
SPINNER = "|/-\\"


def new_log_text(shown: str, log: str) -> str:
    """What of ``log`` has not been shown yet.

    A long log is cut by the server (its head and latest part kept, a marker
    between); then ``log`` no longer starts with what was shown. The text after
    the last shown lines is new; failing that, what follows the common head.
    """
    if log.startswith(shown):
        return log[len(shown) :]
    tail = shown[-400:]
    while tail:
        at = log.rfind(tail)
        if at != -1:
            return log[at + len(tail) :]
        cut = tail.find("\n", 1)
        if cut == -1:
            break
        tail = tail[cut + 1 :]
    pairs = enumerate(zip(shown, log, strict=False))
    common = next((i for i, (a, b) in pairs if a != b), min(len(shown), len(log)))
    return log[log.rfind("\n", 0, common) + 1 :]


@dataclass
class Follower:
    api: Api
    app: str
    number: int
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    sleep: Callable[[float], None] = time.sleep
    shown: str = ""
    status: str = ""
    progress_width: int = 0

    def _clear_progress(self) -> None:
        if self.progress_width:
            self.err.write("\r" + " " * self.progress_width + "\r")
            self.progress_width = 0

    def _progress(self, started: float, tick: int) -> None:
        if not self.err.isatty():
            return
        elapsed = int(time.monotonic() - started)
        line = f"{SPINNER[tick % len(SPINNER)]} #{self.number} {self.status} {elapsed // 60}:{elapsed % 60:02d}"
        self._clear_progress()
        self.err.write(line)
        self.err.flush()
        self.progress_width = len(line)

    def _show(self, deployment: dict[str, Any]) -> None:
        log = str(deployment.get("log") or "")
        status = str(deployment.get("status") or "unknown")
        unseen = new_log_text(self.shown, log)
        # Hold a half-written last line back until it is complete (or the deployment ends).
        text = unseen if status in FINISHED else unseen[: unseen.rfind("\n") + 1]
        if text or status != self.status:
            self._clear_progress()
        if text:
            self.out.write(text if text.endswith("\n") else text + "\n")
        # ``unseen`` ends the log, so this is the log up to the end of what was printed.
        self.shown = log[: len(log) - len(unseen) + len(text)]
        if status != self.status:
            self.out.write(f"--> {self.app} #{self.number}: {status.replace('_', ' ')}\n")
            self.status = status
        self.out.flush()

    def run(self) -> dict[str, Any]:
        """Poll until the deployment finishes; returns its last state."""
        started = time.monotonic()
        path = app_path(self.app, "deployments", self.number)
        subject = f"deployment #{self.number} of app '{self.app}'"
        tick = 0
        failing_since: float | None = None
        try:
            while True:
                try:
                    deployment = self.api.get(path, subject=subject)
                except CliError as exc:
                    now = time.monotonic()
                    failing_since = failing_since or now
                    if not exc.transient or now - failing_since > RETRY_SECONDS:
                        raise
                    self.sleep(POLL_SECONDS)
                    continue
                failing_since = None
                self._show(deployment)
                if self.status in FINISHED:
                    return dict(deployment)
                self._progress(started, tick)
                tick += 1
                self.sleep(POLL_SECONDS)
        except KeyboardInterrupt:
            raise CliError(
                f"stopped following; deployment #{self.number} of {self.app} goes on "
                "on the server (its log is in the portal)",
                INTERRUPTED,
            ) from None
        finally:
            self._clear_progress()
