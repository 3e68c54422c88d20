"""Image names in a registry, and which running tasks count as a node's image problem."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from nodes.images import registry_ref, split_ref
from nodes.services import tasks_by_node


@pytest.mark.parametrize(
    ("image", "parts"),
    [
        ("nginx", ("", "nginx", "latest")),
        ("nginx:1.27", ("", "nginx", "1.27")),
        ("berth-app-web:3-12", ("", "berth-app-web", "3-12")),
        ("library/nginx:1", ("", "library/nginx", "1")),
        ("registry.example.com/team/app:2", ("registry.example.com", "team/app", "2")),
        ("localhost:5000/app", ("localhost:5000", "app", "latest")),
        ("nginx@sha256:abc", ("", "nginx@sha256:abc", "")),
    ],
)
def test_references_are_split_into_registry_path_and_tag(image, parts):
    assert split_ref(image) == parts


def test_a_registry_name_drops_the_origin_registry_and_keeps_the_tag():
    assert registry_ref("berth-app-web:3-12", "127.0.0.1:5000") == (
        "127.0.0.1:5000/berth-app-web:3-12"
    )
    assert registry_ref("ghcr.io/acme/api:7", "reg.example.com/berth") == (
        "reg.example.com/berth/acme/api:7"
    )
    # Already there: unchanged (a rollback re-deploys the registry name).
    assert registry_ref("127.0.0.1:5000/x:1", "127.0.0.1:5000") == "127.0.0.1:5000/x:1"


SERVICES = [
    {"ID": "s1", "Spec": {"Name": "t-app-shop", "Labels": {"berth.app": "shop"}}},
]


def task(
    node: str,
    state: str,
    desired: str = "running",
    err: str = "",
    when: str = "2026-11-29T04:00:00.123456789Z",
) -> dict[str, Any]:
    return {
        "ServiceID": "s1",
        "NodeID": node,
        "DesiredState": desired,
        "Status": {"State": state, "Err": err, "Timestamp": when},
    }


def test_tasks_are_counted_per_node_and_missing_images_reported():
    now = datetime(2026, 11, 29, 4, 5, tzinfo=UTC)
    tasks = [
        task("n1", "running"),
        task("n2", "rejected", "shutdown", "No such image: t-app-shop:1-1"),
        task("n2", "rejected", "shutdown", "No such image: t-app-shop:1-1"),
        task("n2", "failed", "shutdown", "task: non-zero exit (1)"),
        task("n3", "rejected", "shutdown", "No such image: old", "2026-11-29T03:00:00Z"),
        {**task("n1", "running"), "ServiceID": "not-ours"},
    ]

    running, problems = tasks_by_node(SERVICES, tasks, now=now)

    assert running == {"n1": [{"service": "t-app-shop", "app": "shop", "state": "running"}]}
    # Said once per node, only recent ones, only missing images.
    assert problems == {"n2": ["shop: No such image: t-app-shop:1-1"]}
