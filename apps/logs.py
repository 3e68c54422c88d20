"""App logs from swarm: the last lines of every task merged in time order, and following.

The engine returns each task's tail separately; :func:`tail` merges them by
timestamp. :func:`follow` prints the tail, then asks every second for the lines of
the last few seconds and prints those it has not, until its time is up or its client
has gone.

A followed stream holds one of the web's threads for as long as it lasts (up to
``BERTH_LOG_FOLLOW_SECONDS``, or until its client leaves), so :data:`SLOTS` keeps them to
``BERTH_LOG_FOLLOW_LIMIT`` at once, a team to half of that: the portal keeps threads
to answer, and one team cannot take every stream.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from apps import engine
from paas import naming
from paas.transport import EngineError, NotFound

log = logging.getLogger(__name__)
MAX_TAIL = 10_000
FOLLOW_SECONDS = 3600
POLL_SECONDS = 1.0
# How much earlier than the newest line shown a followed stream still catches a line.
LATE_SECONDS = 2
_TASK = re.compile(r"com\.docker\.swarm\.task\.id=([a-z0-9]+)")


@dataclass(frozen=True)
class LogLine:
    timestamp: str
    task: str
    text: str

    @property
    def order(self) -> tuple[str, int]:
        # RFC 3339 with nanoseconds whose trailing zeros are trimmed: compare parts.
        seconds, _, fraction = self.timestamp.rstrip("Z").partition(".")
        return seconds, int((fraction or "0").ljust(9, "0")[:9])

    def render(self, *, timestamps: bool) -> str:
        prefix = f"{self.timestamp} " if timestamps else ""
        return f"{prefix}[{self.task[:8]}] {self.text}\n"


def parse(raw: str) -> LogLine:
    """One engine line: ``<timestamp> <details> <message>`` (details may be absent)."""
    timestamp, _, rest = raw.partition(" ")
    task = ""
    if rest.startswith("com.docker."):
        details, _, rest = rest.partition(" ")
        found = _TASK.search(details)
        task = found.group(1) if found else ""
    return LogLine(timestamp, task, rest.rstrip("\n"))


def lines(chunks: Iterable[bytes]) -> Iterator[LogLine]:
    """Whole lines out of the stream's chunks (a long line may span several)."""
    pending = ""
    for chunk in chunks:
        pending += chunk.decode(errors="replace")
        *complete, pending = pending.split("\n")
        for raw in complete:
            if raw:
                yield parse(raw)
    if pending:
        yield parse(pending)


def _stream(app_name: str, *, tail: int | str, follow: bool, since: int = 0) -> Iterator[bytes]:
    return engine.service_logs(
        naming.app_service(app_name), tail=tail, follow=follow, since=since, details=True
    )


def tail(app_name: str, count: int) -> list[LogLine]:
    """The last ``count`` lines of all the app's tasks together, oldest first."""
    count = max(1, min(count, MAX_TAIL))
    found = sorted(lines(_stream(app_name, tail=count, follow=False)), key=lambda line: line.order)
    return found[-count:]


def follow(
    app_name: str,
    count: int,
    *,
    timestamps: bool,
    seconds: float = FOLLOW_SECONDS,
    gone: Callable[[], bool] = lambda: False,
    poll: float = POLL_SECONDS,
) -> Iterator[str]:
    """The tail, then new lines until ``seconds`` pass or the client goes away.

    New lines are asked for every ``poll`` seconds (those since the newest one seen,
    less :data:`LATE_SECONDS`) rather than read from the engine's own follow stream:
    the SDK reads that stream without a timeout, so on a quiet app it blocks until a
    line comes, and neither the deadline nor a client that hung up (``gone``, the
    server's word on the connection) would be noticed: the stream and its slot would
    outlive the client for good.
    """
    start = tail(app_name, count)
    window = Window(floor=start[0] if start else None)
    for line in start:
        window.shown(line)
        yield line.render(timestamps=timestamps)
    deadline = time.monotonic() + seconds
    while not gone():
        pause = min(poll, deadline - time.monotonic())
        if pause <= 0:
            return
        time.sleep(pause)
        since = window.since(default=int(time.time() - poll) - 1)
        try:
            batch = list(lines(_stream(app_name, tail="all", follow=False, since=since)))
        except NotFound:
            yield "[the app's service is gone]\n"
            return
        except (EngineError, OSError) as exc:
            log.debug("log lines of %s not read: %s", app_name, exc)
            continue
        for line in window.unseen(batch, since):
            yield line.render(timestamps=timestamps)


