"""Adding a node over SSH: sshd runs in the second engine's namespace, Berth logs in with a key."""

from __future__ import annotations

import time

import pytest

from apps import deploy
from apps import services as app_services
from apps.models import Status
from nodes import services
from nodes.models import Node, OperationStatus, SshHostKey
from paas import naming
from tests.integration.apps.sources import web_tarball
from tests.integration.nodes.conftest import wait_operation
from tests.support.apps import wait_finished
from tests.support.engines import sshd_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_node_joins_over_ssh_with_its_host_key_pinned_and_leaves_when_removed(
    cluster, cluster_gateway, deploy_worker, people, images
):
    operator = people.principal("operator")
    with sshd_in(cluster.node) as server:
        wrong = services.start_join_ssh(
            principal=operator,
            address=server.host,
            user=server.user,
            private_key=server.private_key,
            host_key_fingerprint="SHA256:" + "A" * 43,
        )
        wrong = wait_operation(wrong)
        assert wrong.status == OperationStatus.FAILED
        assert f"is {server.host_key_fingerprint}, not the expected" in wrong.error
        assert not SshHostKey.objects.exists()
        assert cluster.node.client.info()["Swarm"]["LocalNodeState"] == "inactive"

        join = services.start_join_ssh(
            principal=operator,
            address=server.host,
            user=server.user,
            private_key=server.private_key,
            remember=True,
        )
        join = wait_operation(join)
        assert join.status == OperationStatus.SUCCEEDED, join.log + join.error
        assert f"{server.host_key_fingerprint} pinned on first use" in join.log
        assert "--token <worker token>" in join.log
        assert "SWMTKN" not in join.log
        assert join.secret_encrypted == ""
        pinned = SshHostKey.objects.get(host=server.host, port=22)
        assert pinned.fingerprint == server.host_key_fingerprint
        node_id = cluster.node_id(cluster.node)
        row = Node.objects.get(node_id=node_id)
        assert (row.address, row.ssh_host, row.ssh_user) == (server.host, server.host, "root")
        assert "PRIVATE KEY" not in row.ssh_credentials_encrypted

        # Promote and demote: the swarm follows, and so does the row.
        row = services.set_role(principal=operator, node=row, role="manager")
        assert row.role == "manager"
        deadline = time.monotonic() + 30
        while not cluster.node.client.info()["Swarm"]["ControlAvailable"]:
            assert time.monotonic() < deadline, "the promoted node did not become a manager"
            time.sleep(0.3)
        row = services.set_role(principal=operator, node=row, role="worker")
        assert row.role == "worker"
        assert cluster.manager.client.nodes.get(node_id).attrs["Spec"]["Role"] == "worker"

        # Berth has no registry and no engine address for this node: an image it builds
        # cannot reach it, and the deployment says so before any task is left pending.
        dev = people.principal("developer")
        app = app_services.create_app(team=people.team, principal=dev, name="stuck", instances=2)
        built = wait_finished(
            deploy.deploy_tarball(app=app, principal=dev, upload=web_tarball("nowhere"))
        )
        assert built.status == Status.FAILED
        assert f"Node {row.hostname} ({node_id[:12]}, {server.host}) may run this app" in (
            built.reason
        )
        assert "cannot get the image" in built.reason
        assert not cluster.manager.client.services.list(
            filters={"name": naming.app_service("stuck")}
        )
        # An image it did not build may be pullable by the node; when it is not, the
        # rejected tasks fail the deployment and the node page says which image is missing.
        given = wait_finished(deploy.deploy_image(app=app, principal=dev, image=images.web))
        assert given.status == Status.FAILED
        assert f"The image could not be found: No such image: {images.web}" in given.reason
        # A running service whose tasks the node keeps rejecting is reported on the node.
        cluster.manager.client.services.create(
            images.web,
            name=naming.namespaced("pinned"),
            labels=naming.labels("test"),
            constraints=[f"node.id=={node_id}"],
        )
        deadline = time.monotonic() + 30
        while "No such image" not in Node.objects.get(node_id=node_id).image_problem:
            assert time.monotonic() < deadline, "the sync did not report the missing image"
            time.sleep(0.5)
            services.sync_nodes()
        assert images.web in Node.objects.get(node_id=node_id).image_problem
        cluster.manager.client.services.get(naming.namespaced("pinned")).remove()

        removal = wait_operation(services.start_remove(principal=operator, node=row))
        assert removal.status == OperationStatus.SUCCEEDED, removal.log + removal.error
        assert "`docker swarm leave` on root@" in removal.log
        assert cluster.node.client.info()["Swarm"]["LocalNodeState"] == "inactive"
        assert node_id not in {n.id for n in cluster.manager.client.nodes.list()}
