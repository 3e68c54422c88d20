"""Helpers for tests against the real engine."""

from __future__ import annotations

import contextlib
import socket
import time
import warnings
from typing import Any

import docker.errors

LABEL = "berth.namespace"


def advertise_address() -> str:
    """The address of the interface that holds the default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))
        return str(probe.getsockname()[0])


def remove_namespace(engine: Any, namespace: str, *, timeout: float = 60) -> None:
    """Remove what carries the namespace label: services, then (once their tasks are
    gone) the secrets, configs, networks and volumes they used."""
    label = f"{LABEL}={namespace}"
    for service in engine.services.list(filters={"label": label}):
        with contextlib.suppress(docker.errors.NotFound):
            service.remove()
    kinds = (engine.secrets, engine.configs, engine.networks, engine.volumes)
    deadline = time.monotonic() + timeout
    while True:
        left = []
        for kind in kinds:
            for obj in kind.list(filters={"label": label}):
                try:
                    obj.remove(force=True) if kind is engine.volumes else obj.remove()
                except docker.errors.NotFound:
                    pass
                except docker.errors.APIError:
                    left.append(obj)  # still held by a task that is shutting down
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if left:
        warnings.warn(f"left behind in {namespace}: {left}", stacklevel=2)
