"""Drift between Berth's spec and a service's current spec, in words."""

from __future__ import annotations

import copy
from typing import Any

from apps.spec import Desired, drift, service_spec

SPEC = service_spec(
    Desired(
        app="shop",
        service_name="berth-app-shop",
        image="shop:7",
        network="net1",
        labels={"berth.namespace": "berth", "berth.kind": "app", "berth.app": "shop"},
        env={"A": "1"},
    )
)


def engine_view(spec: dict[str, Any]) -> dict[str, Any]:
    """What the engine hands back: the same spec plus its own defaults and a pinned image."""
    actual = copy.deepcopy(spec)
    actual["TaskTemplate"]["ContainerSpec"]["Image"] = "shop:7@sha256:" + "a" * 64
    actual["TaskTemplate"]["ContainerSpec"]["Isolation"] = "default"
    actual["TaskTemplate"]["Resources"] = {"Limits": {}, "Reservations": {}}
    actual["TaskTemplate"]["ForceUpdate"] = 0
    actual["TaskTemplate"]["Runtime"] = "container"
    return actual


def test_an_unchanged_service_has_no_drift():
    assert drift(SPEC, engine_view(SPEC)) == []


def test_a_hand_edit_is_named():
    actual = engine_view(SPEC)
    actual["TaskTemplate"]["ContainerSpec"]["Env"] = ["A=2", "PORT=80"]
    actual["Mode"]["Replicated"]["Replicas"] = 4
    actual["TaskTemplate"]["ContainerSpec"]["Image"] = "evil:1"
    actual["EndpointSpec"] = {"Mode": "vip"}

    changes = drift(SPEC, actual)

    assert "environment" in changes
    assert "instances 4 -> 1" in changes
    assert "image 'evil:1' -> 'shop:7'" in changes
    assert "endpoint mode" in changes


def test_removed_labels_and_networks_are_drift():
    actual = engine_view(SPEC)
    actual["Labels"] = {}
    actual["TaskTemplate"]["Networks"] = []

    assert {"labels", "networks"} <= set(drift(SPEC, actual))
