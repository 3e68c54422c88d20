"""On the machine's own swarm (one manager): what Berth refuses before touching anything."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from nodes import services
from nodes.models import Node

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def local_node(engine, people):
    services.sync_nodes()
    return Node.objects.get(node_id=engine.info()["Swarm"]["NodeID"])


def test_the_last_manager_is_never_demoted(engine, local_node, people):
    with pytest.raises(ValidationError) as caught:
        services.set_role(principal=people.principal("operator"), node=local_node, role="worker")
    assert "last manager" in caught.value.message_dict["node"][0]
    assert engine.nodes.get(local_node.node_id).attrs["Spec"]["Role"] == "manager"


def test_the_node_berth_runs_on_is_never_removed(engine, local_node, people):
    with pytest.raises(ValidationError) as caught:
        services.start_remove(principal=people.principal("operator"), node=local_node)
    assert "its own engine runs on" in caught.value.message_dict["node"][0]
    assert not local_node.operations.exists()


def test_the_sync_records_the_local_node_with_its_resources(engine, local_node):
    info = engine.info()
    assert local_node.role == "manager"
    assert local_node.state == "ready"
    assert local_node.cpus == info["NCPU"]
    assert local_node.memory_bytes == info["MemTotal"]
    assert local_node.engine_version == info["ServerVersion"]
