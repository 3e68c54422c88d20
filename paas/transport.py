"""The one module that talks to the Docker engine.

It creates the client (``DOCKER_HOST`` or the local socket, an explicit
timeout), translates the SDK's errors into Berth's own, and retries transient
ones a bounded number of times. It knows no Django app: callers pass plain
values and get plain values or SDK objects back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import docker
import docker.errors
import requests.exceptions
from django.conf import settings

log = logging.getLogger(__name__)
T = TypeVar("T")


class EngineError(Exception):
    """A Docker engine call failed; ``str()`` is a message fit for a user."""


class EngineUnavailable(EngineError):
    """The engine did not answer (not running, socket missing, timed out). Transient."""


class NotFound(EngineError):
    """The object asked for does not exist on the engine."""


class Conflict(EngineError):
    """The engine refused because of the object's current state (name taken, in use)."""


class EngineRefused(EngineError):
    """The engine rejected the request as invalid. Permanent."""


TRANSIENT: tuple[type[EngineError], ...] = (EngineUnavailable,)

_local = threading.local()


def client() -> docker.DockerClient:
    """A client per thread (the SDK's HTTP session is not meant to be shared)."""
    cached: docker.DockerClient | None = getattr(_local, "client", None)
    if cached is None:
        base_url = settings.DOCKER_HOST or "unix:///var/run/docker.sock"
        cached = docker.DockerClient(
            base_url=base_url, version="auto", timeout=settings.BERTH_DOCKER_TIMEOUT
        )
        _local.client = cached
    return cached


def reset_client() -> None:
    cached: docker.DockerClient | None = getattr(_local, "client", None)
    if cached is not None:
        cached.close()
    _local.client = None


def _explain(exc: docker.errors.APIError) -> str:
    explanation = exc.explanation
    if isinstance(explanation, bytes):
        explanation = explanation.decode(errors="replace")
    return str(explanation or exc).strip()


def translate(exc: BaseException) -> EngineError:
    if isinstance(exc, docker.errors.NotFound | docker.errors.ImageNotFound):
        return NotFound(_explain(exc))
    if isinstance(exc, docker.errors.APIError):
        code = exc.status_code or 0
        if code == 409:
            return Conflict(_explain(exc))
        if code >= 500 and "rpc error" in _explain(exc).lower():
            # The swarm's raft is busy or electing a leader: worth another try.
            return EngineUnavailable(_explain(exc))
        return EngineRefused(_explain(exc))
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return EngineUnavailable(f"The Docker engine did not answer: {exc}")
    if isinstance(exc, docker.errors.DockerException):
        return EngineUnavailable(str(exc))
    return EngineError(str(exc))


@contextmanager
def engine_errors() -> Iterator[None]:
    """Run SDK calls with their errors translated into :class:`EngineError`."""
    try:
        yield
    except EngineError:
        raise
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        raise translate(exc) from exc


def call(
    fn: Callable[..., T], *args: Any, retries: int = 2, backoff: float = 0.5, **kwargs: Any
) -> T:
    """Call ``fn`` with translated errors, retrying transient failures ``retries`` times."""
    attempt = 0
    while True:
        try:
            with engine_errors():
                return fn(*args, **kwargs)
        except TRANSIENT as exc:
            if attempt >= retries:
                raise
            attempt += 1
            log.warning("transient engine error (attempt %d/%d): %s", attempt, retries, exc)
            reset_client()
            time.sleep(backoff * attempt)


def ping() -> bool:
    try:
        return bool(call(client().ping, retries=0))
    except EngineError:
        return False


def exec_in(container_id: str, cmd: list[str], *, retries: int = 1) -> tuple[int, str]:
    """Run ``cmd`` in a running container; returns the exit code and the combined output."""

    def run() -> tuple[int, str]:
        container = client().containers.get(container_id)
        result = container.exec_run(cmd, stdout=True, stderr=True)
        output = result.output
        text = output.decode(errors="replace") if isinstance(output, bytes) else str(output)
        return int(result.exit_code or 0), text

    return call(run, retries=retries)
