"""The self-hosted registry's three services and their configs (pure parts)."""

from __future__ import annotations

import json
from typing import Any

import bcrypt

from nodes import registry


def test_the_htpasswd_line_is_bcrypt_with_the_prefix_the_registry_reads():
    line = registry.htpasswd_line("berth", "s3cret")
    user, hashed = line.strip().split(":", 1)
    assert user == "berth"
    assert hashed.startswith("$2a$")
    assert bcrypt.checkpw(b"s3cret", hashed.encode())
    assert not bcrypt.checkpw(b"other", hashed.encode())


def test_the_store_needs_auth_the_internal_view_is_read_only_and_the_mirror_proxies_it():
    store = json.loads(registry.config_text("store"))
    internal = json.loads(registry.config_text("internal"))
    mirror = json.loads(registry.config_text("mirror", "b-registry-internal"))

    assert store["auth"]["htpasswd"]["path"] == "/run/secrets/htpasswd"
    assert "proxy" not in store
    assert "auth" not in internal
    assert internal["storage"]["maintenance"]["readonly"] == {"enabled": True}
    assert mirror["proxy"] == {"remoteurl": "http://tasks.b-registry-internal:5000"}
    assert mirror["auth"]["htpasswd"]["realm"] == "berth"


def spec(kind: str, settings: Any) -> dict[str, Any]:
    settings.BERTH_NAMESPACE = "b"
    return registry.service_spec(
        kind,
        image="registry:2",
        network="net1",
        local_node="node-a",
        htpasswd=("b-htpasswd-1", "sec1") if kind != "internal" else None,
        config=("b-conf-1", "conf1"),
        port=5000,
        volume="b-registry-data",
    )


def test_the_store_runs_on_berths_node_and_mirrors_on_every_other_node(settings):
    store, internal, mirror = (spec(k, settings) for k in ("store", "internal", "mirror"))

    assert store["TaskTemplate"]["Placement"]["Constraints"] == ["node.id==node-a"]
    assert internal["TaskTemplate"]["Placement"]["Constraints"] == ["node.id==node-a"]
    assert mirror["TaskTemplate"]["Placement"]["Constraints"] == ["node.id!=node-a"]
    assert mirror["Mode"] == {"Global": {}}
    for published in (store, mirror):
        assert published["EndpointSpec"]["Ports"] == [
            {"Protocol": "tcp", "TargetPort": 5000, "PublishedPort": 5000, "PublishMode": "host"}
        ]
    # The read-only view is reachable on the registry network only.
    assert "Ports" not in internal["EndpointSpec"]
    assert internal["TaskTemplate"]["ContainerSpec"]["Secrets"] == []
    assert store["Labels"]["berth.namespace"] == "b"
    assert store["Labels"][registry.SPEC_LABEL] != mirror["Labels"][registry.SPEC_LABEL]
