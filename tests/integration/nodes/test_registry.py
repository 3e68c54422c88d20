"""The self-hosted registry: Berth pushes a freshly built image, the second node pulls it.

The second engine starts with no image; Berth copies the registry's own image
to it (it cannot pull one here), runs the mirror there, and the app's task on
that node pulls the app image through it: nothing is copied for the app.
"""

from __future__ import annotations

import time

import pytest

from apps import deploy
from apps import services as app_services
from apps.models import Status
from nodes import registry, services
from nodes.models import ImageRegistry, Node, OperationStatus
from paas import naming
from tests.integration.apps.sources import web_tarball
from tests.integration.nodes.conftest import engine_log, tasks_by_node, wait_operation
from tests.support.apps import wait_finished

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_registry(timeout: float = 120) -> ImageRegistry:
    deadline = time.monotonic() + timeout
    while True:
        row = ImageRegistry.objects.get(pk=1)
        if row.state in ("running", "failed"):
            return row
        assert time.monotonic() < deadline, f"the registry is still {row.state!r}"
        time.sleep(0.3)


def test_a_built_image_reaches_the_second_node_through_the_self_hosted_registry(
    cluster, cluster_gateway, deploy_worker, people, settings
):
    settings.BERTH_REGISTRY_PORT = 5000
    operator = people.principal("operator")
    dev = people.principal("developer")
    node = cluster.node
    join = wait_operation(
        services.start_join_engine(
            principal=operator,
            engine_url=node.tcp_url,
            tls_ca=node.tls_ca,
            tls_cert=node.tls_cert,
            tls_key=node.tls_key,
        )
    )
    assert join.status == OperationStatus.SUCCEEDED, join.log + join.error

    registry.configure(principal=operator, mode="hosted")
    row = wait_registry()
    assert row.state == "running", row.last_error
    assert row.server == "127.0.0.1:5000"
    node_id = cluster.node_id(node)
    mirror = naming.namespaced("registry-mirror")
    deadline = time.monotonic() + 60
    while tasks_by_node(cluster.manager.client, mirror) != {node_id: 1}:
        assert time.monotonic() < deadline, "the mirror does not run on the second node"
        time.sleep(0.3)

    app = app_services.create_app(team=people.team, principal=dev, name="pulled", instances=2)
    built = wait_finished(
        deploy.deploy_tarball(app=app, principal=dev, upload=web_tarball("via registry")),
        timeout=180,
    )
    assert built.status == Status.HEALTHY, built.log + engine_log(node)
    assert built.image.startswith("127.0.0.1:5000/")
    assert f"Pushed {built.image}" in built.log
    assert "Copying" not in built.log.split("Pushing", 1)[1]
    service = naming.app_service("pulled")
    assert tasks_by_node(cluster.manager.client, service) == {
        cluster.node_id(cluster.manager): 1,
        node_id: 1,
    }
    pulled = node.client.images.get(built.image)
    assert pulled.attrs["RepoDigests"], "the node pulled the image (a loaded one has no digest)"
    reply = cluster_gateway.wait_for("pulled.localhost", "/cgi-bin/info")
    assert reply.fact("message") == "via registry"

    # Apps are placed by node label: an operator labels the second node, an app asks for it.
    second = Node.objects.get(node_id=node_id)
    services.set_labels(principal=operator, node=second, labels={"zone": "edge"})
    assert node.client.info()["Swarm"]["NodeID"] == node_id
    assert cluster.manager.client.nodes.get(node_id).attrs["Spec"]["Labels"] == {"zone": "edge"}
    edge = app_services.create_app(
        team=people.team, principal=dev, name="edge", instances=2, placement={"zone": "edge"}
    )
    placed = wait_finished(
        deploy.deploy_tarball(app=edge, principal=dev, upload=web_tarball("at the edge")),
        timeout=180,
    )
    assert placed.status == Status.HEALTHY, placed.log + engine_log(node)
    assert tasks_by_node(cluster.manager.client, naming.app_service("edge")) == {node_id: 2}
