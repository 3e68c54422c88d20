"""A node joined through its engine API runs half of an app, is drained, then removed.

The second engine has no image at all: Berth copies the freshly built one to it
(no registry is configured). Requests through the gateway on the first node
keep being answered while the second node is drained.
"""

from __future__ import annotations

import threading

import pytest

from apps import deploy
from apps import services as app_services
from apps.models import Status
from nodes import services
from nodes.models import Node, OperationStatus
from paas import naming
from tests.integration.apps.sources import web_tarball
from tests.integration.nodes.conftest import tasks_by_node, wait_operation
from tests.support.apps import wait_finished

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_node_joined_through_its_engine_api_serves_until_drained_and_removed(
    cluster, cluster_gateway, deploy_worker, people
):
    operator = people.principal("operator")
    dev = people.principal("developer")
    node_engine = cluster.node

    join = services.start_join_engine(
        principal=operator,
        engine_url=node_engine.tcp_url,
        tls_ca=node_engine.tls_ca,
        tls_cert=node_engine.tls_cert,
        tls_key=node_engine.tls_key,
    )
    join = wait_operation(join)
    assert join.status == OperationStatus.SUCCEEDED, join.log + join.error
    assert f"advertising {node_engine.address}" in join.log
    assert join.secret_encrypted == ""
    node_id = cluster.node_id(node_engine)
    row = Node.objects.get(node_id=node_id)
    assert (row.state, row.role, row.address) == ("ready", "worker", node_engine.address)
    assert row.engine_url == node_engine.tcp_url
    assert "PRIVATE KEY" not in row.engine_tls_key_encrypted

    app = app_services.create_app(team=people.team, principal=dev, name="spread", instances=2)
    built = deploy.deploy_tarball(app=app, principal=dev, upload=web_tarball("two nodes"))
    built = wait_finished(built, timeout=180)
    assert built.status == Status.HEALTHY, built.log
    assert f"Copied {built.image} to node" in built.log
    service = naming.app_service("spread")
    manager_id = cluster.node_id(cluster.manager)
    assert tasks_by_node(cluster.manager.client, service) == {manager_id: 1, node_id: 1}
    hostnames = set()
    for _ in range(40):
        reply = cluster_gateway.wait_for("spread.localhost", "/cgi-bin/info")
        hostnames.add(reply.fact("hostname"))
        if len(hostnames) == 2:
            break
    assert len(hostnames) == 2, "both instances answer through the gateway"
    services.sync_nodes()
    assert [t["app"] for t in Node.objects.get(node_id=node_id).berth_tasks] == ["spread"]

    # Drain under traffic: every request is answered while the task moves.
    replies: list[int] = []
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            try:
                replies.append(cluster_gateway.get("spread.localhost", "/cgi-bin/info").status)
            except OSError:
                replies.append(0)

    sender = threading.Thread(target=traffic, daemon=True)
    sender.start()
    try:
        drain = services.set_availability(principal=operator, node=row, availability="drain")
        assert drain is not None
        drain = wait_operation(drain)
    finally:
        stop.set()
        sender.join(timeout=15)
    assert drain.status == OperationStatus.SUCCEEDED, drain.log + drain.error
    assert "No task runs on the node any more" in drain.log
    assert tasks_by_node(cluster.manager.client, service) == {manager_id: 2}
    assert len(replies) > 5
    assert set(replies) == {200}, f"{replies.count(200)}/{len(replies)} answered"
    assert Node.objects.get(node_id=node_id).availability == "drain"

    removal = wait_operation(services.start_remove(principal=operator, node=row))
    assert removal.status == OperationStatus.SUCCEEDED, removal.log + removal.error
    assert "Asking the node's engine" in removal.log
    assert node_id not in {n.id for n in cluster.manager.client.nodes.list()}
    assert node_engine.client.info()["Swarm"]["LocalNodeState"] == "inactive"
    assert not Node.objects.filter(node_id=node_id).exists()
    assert cluster_gateway.get("spread.localhost", "/cgi-bin/info").status == 200
