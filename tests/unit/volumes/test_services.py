"""Volume and mount service functions: rows, audit, deployments, refusals."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from apps import services
from apps.desired import snapshot
from apps.models import App, Deployment, Source, Status
from apps.volumes import services as volume_services
from apps.volumes.models import Mount, NodeSource, Volume
from apps.volumes.selectors import MountRefused
from nodes.models import Node
from paas.models import AuditEvent

pytestmark = pytest.mark.django_db


def make_node(node_id: str, hostname: str = "box") -> Node:
    return Node.objects.create(
        node_id=node_id, hostname=hostname, role="manager", availability="active", state="ready"
    )


def test_a_developer_creates_a_volume_with_a_namespaced_engine_name(people, settings):
    settings.BERTH_NAMESPACE = "berth"
    volume = volume_services.create_volume(
        team=people.team,
        principal=people.principal("developer"),
        name="data",
        labels={"backup": "nightly"},
    )

    assert volume.driver == "local"
    assert volume.on_node
    assert volume.engine_name.startswith(f"berth-vol-t{people.team.pk}-data-")
    event = AuditEvent.objects.get(action="volume.create")
    assert event.actor_user == people.developer
    assert event.data["labels"] == {"backup": "nightly"}


def test_names_are_unique_per_team_not_per_installation(people, data):
    theirs = volume_services.create_volume(
        team=people.other_team, principal=people.principal("outsider"), name="data"
    )

    assert theirs.engine_name != data.engine_name
    with pytest.raises(ValidationError) as exc:
        volume_services.create_volume(
            team=people.team, principal=people.principal("developer"), name="data"
        )
    assert "already" in str(exc.value) or "exists" in str(exc.value)


def test_a_viewer_cannot_create_and_an_outsider_is_not_told_the_team_exists(people):
    with pytest.raises(PermissionDenied):
        volume_services.create_volume(
            team=people.team, principal=people.principal("viewer"), name="x"
        )
    with pytest.raises(Http404):
        volume_services.create_volume(
            team=people.team, principal=people.principal("outsider"), name="x"
        )


def test_cifs_credentials_never_reach_the_audit_log(people):
    volume_services.create_volume(
        team=people.team,
        principal=people.principal("developer"),
        name="nas",
        driver_options={"type": "cifs", "o": "username=bob,password=hunter2", "device": "//n/s"},
    )

    assert not AuditEvent.objects.filter(data__icontains="hunter2").exists()


def test_a_node_can_be_chosen_for_a_local_volume_but_not_for_shared_storage(people):
    node = make_node("abcdef1234567890", "storage-1")

    chosen = volume_services.create_volume(
        team=people.team, principal=people.principal("developer"), name="db", node="storage-1"
    )
    with pytest.raises(ValidationError) as exc:
        volume_services.create_volume(
            team=people.team,
            principal=people.principal("developer"),
            name="nfs",
            driver_options={"type": "nfs", "o": "addr=10.0.0.5", "device": ":/e"},
            node=node.node_id,
        )

    assert (chosen.node_id, chosen.node_source) == (node.node_id, NodeSource.CHOSEN)
    assert "node" in exc.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        volume_services.create_volume(
            team=people.team, principal=people.principal("developer"), name="x", node="nope"
        )
    assert "No node 'nope'" in str(unknown.value)


def test_attaching_to_a_running_app_rolls_out_as_a_settings_deployment(people, running, data):
    mount, deployment = volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )

    assert deployment is not None
    assert deployment.source == Source.CONFIG
    assert deployment.number == 2
    assert deployment.summary == "Mount volume data at /data"
    assert Mount.objects.get(pk=mount.pk).volume == data
    event = AuditEvent.objects.get(action="mount.attach")
    assert event.data == {"volume": "data", "host_path": "", "path": "/data", "read_only": False}


def test_attaching_to_an_app_never_deployed_waits_for_its_first_deployment(people, data):
    app = services.create_app(team=people.team, principal=people.principal("owner"), name="new")

    _, deployment = volume_services.attach(
        app=app, principal=people.principal("developer"), volume="data", path="/data"
    )

    assert deployment is None
    assert not Deployment.objects.filter(app=app).exists()


def test_the_deployment_snapshot_records_the_mounts(people, running, data):
    volume_services.attach(
        app=running,
        principal=people.principal("developer"),
        volume="data",
        path="/data",
        read_only=True,
    )

    config = snapshot(running, [])

    assert config["mounts"] == [
        {
            "kind": "volume",
            "volume": "data",
            "source": data.engine_name,
            "path": "/data",
            "read_only": True,
            "driver": "local",
            "options": {},
            "labels": {
                "berth.namespace": "berth",
                "berth.kind": "volume",
                "berth.volume": "data",
                "berth.team": str(people.team.pk),
            },
            "on_node": True,
            "node_id": "",
        }
    ]


def test_another_teams_volume_cannot_be_mounted(people, running):
    volume_services.create_volume(
        team=people.other_team, principal=people.principal("outsider"), name="theirs"
    )

    with pytest.raises(ValidationError) as exc:
        volume_services.attach(
            app=running, principal=people.principal("developer"), volume="theirs", path="/x"
        )

    assert "This team has no volume named 'theirs'" in str(exc.value)


def test_two_mounts_cannot_share_a_path(people, running, data):
    volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )
    volume_services.create_volume(
        team=people.team, principal=people.principal("developer"), name="more"
    )

    with pytest.raises(ValidationError) as exc:
        volume_services.attach(
            app=running, principal=people.principal("developer"), volume="more", path="/data"
        )

    assert "data at /data is already mounted there" in str(exc.value)


def test_volumes_on_two_different_nodes_cannot_serve_one_app(people, running):
    make_node("node-aaaaaaaa", "a")
    make_node("node-bbbbbbbb", "b")
    dev = people.principal("developer")
    volume_services.create_volume(team=people.team, principal=dev, name="one", node="a")
    volume_services.create_volume(team=people.team, principal=dev, name="two", node="b")
    volume_services.attach(app=running, principal=dev, volume="one", path="/one")

    with pytest.raises(ValidationError) as exc:
        volume_services.attach(app=running, principal=dev, volume="two", path="/two")

    assert "one app cannot run on both" in str(exc.value)


def test_host_paths_need_a_trusted_team_and_an_allowed_prefix(people, running, settings):
    settings.BERTH_BIND_PREFIXES = ["/srv/berth"]
    dev = people.principal("developer")

    with pytest.raises(ValidationError) as untrusted:
        volume_services.attach(app=running, principal=dev, host_path="/srv/berth/a", path="/a")
    people.team.trusted = True
    people.team.save()
    with pytest.raises(ValidationError) as outside:
        volume_services.attach(app=running, principal=dev, host_path="/etc", path="/a")
    mount, _ = volume_services.attach(
        app=running, principal=dev, host_path="/srv/berth/a", path="/a"
    )

    assert "trusts" in str(untrusted.value)
    assert "outside the allowed prefixes" in str(outside.value)
    assert mount.host_path == "/srv/berth/a"
    assert Mount.objects.count() == 1


def test_a_viewer_cannot_attach_or_detach(people, running, data):
    mount, _ = volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )

    with pytest.raises(PermissionDenied):
        volume_services.attach(
            app=running, principal=people.principal("viewer"), volume="data", path="/d2"
        )
    with pytest.raises(PermissionDenied):
        volume_services.detach(mount=mount, principal=people.principal("viewer"))


def test_detaching_keeps_the_volume_and_rolls_out(people, running, data):
    dev = people.principal("developer")
    mount, _ = volume_services.attach(app=running, principal=dev, volume="data", path="/data")

    deployment = volume_services.detach(mount=mount, principal=dev)

    assert deployment is not None
    assert deployment.summary == "Unmount volume data at /data"
    assert Volume.objects.filter(pk=data.pk).exists()
    assert AuditEvent.objects.filter(action="mount.detach").exists()


def test_a_volume_in_use_cannot_be_deleted_and_the_error_names_the_apps(
    people, running, data, django_capture_on_commit_callbacks
):
    volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )

    with pytest.raises(volume_services.VolumeInUse) as exc:
        volume_services.delete_volume(volume=data, principal=people.principal("admin"))

    assert exc.value.apps == ["shop"]
    assert "in use by shop" in exc.value.messages[0]
    data.refresh_from_db()
    assert data.deleting_at is None


def test_a_volume_the_running_version_still_mounts_counts_as_in_use(people, running, data):
    # Detached, but the deployment that unmounts it has not become current yet.
    Deployment.objects.filter(pk=running.current_deployment_id).update(
        config={"mounts": [{"kind": "volume", "source": data.engine_name}]}
    )

    assert volume_services.in_use_by(data) == ["shop"]


def test_deleting_needs_the_admin_level(people, data):
    with pytest.raises(PermissionDenied):
        volume_services.delete_volume(volume=data, principal=people.principal("developer"))


def test_deleting_a_free_volume_marks_it_and_enqueues_the_removal(
    people, data, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[int] = []
    from apps.volumes import tasks

    monkeypatch.setattr(tasks.delete_volume, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        volume_services.delete_volume(volume=data, principal=people.principal("admin"))

    data.refresh_from_db()
    assert data.deleting_at is not None
    assert sent == [data.pk]
    assert AuditEvent.objects.filter(action="volume.delete", target="data").exists()


def test_deleting_an_app_with_its_volumes_keeps_those_another_app_uses(people, running, data):
    dev = people.principal("developer")
    other = services.create_app(team=people.team, principal=dev, name="blog")
    volume_services.create_volume(team=people.team, principal=dev, name="shared")
    volume_services.attach(app=running, principal=dev, volume="data", path="/data")
    volume_services.attach(app=running, principal=dev, volume="shared", path="/shared")
    volume_services.attach(app=other, principal=dev, volume="shared", path="/shared")

    deleted, kept = services.delete_app(
        app=running, principal=people.principal("admin"), delete_volumes=True
    )

    assert (deleted, kept) == (["data"], ["shared"])
    assert Volume.objects.get(name="data").deleting_at is not None
    assert Volume.objects.get(name="shared").deleting_at is None


def test_deleting_an_app_keeps_its_volumes_unless_asked(people, running, data):
    volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )

    assert services.delete_app(app=running, principal=people.principal("admin")) == ([], [])
    assert Volume.objects.get(name="data").deleting_at is None


def task(node: str, created: str, state: str = "running") -> dict[str, object]:
    return {
        "NodeID": node,
        "CreatedAt": created,
        "DesiredState": "running",
        "Status": {"State": state},
    }


def test_a_local_volume_stays_where_its_first_task_ran(people, running, data):
    make_node("node-first", "first-box")
    volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )
    queued = Deployment.objects.filter(app=running).count()

    placed = volume_services.record_nodes(
        app=running,
        tasks=lambda: [task("node-first", "2026-01-01T00:00:01Z"), task("x", "0", "failed")],
    )

    data.refresh_from_db()
    assert placed == ["data"]
    assert (data.node_id, data.node_hostname) == ("node-first", "first-box")
    assert data.node_source == NodeSource.FIRST_USE
    assert AuditEvent.objects.filter(action="volume.placed", target="data").exists()
    # All tasks already share the node: nothing to move.
    assert Deployment.objects.filter(app=running).count() == queued


def test_tasks_spread_over_nodes_are_gathered_where_the_volume_stays(people, running, data):
    volume_services.attach(
        app=running, principal=people.principal("developer"), volume="data", path="/data"
    )

    volume_services.record_nodes(
        app=running,
        tasks=lambda: [
            task("node-b", "2026-01-01T00:00:02Z"),
            task("node-a", "2026-01-01T00:00:01Z"),
        ],
    )

    data.refresh_from_db()
    assert data.node_id == "node-a"
    latest = Deployment.objects.filter(app=running).order_by("-number").first()
    assert latest is not None
    assert latest.status == Status.QUEUED
    assert latest.summary.startswith("Gather on node node-a")


def test_shared_storage_is_never_placed(people, running):
    dev = people.principal("developer")
    volume_services.create_volume(
        team=people.team,
        principal=dev,
        name="nfs",
        driver_options={"type": "nfs", "o": "addr=10.0.0.5", "device": ":/e"},
    )
    volume_services.attach(app=running, principal=dev, volume="nfs", path="/nfs")

    assert volume_services.record_nodes(app=running, tasks=lambda: [task("n", "1")]) == []
    assert Volume.objects.get(name="nfs").node_id == ""


def test_an_app_being_deleted_takes_no_new_mounts(people, running, data):
    App.objects.filter(pk=running.pk).update(deleting_at="2026-01-01T00:00:00Z")

    with pytest.raises(ValidationError) as exc:
        volume_services.attach(
            app=running, principal=people.principal("developer"), volume="data", path="/d"
        )

    assert "being deleted" in str(exc.value)


def test_an_app_without_unplaced_volumes_asks_the_engine_nothing(people, running):
    def no_engine() -> list[dict[str, object]]:
        raise AssertionError("the engine was asked")

    assert volume_services.record_nodes(app=running, tasks=no_engine) == []


def test_a_host_mount_of_a_team_no_longer_trusted_stops_the_next_deployment(
    people, running, settings
):
    settings.BERTH_BIND_PREFIXES = ["/srv/berth"]
    people.team.trusted = True
    people.team.save()
    volume_services.attach(
        app=running, principal=people.principal("developer"), host_path="/srv/berth/a", path="/a"
    )
    people.team.trusted = False
    people.team.save()

    with pytest.raises(MountRefused) as exc:
        snapshot(App.objects.get(pk=running.pk), [])

    assert "The mount at /a is not allowed any more" in str(exc.value)
    assert "Detach it to deploy" in str(exc.value)
