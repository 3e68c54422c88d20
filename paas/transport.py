"""The one module that talks to the Docker engine.

It creates the client (``DOCKER_HOST`` or the local socket, an explicit
timeout), translates the SDK's errors into Berth's own, and retries transient
ones a bounded number of times. It knows no Django app: callers pass plain
values and get plain values or SDK objects back.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import requests.exceptions
from django.conf import settings

from paas.docker_sdk import docker

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
# Registry credentials every client sends with service creates and updates
# (X-Registry-Auth), so nodes can pull from the registry; bumped on each change.
_registry_auths: dict[str, dict[str, str]] = {}
_auth_generation = 0


def client() -> docker.DockerClient:
    """A client per thread (the SDK's HTTP session is not meant to be shared).

    Made again when ``DOCKER_HOST`` changes; an engine that does not answer
    while the client negotiates its API version raises :class:`EngineUnavailable`.
    """
    base_url = settings.DOCKER_HOST or "unix:///var/run/docker.sock"
    cached: docker.DockerClient | None = getattr(_local, "client", None)
    if cached is not None and getattr(_local, "base_url", None) != base_url:
        reset_client()
        cached = None
    if cached is None:
        with engine_errors():
            cached = docker.DockerClient(
                base_url=base_url, version="auto", timeout=settings.BERTH_DOCKER_TIMEOUT
            )
        _local.client = cached
        _local.base_url = base_url
        _local.auth_generation = -1
    if getattr(_local, "auth_generation", -1) != _auth_generation:
        for registry, credentials in _registry_auths.items():
            cast(Any, cached.api)._auth_configs.add_auth(registry, dict(credentials))
        _local.auth_generation = _auth_generation
    return cached


def set_registry_auth(registry: str, username: str, password: str) -> None:
    """Send these credentials to the engine whenever a service uses an image of ``registry``."""
    global _auth_generation
    wanted = {"username": username, "password": password, "serveraddress": registry}
    if _registry_auths.get(registry) != wanted:
        _registry_auths[registry] = wanted
        _auth_generation += 1


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


# --- other engines: the swarm's nodes --------------------------------------------


@dataclass(frozen=True)
class EngineAccess:
    """How to reach a node's own engine: ``tcp://host:2376`` (TLS when PEMs are given) or a socket."""

    url: str
    ca: str = ""
    cert: str = ""
    key: str = ""


@contextmanager
def remote_client(access: EngineAccess, *, timeout: int = 30) -> Iterator[docker.DockerClient]:
    """A client of another engine; TLS material lives in a private temporary folder meanwhile."""
    with tempfile.TemporaryDirectory(prefix="berth-tls-") as folder:
        tls: docker.tls.TLSConfig | bool = False
        if access.ca or access.cert:
            paths = {}
            for name in ("ca", "cert", "key"):
                value = getattr(access, name)
                if value:
                    path = os.path.join(folder, f"{name}.pem")
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "w") as handle:
                        handle.write(value)
                    paths[name] = path
            tls = docker.tls.TLSConfig(
                client_cert=(paths["cert"], paths["key"]) if "cert" in paths else None,
                ca_cert=paths.get("ca"),
                verify=paths.get("ca") or False,
            )
        with engine_errors():
            # A placeholder version: negotiating in the constructor would read the environment.
            remote = docker.DockerClient(
                base_url=access.url, version="1.24", tls=tls, timeout=timeout
            )
            # REQUESTS_CA_BUNDLE and proxy variables would override the node's own CA.
            session: Any = remote.api
            session.trust_env = False
            session._version = str(session._retrieve_server_version())
        try:
            yield remote
        finally:
            remote.close()


def _drain_stream(stream: Iterable[dict[str, Any]]) -> list[str]:
    """Consume an engine progress stream; raise its error as an :class:`EngineRefused`."""
    lines = []
    with engine_errors():
        for chunk in stream:
            if chunk.get("error"):
                raise EngineRefused(str(chunk.get("error")).strip())
            if chunk.get("stream"):
                lines.append(str(chunk["stream"]).strip())
    return lines


def copy_image(ref: str, source: docker.DockerClient, target: docker.DockerClient) -> None:
    """Stream ``docker save`` of ``ref`` on ``source`` into ``docker load`` on ``target``."""
    with engine_errors():
        archive = source.api.get_image(ref)
        _drain_stream(cast(Any, target.api).load_image(archive))


def image_on(engine: docker.DockerClient, ref: str) -> bool:
    try:
        call(engine.api.inspect_image, ref, retries=0)
    except NotFound:
        return False
    return True


def push_image(ref: str, *, username: str, password: str) -> None:
    """Push ``repo:tag`` from Berth's engine, failing with the registry's own words."""
    repository, _, tag = ref.rpartition(":")
    if "/" in tag or not repository:
        repository, tag = ref, "latest"
    auth = {"username": username, "password": password}
    with engine_errors():
        _drain_stream(
            client().api.push(repository, tag=tag, stream=True, decode=True, auth_config=auth)
        )
