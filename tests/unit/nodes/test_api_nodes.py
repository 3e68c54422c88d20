"""/api/v1/nodes/: operators only, clear errors, secrets taken in but never given back."""

from __future__ import annotations

import pytest

from nodes.models import Node, NodeOperation
from paas.models import AuditEvent

pytestmark = pytest.mark.django_db

KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-key-material\n-----END OPENSSH PRIVATE KEY-----"


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
    )


@pytest.fixture
def operator(api, people):
    api.force_login(people.operator)
    return api


def test_an_operator_lists_the_nodes(operator, node):
    response = operator.get("/api/v1/nodes/")

    assert response.status_code == 200
    (row,) = response.json()
    assert row["node_id"] == "n2abc"
    assert row["labels"] == {"zone": "a"}
    assert row["operation"] is None
    assert "engine_tls_key_encrypted" not in row


@pytest.mark.parametrize("who", ["owner", "developer", "viewer", "outsider"])
def test_team_members_who_are_not_operators_get_403(api, people, node, who):
    api.force_login(getattr(people, who))
    assert api.get("/api/v1/nodes/").status_code == 403
    assert api.delete("/api/v1/nodes/n2abc/").status_code == 403


def test_a_token_cannot_manage_nodes_even_with_the_admin_scope(token_client, people, node):
    response = token_client(people.team, "read,deploy,admin").get("/api/v1/nodes/")
    assert response.status_code == 403
    assert "operators" in response.json()["error"]["message"]


def test_anonymous_requests_are_refused(api, node):
    assert api.get("/api/v1/nodes/").status_code in (401, 403)


def test_an_unknown_node_is_404(operator):
    response = operator.get("/api/v1/nodes/nope/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_adding_over_ssh_needs_a_key_or_a_password(operator):
    response = operator.post(
        "/api/v1/nodes/", {"method": "ssh", "address": "10.0.0.9"}, format="json"
    )
    assert response.status_code == 400
    assert "private key or a password" in response.json()["error"]["fields"]["private_key"]
    assert not NodeOperation.objects.exists()


def test_adding_through_the_engine_needs_a_proper_address(operator):
    response = operator.post(
        "/api/v1/nodes/", {"method": "engine", "engine_url": "10.0.0.9"}, format="json"
    )
    assert response.status_code == 400
    assert "tcp://host:2376" in response.json()["error"]["fields"]["engine_url"]


def test_adding_over_ssh_starts_an_operation_after_commit_and_keeps_the_key_only_encrypted(
    operator, django_capture_on_commit_callbacks, monkeypatch
):
    queued: list[int] = []
    monkeypatch.setattr("nodes.tasks.run_operation.delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(
            "/api/v1/nodes/",
            {
                "method": "ssh",
                "address": "10.0.0.9",
                "user": "root",
                "private_key": KEY,
                "remember_credentials": True,
            },
            format="json",
        )

    assert response.status_code == 202
    body = response.json()
    assert body["kind"] == "join_ssh"
    assert body["status"] == "queued"
    assert "secret-key-material" not in response.content.decode()
    operation = NodeOperation.objects.get(pk=body["id"])
    assert queued == [operation.pk]
    assert operation.params["address"] == "10.0.0.9"
    assert operation.secret_encrypted
    assert "secret-key-material" not in operation.secret_encrypted
    assert "secret-key-material" not in str(operation.params)
    event = AuditEvent.objects.get(action="node.join_ssh")
    assert "secret-key-material" not in str(event.data)
    assert event.actor_label == "operator"


def test_bad_labels_are_refused_field_by_field(operator, node):
    response = operator.patch(
        "/api/v1/nodes/n2abc/", {"labels": {"has space": "x", "ok": "a b"}}, format="json"
    )
    assert response.status_code == 400
    messages = response.json()["error"]["fields"]["labels"]
    assert "has space" in messages
    assert "no spaces" in messages


def test_an_unknown_availability_is_refused(operator, node):
    response = operator.patch("/api/v1/nodes/n2abc/", {"availability": "gone"}, format="json")
    assert response.status_code == 400
    assert "availability" in response.json()["error"]["fields"]


def test_a_second_drain_while_one_runs_is_refused(operator, node, monkeypatch):
    monkeypatch.setattr("nodes.tasks.run_operation.delay", lambda pk: None)
    first = operator.patch("/api/v1/nodes/n2abc/", {"availability": "drain"}, format="json")
    assert first.status_code == 202
    assert first.json()["operation"]["kind"] == "drain"

    second = operator.patch("/api/v1/nodes/n2abc/", {"availability": "drain"}, format="json")
    # The row still says active (the worker did not run): a second drain is refused.
    assert second.status_code == 400
    assert "already running" in second.json()["error"]["fields"]["node"]


def test_the_operation_endpoint_shows_its_log(operator, node):
    operation = NodeOperation.objects.create(
        kind="drain", node=node, node_ref=node.node_id, status="running", log="12:00  draining\n"
    )
    response = operator.get(f"/api/v1/nodes/operations/{operation.pk}/")
    assert response.status_code == 200
    assert response.json()["log"] == "12:00  draining\n"
    assert response.json()["node_id"] == "n2abc"


def test_an_external_registry_password_is_stored_encrypted_and_never_returned(
    operator, monkeypatch
):
    monkeypatch.setattr("nodes.tasks.converge_registry.delay", lambda: None)
    response = operator.put(
        "/api/v1/nodes/registry/",
        {
            "mode": "external",
            "server": "registry.example.com/berth",
            "username": "ci",
            "password": "hunter2-registry",
        },
        format="json",
    )
    assert response.status_code == 202
    assert "hunter2" not in response.content.decode()
    from nodes.models import ImageRegistry

    row = ImageRegistry.objects.get(pk=1)
    assert row.server == "registry.example.com/berth"
    assert row.password_encrypted
    assert "hunter2" not in row.password_encrypted
    assert "hunter2" not in str(AuditEvent.objects.get(action="registry.configure").data)


def test_an_external_registry_needs_a_plain_host(operator):
    response = operator.put(
        "/api/v1/nodes/registry/",
        {"mode": "external", "server": "https://registry.example.com"},
        format="json",
    )
    assert response.status_code == 400
    assert "no scheme" in response.json()["error"]["fields"]["server"]


def test_operations_whose_worker_died_or_never_came_are_failed_with_a_reason(node):
    from datetime import timedelta

    from django.utils import timezone

    from nodes.services import reap_operations

    now = timezone.now()
    dead = NodeOperation.objects.create(
        kind="drain",
        node=node,
        status="running",
        started_at=now - timedelta(hours=2),
        secret_encrypted="x",
    )
    lost = NodeOperation.objects.create(
        kind="remove", node=node, status="queued", created_at=now - timedelta(hours=1)
    )
    fresh = NodeOperation.objects.create(kind="drain", node=node, status="running", started_at=now)

    assert reap_operations(now) == 2

    dead.refresh_from_db()
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (dead.status, dead.secret_encrypted) == ("failed", "")
    assert "worker running this operation stopped" in dead.error
    assert "No worker picked" in lost.error
    assert fresh.status == "running"
