"""Fixtures for volumes on the real swarm, through the real gateway and worker."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable

import pytest

from apps.models import App, Deployment, Status
from tests.support.apps import deploy_worker, fast_deploys, wait_finished
from tests.support.gateway import Gateway

__all__ = ["deploy_worker", "fast_deploys"]


@pytest.fixture
def finished() -> Callable[..., Deployment]:
    return wait_finished


def latest(app: App) -> Deployment:
    deployment = app.deployments.order_by("-number").first()
    assert deployment is not None, f"{app.name} has no deployment"
    return deployment


def healthy(deployment: Deployment) -> Deployment:
    done = wait_finished(deployment)
    assert done.status == Status.HEALTHY, f"#{done.number}: {done.reason}\n{done.log}"
    return done


def data_of(gateway: Gateway, app: str, expected: str | None, timeout: float = 30) -> str | None:
    """What the app shows of /data/value once it shows ``expected`` (None: no file)."""
    reply = gateway.wait_for(
        f"{app}.localhost",
        "/cgi-bin/info",
        until=lambda r: r.status == 200 and r.fact("data") == expected,
        timeout=timeout,
    )
    return reply.fact("data")


def write(gateway: Gateway, app: str, value: str) -> None:
    reply = gateway.wait_for(f"{app}.localhost", f"/cgi-bin/write?{value}")
    assert "stored" in reply.body, reply.body


def files_of(archive: bytes) -> dict[str, bytes]:
    """Regular files of a tar.gz by name (``./`` dropped), with their bytes."""
    found = {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar:
            if member.isfile():
                handle = tar.extractfile(member)
                assert handle is not None
                found[member.name.removeprefix("./")] = handle.read()
    return found
