"""Bootstrap on an engine that is in no swarm: it initialises one and runs the gateway there."""

from __future__ import annotations

import http.client
import io
import secrets

import pytest
from django.core.management import call_command

from paas import transport
from tests.support.engines import fresh_engine, missing_tools
from tests.support.gateway import free_port
from tests.support.services import unavailable

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def get(address: str, port: int, host: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection(address, port, timeout=10)
    try:
        conn.request("GET", "/", headers={"Host": host})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_bootstrap_initialises_a_swarm_on_a_fresh_engine(engine, images, settings, tmp_path):
    problem = missing_tools()
    if problem:
        unavailable(problem)
    with fresh_engine([images.nginx], engine) as fresh:
        assert fresh.client.info()["Swarm"]["LocalNodeState"] == "inactive"
        settings.DOCKER_HOST = fresh.docker_host
        settings.BERTH_ADVERTISE_ADDR = fresh.address
        settings.BERTH_NAMESPACE = f"t{secrets.token_hex(3)}"
        settings.BERTH_GATEWAY_IMAGE = images.nginx
        settings.BERTH_GATEWAY_USER = "www-data"
        settings.BERTH_GATEWAY_DIR = tmp_path
        settings.BERTH_GATEWAY_HTTP_PORT = port = free_port()
        settings.BERTH_GATEWAY_HTTPS_PORT = free_port()
        transport.reset_client()
        try:
            first = io.StringIO()
            call_command("bootstrap", stdout=first)
            second = io.StringIO()
            call_command("bootstrap", stdout=second)

            assert f"swarm: initialised, advertising {fresh.address}" in first.getvalue()
            assert "gateway" in first.getvalue()
            assert "created" in first.getvalue()
            assert "adopted the existing swarm" in second.getvalue()
            assert "Nothing to change." in second.getvalue()
            swarm = fresh.client.info()["Swarm"]
            assert swarm["LocalNodeState"] == "active"
            assert swarm["NodeAddr"] == fresh.address
            # The gateway answers on the new node's own address.
            status, body = get(fresh.address, port, "nobody.example.test")
            assert status == 404
            assert "No app here" in body
        finally:
            transport.reset_client()
