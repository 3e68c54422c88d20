"""Mounts in a deployment's settings, and the swarm spec they give (pure functions)."""

from __future__ import annotations

from dataclasses import replace

from apps.desired import desired
from apps.spec import Desired, service_spec, template_label
from apps.volumes import spec

LOCAL = spec.entry(
    path="/data",
    read_only=False,
    volume="data",
    engine_name="berth-vol-t1-data-abc123",
    labels={"berth.namespace": "berth", "berth.kind": "volume"},
    on_node=True,
    node_id="node-a",
)
NFS = spec.entry(
    path="/shared",
    read_only=False,
    volume="shared",
    engine_name="berth-vol-t1-shared-def456",
    options={"type": "nfs", "o": "addr=10.0.0.5", "device": ":/export"},
    on_node=False,
)
BASE = Desired(
    app="shop",
    service_name="berth-app-shop",
    image="web:1",
    network="net",
    labels={"berth.namespace": "berth"},
)


def test_a_volume_mount_carries_its_driver_so_any_node_can_create_it():
    mount = spec.engine_mount(NFS)

    assert mount == {
        "Type": "volume",
        "Source": "berth-vol-t1-shared-def456",
        "Target": "/shared",
        "ReadOnly": False,
        "VolumeOptions": {
            "Labels": {},
            "DriverConfig": {
                "Name": "local",
                "Options": {"device": ":/export", "o": "addr=10.0.0.5", "type": "nfs"},
            },
        },
    }


def test_a_host_path_is_a_plain_bind_mount():
    entry = spec.entry(path="/logs", read_only=True, host_path="/srv/berth/logs")

    assert spec.engine_mount(entry) == {
        "Type": "bind",
        "Source": "/srv/berth/logs",
        "Target": "/logs",
        "ReadOnly": True,
    }


def test_a_placed_local_volume_pins_the_app_and_network_storage_does_not():
    unplaced = {**LOCAL, "node_id": ""}

    assert spec.constraints([LOCAL, NFS]) == ("node.id==node-a",)
    assert spec.constraints([NFS]) == ()
    assert spec.constraints([unplaced]) == ()


def test_only_a_writable_volume_on_a_nodes_disk_makes_updates_stop_first():
    assert spec.single_writer([LOCAL])
    assert not spec.single_writer([{**LOCAL, "read_only": True}])
    assert not spec.single_writer([NFS])


def test_the_service_spec_mounts_pins_and_stops_first():
    config = {"instances": 1, "mounts": [LOCAL, NFS]}
    built = service_spec(
        desired(
            app_name="shop",
            image="web:1",
            config=config,
            network_id="net",
            secret_ids={},
            deployment=3,
        )
    )

    template = built["TaskTemplate"]
    assert [m["Target"] for m in template["ContainerSpec"]["Mounts"]] == ["/data", "/shared"]
    assert "node.id==node-a" in template["Placement"]["Constraints"]
    assert built["UpdateConfig"]["Order"] == "stop-first"
    assert built["RollbackConfig"]["Order"] == "stop-first"


def test_an_app_without_mounts_keeps_the_spec_it_had():
    # Deployments made before volumes existed have no "mounts": nothing restarts.
    old = service_spec(
        desired(
            app_name="shop", image="web:1", config={}, network_id="n", secret_ids={}, deployment=1
        )
    )
    new = service_spec(
        desired(
            app_name="shop",
            image="web:1",
            config={"mounts": []},
            network_id="n",
            secret_ids={},
            deployment=1,
        )
    )

    assert "Mounts" not in new["TaskTemplate"]["ContainerSpec"]
    assert template_label(old) == template_label(new)
    assert new["UpdateConfig"]["Order"] == "start-first"


def test_a_mount_changes_the_template_so_the_tasks_are_replaced():
    plain = service_spec(BASE)
    mounted = service_spec(replace(BASE, mounts=spec.engine_mounts([NFS])))

    assert template_label(plain) != template_label(mounted)
