"""The beat's node sync, run by a real Celery worker against the real swarm."""

from __future__ import annotations

import time

import pytest

from nodes.models import Node
from nodes.tasks import sync_nodes

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_worker_records_the_swarm_nodes_and_forgets_gone_ones(engine, celery_worker):
    Node.objects.create(
        node_id="gone-node", hostname="old", role="worker", availability="active", state="down"
    )

    sync_nodes.delay()

    expected = {node.id for node in engine.nodes.list()}
    deadline = time.monotonic() + 30
    while set(Node.objects.values_list("node_id", flat=True)) != expected:
        assert time.monotonic() < deadline, "the worker did not sync the nodes"
        time.sleep(0.2)
    local = Node.objects.get(node_id=engine.info()["Swarm"]["NodeID"])
    assert local.role == "manager"
    assert local.engine_version == engine.version()["Version"]
