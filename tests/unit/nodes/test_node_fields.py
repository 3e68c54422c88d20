"""Turning the engine's node description into the Node row."""

from __future__ import annotations

from nodes.services import node_fields

MANAGER = {
    "ID": "abc",
    "Spec": {"Role": "manager", "Availability": "active", "Labels": {"zone": "a"}},
    "Description": {
        "Hostname": "node-1",
        "Resources": {"NanoCPUs": 2_000_000_000, "MemoryBytes": 4 * 2**30},
        "Engine": {"EngineVersion": "20.10.24"},
    },
    "Status": {"State": "ready", "Addr": "0.0.0.0"},  # noqa: S104 - as a single manager reports it
    "ManagerStatus": {"Leader": True, "Addr": "10.77.0.1:2377"},
}


def test_a_manager_is_recorded_with_its_resources_and_address():
    fields = node_fields(MANAGER)

    assert fields["hostname"] == "node-1"
    assert (fields["role"], fields["availability"], fields["state"]) == (
        "manager",
        "active",
        "ready",
    )
    assert fields["leader"] is True
    # The status address is 0.0.0.0 on a single manager; the manager address is the real one.
    assert fields["address"] == "10.77.0.1"
    assert fields["cpus"] == 2.0
    assert fields["memory_bytes"] == 4 * 2**30
    assert fields["engine_version"] == "20.10.24"
    assert fields["labels"] == {"zone": "a"}


def test_an_unknown_state_is_recorded_as_unknown():
    worker = {"Spec": {"Role": "worker"}, "Status": {"State": "strange", "Addr": "10.77.0.2"}}

    fields = node_fields(worker)

    assert fields["state"] == "unknown"
    assert fields["address"] == "10.77.0.2"
    assert fields["leader"] is False
