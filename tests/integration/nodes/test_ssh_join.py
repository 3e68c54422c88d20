"""Adding a node over SSH: sshd runs in the second engine's namespace, Berth logs in with a key."""

from __future__ import annotations

import pytest

from nodes import services
from nodes.models import Node, OperationStatus, SshHostKey
from tests.integration.nodes.conftest import wait_operation
from tests.support.engines import sshd_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_node_joins_over_ssh_with_its_host_key_pinned_and_leaves_when_removed(
    cluster, celery_worker, people
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

        removal = wait_operation(services.start_remove(principal=operator, node=row))
        assert removal.status == OperationStatus.SUCCEEDED, removal.log + removal.error
        assert "`docker swarm leave` on root@" in removal.log
        assert cluster.node.client.info()["Swarm"]["LocalNodeState"] == "inactive"
        assert node_id not in {n.id for n in cluster.manager.client.nodes.list()}