class Window:
    """The lines a followed stream has shown lately, so a poll shows only the others.

    Each poll asks for the lines since the newest shown, less :data:`LATE_SECONDS`: a
    task's line can reach the engine after a later line of another task (another
    node's, most of all), and asking from the newest alone would skip it. The lines
    of those seconds that were shown already are not shown again, nor those older than
    ``floor``, the tail's first line (the tail left them out).
    """

    def __init__(self, floor: LogLine | None = None) -> None:
        self.floor = floor
        self.recent: set[LogLine] = set()
        self.newest: LogLine | None = None

    def shown(self, line: LogLine) -> None:
        self.recent.add(line)
        if self.newest is None or line.order > self.newest.order:
            self.newest = line

    def since(self, *, default: int) -> int:
        """The epoch second to ask from (``default`` before any line)."""
        return _epoch(self.newest.timestamp) - LATE_SECONDS if self.newest else default

    def unseen(self, batch: Iterable[LogLine], since: int) -> list[LogLine]:
        """The lines of a poll asked from ``since`` not shown yet, oldest first; lines
        from before ``since`` are forgotten (no poll will return them again)."""
        fresh = sorted(
            {
                line
                for line in batch
                if line not in self.recent
                and (self.floor is None or line.order >= self.floor.order)
            },
            key=lambda line: line.order,
        )
        for line in fresh:
            self.shown(line)
        self.recent = {line for line in self.recent if _epoch(line.timestamp) >= since}
        return fresh


def _epoch(timestamp: str) -> int:
    seconds = timestamp.rstrip("Z").partition(".")[0]
    return int(datetime.fromisoformat(seconds + "+00:00").timestamp())


class TooManyStreams(Exception):
    """Every follow slot (or the team's share of them) is taken; the message says which."""


class FollowSlots:
    """The followed log streams open in this process, by team."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: Counter[int] = Counter()

    def open_streams(self, team_id: int | None = None) -> int:
        with self._lock:
            return self._open[team_id] if team_id is not None else sum(self._open.values())

    def take(self, team_id: int, limit: int) -> Callable[[], None]:
        """A slot for one of ``team_id``'s streams; call the result to give it back."""
        share = max(1, limit // 2)
        with self._lock:
            if sum(self._open.values()) >= limit:
                raise TooManyStreams(
                    f"{limit} followed log streams are open on this server, the most it "
                    "allows. Try again when one ends, or read the logs without following."
                )
            if self._open[team_id] >= share:
                raise TooManyStreams(
                    f"Your team has {share} followed log stream(s) open, the most a team "
                    "may. Close one first, or read the logs without following."
                )
            self._open[team_id] += 1
        given_back = False

        def release() -> None:
            nonlocal given_back
            with self._lock:
                if not given_back:
                    given_back = True
                    self._open[team_id] -= 1

        return release


SLOTS = FollowSlots()


class Followed:
    """A followed stream that gives its slot back when it is closed.

    Django hands ``close`` to the server with the response, and the server calls it
    when the stream ends or the client is gone.
    """

    def __init__(self, lines: Iterator[str], release: Callable[[], None]) -> None:
        self._lines = lines
        self._release = release

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        return next(self._lines)

    def close(self) -> None:
        try:
            close = getattr(self._lines, "close", None)
            if close is not None:
                close()
        finally:
            self._release()
