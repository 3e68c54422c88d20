"""manage.py bootstrap on the real swarm: adopts it, is idempotent, refuses taken ports."""

from __future__ import annotations

import io
import socket

import docker.types
import pytest
from django.core.management import CommandError, call_command

from nodes.models import Node
from paas import naming
from routing import bootstrap as boot
from routing.models import GatewayState
from tests.support.gateway import free_port, wait_tasks_running

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def run_bootstrap() -> str:
    out = io.StringIO()
    call_command("bootstrap", stdout=out)
    return out.getvalue()


def test_a_second_run_adopts_the_swarm_and_changes_nothing(engine, gateway):
    swarm_before = engine.swarm.attrs["ID"]
    service_before = engine.services.get(naming.gateway_service())

    output = run_bootstrap()

    assert "adopted the existing swarm" in output
    assert "Nothing to change." in output
    assert engine.swarm.attrs["ID"] == swarm_before
    service_after = engine.services.get(naming.gateway_service())
    assert service_after.attrs["Version"] == service_before.attrs["Version"]
    assert gateway.get("nobody.example.test").status == 404


def test_the_gateway_service_is_shaped_for_a_swarm_without_ipvs(engine, gateway):
    spec = engine.services.get(naming.gateway_service()).attrs["Spec"]

    ports = spec["EndpointSpec"]["Ports"]
    assert {p["PublishedPort"] for p in ports} == {gateway.http_port, gateway.https_port}
    assert {p["PublishMode"] for p in ports} == {"host"}
    assert spec["EndpointSpec"]["Mode"] == "dnsrr"
    assert spec["UpdateConfig"]["Order"] == "stop-first"
    node_id = engine.info()["Swarm"]["NodeID"]
    assert spec["TaskTemplate"]["Placement"]["Constraints"] == [f"node.id=={node_id}"]
    assert spec["Labels"][naming.NAMESPACE_LABEL] == gateway.namespace
    network = engine.networks.get(gateway.network)
    assert network.attrs["Attachable"] is True
    assert network.attrs["IPAM"]["Config"][0]["Subnet"].endswith("/20")


def test_changing_the_port_updates_the_gateway_stop_first(engine, gateway, settings):
    settings.BERTH_GATEWAY_HTTP_PORT = new_port = free_port()

    output = run_bootstrap()

    assert "updated" in output
    from tests.support.gateway import Gateway

    moved = Gateway(
        gateway.namespace, new_port, gateway.https_port, gateway.network, gateway.folder
    )
    assert moved.wait_for("nobody.example.test", until=lambda r: r.status == 404).status == 404
    assert GatewayState.objects.get(namespace=gateway.namespace).http_port == new_port


def test_a_port_published_by_a_foreign_service_is_refused_and_another_port_works(
    engine, images, namespace, settings, tmp_path
):
    taken = free_port()
    labels = {naming.NAMESPACE_LABEL: namespace, naming.KIND_LABEL: "foreign-proxy"}
    foreign = engine.services.create(
        images.web,
        name=f"{namespace}-existing-proxy",
        endpoint_spec=docker.types.EndpointSpec(mode="dnsrr", ports={taken: (80, "tcp", "host")}),  # type: ignore[dict-item]
        labels=labels,
        container_labels=labels,
        stop_grace_period=1_000_000_000,
    )
    wait_tasks_running(foreign, 1)
    settings.BERTH_GATEWAY_IMAGE = images.nginx
    settings.BERTH_GATEWAY_USER = "www-data"
    settings.BERTH_GATEWAY_DIR = tmp_path
    settings.BERTH_GATEWAY_HTTP_PORT = taken
    settings.BERTH_GATEWAY_HTTPS_PORT = free_port()

    with pytest.raises(CommandError) as refused:
        run_bootstrap()

    message = str(refused.value)
    assert f"BERTH_GATEWAY_HTTP_PORT={taken}" in message
    assert f"{namespace}-existing-proxy" in message
    # Refused before anything changed.
    assert boot.find_gateway() is None
    assert engine.networks.list(names=[naming.apps_network()]) == []

    settings.BERTH_GATEWAY_HTTP_PORT = free_port()
    output = run_bootstrap()

    assert "created" in output
    from tests.support.gateway import Gateway

    beside = Gateway(namespace, settings.BERTH_GATEWAY_HTTP_PORT, 0, naming.apps_network(), "")
    assert beside.wait_for("nobody.example.test", until=lambda r: r.status == 404).status == 404
    # The existing proxy still answers on its port.
    existing = Gateway(namespace, taken, 0, "", "")
    assert existing.wait_for("anything", "/cgi-bin/health").body.strip() == "ok"


def test_a_port_something_on_the_host_listens_on_is_refused(images, namespace, settings, tmp_path):
    settings.BERTH_GATEWAY_IMAGE = images.nginx
    settings.BERTH_GATEWAY_DIR = tmp_path
    settings.BERTH_GATEWAY_HTTPS_PORT = free_port()
    with socket.socket() as listener:
        listener.bind(("0.0.0.0", 0))  # noqa: S104 - holds the port like another proxy would
        listener.listen()
        settings.BERTH_GATEWAY_HTTP_PORT = listener.getsockname()[1]

        with pytest.raises(CommandError, match="already listens on the port"):
            run_bootstrap()

    assert boot.find_gateway() is None


def test_bootstrap_records_the_swarm_nodes_and_the_gateway(engine, gateway):
    node_ids = {node.id for node in engine.nodes.list()}

    assert set(Node.objects.values_list("node_id", flat=True)) == node_ids
    local = Node.objects.get(node_id=engine.info()["Swarm"]["NodeID"])
    assert local.role == "manager"
    assert local.state == "ready"
    assert local.cpus > 0
    state = GatewayState.objects.get(namespace=gateway.namespace)
    assert state.service_id == engine.services.get(naming.gateway_service()).id
    assert state.network == gateway.network


def test_external_mode_runs_no_gateway_and_writes_route_folders(
    engine, namespace, settings, tmp_path
):
    settings.BERTH_GATEWAY = "external"
    settings.BERTH_GATEWAY_DIR = tmp_path

    output = run_bootstrap()

    assert "external proxy" in output
    assert boot.find_gateway() is None
    assert (tmp_path / namespace / "external" / "nginx").is_dir()
    assert (tmp_path / namespace / "external" / "traefik").is_dir()
    assert engine.networks.get(naming.apps_network()).attrs["Attachable"] is True


def test_a_gateway_image_that_is_not_there_is_refused_before_anything_changes(
    engine, namespace, settings, tmp_path
):
    settings.BERTH_GATEWAY_IMAGE = f"berth-test/missing-{namespace}:1"
    settings.BERTH_GATEWAY_DIR = tmp_path
    settings.BERTH_GATEWAY_HTTP_PORT = free_port()
    settings.BERTH_GATEWAY_HTTPS_PORT = free_port()

    with pytest.raises(CommandError, match="is not on this engine"):
        run_bootstrap()

    assert boot.find_gateway() is None
    assert engine.networks.list(names=[naming.apps_network()]) == []
