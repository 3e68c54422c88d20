"""The operators' nodes pages: who sees them, forms with errors in place, the live operation."""

from __future__ import annotations

import pytest
from django.test import Client

from nodes.models import Node, NodeOperation

pytestmark = pytest.mark.django_db


@pytest.fixture
def node(db):
    return Node.objects.create(
        node_id="n2abc",
        hostname="worker-2",
        role="worker",
        availability="active",
        state="ready",
        address="10.0.0.2",
        labels={"zone": "a"},
        berth_tasks=[{"service": "b-app-shop", "app": "shop", "state": "running"}],
    )


@pytest.fixture
def operator(people):
    client = Client()
    client.force_login(people.operator)
    return client


def test_the_operator_sees_the_cluster_and_the_ways_to_add_a_node(operator, node):
    page = operator.get("/ops/nodes/").content.decode()
    assert "worker-2" in page
    assert "zone=a" in page
    assert "Join over SSH" in page
    assert "Join through the engine" in page
    assert "No registry: copy images" in page


@pytest.mark.parametrize("who", ["owner", "developer", "viewer"])
def test_other_people_get_403(people, node, who):
    client = Client()
    client.force_login(getattr(people, who))
    assert client.get("/ops/nodes/").status_code == 403
    assert client.get(f"/ops/nodes/{node.pk}/").status_code == 403
    assert client.post(f"/ops/nodes/{node.pk}/remove/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(node):
    response = Client().get("/ops/nodes/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_get_cannot_change_anything(operator, node):
    assert operator.get(f"/ops/nodes/{node.pk}/drain/").status_code == 405


def test_an_ssh_join_without_key_or_password_says_so_next_to_the_field(operator):
    response = operator.post(
        "/ops/nodes/add/ssh/",
        {"address": "10.0.0.9", "port": "22", "user": "root", "role": "worker"},
    )
    assert response.status_code == 400
    assert "Give a private key or a password." in response.content.decode()
    assert not NodeOperation.objects.exists()


def test_an_ssh_join_opens_the_live_operation_page(operator, monkeypatch):
    monkeypatch.setattr("nodes.tasks.run_operation.delay", lambda pk: None)
    response = operator.post(
        "/ops/nodes/add/ssh/",
        {"address": "10.0.0.9", "port": "22", "user": "root", "role": "worker", "password": "pw"},
    )
    operation = NodeOperation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/ops/nodes/operations/{operation.pk}/"
    page = operator.get(response["Location"]).content.decode()
    assert "Join over SSH" in page
    assert 'hx-trigger="every 1s"' in page


def test_a_finished_operation_stops_polling_and_shows_its_error(operator, node):
    operation = NodeOperation.objects.create(
        kind="drain",
        node=node,
        node_ref=node.node_id,
        status="failed",
        log="12:00  Set worker-2 to drain\n",
        error="1 task(s) still run on the node after 300 s.",
    )
    partial = operator.get(
        f"/ops/nodes/operations/{operation.pk}/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "hx-trigger" not in partial
    assert "still run on the node after 300 s" in partial
    assert "<html" not in partial


def test_the_node_page_shows_its_tasks_and_actions(operator, node):
    page = operator.get(f"/ops/nodes/{node.pk}/").content.decode()
    assert "shop" in page
    assert ">Drain<" in page
    assert ">Promote<" in page


def test_bad_labels_are_shown_next_to_the_field(operator, node):
    response = operator.post(f"/ops/nodes/{node.pk}/labels/", {"labels": "zone=a b"})
    assert response.status_code == 400
    assert "no spaces" in response.content.decode()


def test_an_engine_address_without_port_is_refused(operator, node):
    response = operator.post(f"/ops/nodes/{node.pk}/engine/", {"engine_url": "tcp://10.0.0.2"})
    assert response.status_code == 400
    assert "Give the engine&#x27;s port" in response.content.decode()


def test_the_engine_key_is_stored_encrypted_and_not_shown_back(operator, node):
    response = operator.post(
        f"/ops/nodes/{node.pk}/engine/",
        {"engine_url": "tcp://10.0.0.2:2376", "tls_cert": "CERT", "tls_key": "KEY-MATERIAL-123"},
    )
    assert response.status_code == 302
    node.refresh_from_db()
    assert node.engine_url == "tcp://10.0.0.2:2376"
    assert "KEY-MATERIAL-123" not in node.engine_tls_key_encrypted
    assert "KEY-MATERIAL-123" not in operator.get(f"/ops/nodes/{node.pk}/").content.decode()
