"""A swarm of its own for node tests: two (or three) fresh engines in network namespaces.

Why not join a second engine to the machine's swarm? Other tests share that
swarm at the same time; a second node there would be handed their tasks, which
fail for want of images. Here Berth's engine (``DOCKER_HOST``) is the first
namespace engine, a manager of a new swarm; the gateway runs there and answers
on its namespace address.
"""

from __future__ import annotations

import http.client
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nodes.models import OPERATION_ACTIVE, NodeOperation
from paas import transport
from tests.support.apps import deploy_worker, fast_deploys, wait_finished
from tests.support.engines import FreshEngine, engine_cluster, missing_tools
from tests.support.gateway import Gateway, Reply
from tests.support.services import unavailable

__all__ = ["deploy_worker", "fast_deploys", "wait_finished"]

REGISTRY_IMAGE = os.environ.get("BERTH_TEST_REGISTRY_IMAGE", "berth-test/registry:1")


@dataclass(frozen=True)
class Cluster:
    manager: FreshEngine
    node: FreshEngine

    def node_id(self, engine: FreshEngine) -> str:
        return str(engine.client.info()["Swarm"]["NodeID"])


@dataclass(frozen=True)
class NamespaceGateway(Gateway):
    """The gateway as published on the manager engine's namespace address."""

    address: str = "127.0.0.1"

    def get(self, host: str, path: str = "/", *, timeout: float = 10.0) -> Reply:
        conn = http.client.HTTPConnection(self.address, self.http_port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Host": host, "Connection": "close"})
            response = conn.getresponse()
            body = response.read().decode(errors="replace")
            return Reply(response.status, body, {k.lower(): v for k, v in response.getheaders()})
        finally:
            conn.close()


@pytest.fixture
def cluster(engine: Any, images: Any, settings: Any) -> Iterator[Cluster]:
    """Berth's engine is a new swarm's manager; ``node`` is a bare engine with a TLS socket."""
    problem = missing_tools(ssh=True)
    if problem:
        unavailable(problem)
    if not engine.images.list(name=REGISTRY_IMAGE):
        unavailable(f"no {REGISTRY_IMAGE} image: apt-get install docker-registry, make images")
    loaded = [images.web, images.nginx, REGISTRY_IMAGE]
    with engine_cluster(2, loaded, engine, tls=(1,), bare=(1,)) as (manager, node):
        manager.client.swarm.init(advertise_addr=manager.address)
        settings.DOCKER_HOST = manager.docker_host
        settings.BERTH_ADVERTISE_ADDR = manager.address
        settings.BERTH_REGISTRY_IMAGE = REGISTRY_IMAGE
        settings.BERTH_NODE_DRAIN_TIMEOUT = 90
        transport.reset_client()
        try:
            yield Cluster(manager=manager, node=node)
        finally:
            transport.reset_client()


@pytest.fixture
def cluster_gateway(cluster: Cluster, gateway: Gateway) -> NamespaceGateway:
    """The ``gateway`` fixture, bootstrapped on the cluster's manager (requested after it)."""
    fields = {name: getattr(gateway, name) for name in gateway.__dataclass_fields__}
    return NamespaceGateway(**fields, address=cluster.manager.address)


def engine_log(engine: FreshEngine, lines: int = 15) -> str:
    """The end of a test engine's log, for failure messages."""
    path = Path(f"/tmp/{engine.name}-dockerd.log")
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(line[:300] for line in text.splitlines()[-lines:])


def wait_operation(operation: NodeOperation, *, timeout: float = 120) -> NodeOperation:
    deadline = time.monotonic() + timeout
    while True:
        operation.refresh_from_db()
        if operation.status not in OPERATION_ACTIVE:
            return operation
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{operation} still {operation.status} after {timeout:.0f} s:\n{operation.log}"
            )
        time.sleep(0.2)


def tasks_by_node(client: Any, service: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for task in client.api.tasks(filters={"service": service, "desired-state": "running"}):
        if task["Status"]["State"] == "running":
            counts[task["NodeID"]] = counts.get(task["NodeID"], 0) + 1
    return counts
