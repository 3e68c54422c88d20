"""`install` on an engine that is in no swarm: it initialises one and runs the stack there."""

from __future__ import annotations

import secrets

import pytest

from paas import transport
from paas.production import deploy
from tests.integration.production.conftest import REDIS_IMAGE, ROOT_DOMAIN
from tests.support.engines import fresh_engine, missing_tools
from tests.support.gateway import free_port
from tests.support.services import unavailable

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def test_install_initialises_a_swarm_on_a_fresh_engine_and_serves_the_portal(
    engine, images, portal_image, settings, tmp_path
):
    problem = missing_tools()
    if problem:
        unavailable(problem)
    with fresh_engine([portal_image, REDIS_IMAGE, images.nginx], engine, timeout=180) as fresh:
        assert fresh.client.info()["Swarm"]["LocalNodeState"] == "inactive"
        settings.DOCKER_HOST = fresh.docker_host
        settings.BERTH_ADVERTISE_ADDR = fresh.address
        transport.reset_client()
        namespace = f"t{secrets.token_hex(3)}"
        lines: list[str] = []
        try:
            result = deploy.install(
                data_dir=tmp_path / "data",
                explicit={
                    "BERTH_NAMESPACE": namespace,
                    "BERTH_IMAGE": portal_image,
                    "BERTH_REDIS_IMAGE": REDIS_IMAGE,
                    "BERTH_ROOT_DOMAIN": ROOT_DOMAIN,
                    "BERTH_GATEWAY_IMAGE": images.nginx,
                    "BERTH_GATEWAY_USER": "www-data",
                    "BERTH_GATEWAY_HTTP_PORT": str(free_port()),
                    "BERTH_GATEWAY_HTTPS_PORT": str(free_port()),
                    "BERTH_PULL_IMAGES": "false",
                },
                log=lines.append,
                gateway_address=fresh.address,
            )
        finally:
            transport.reset_client()
        assert f"swarm: initialised, advertising {fresh.address}" in lines
        # The portal answered through the new node's gateway before install returned.
        assert result.portal_url is not None
        swarm = fresh.client.info()["Swarm"]
        assert swarm["LocalNodeState"] == "active"
        names = {s.name for s in fresh.client.services.list()}
        assert {f"{namespace}-{key}" for key in ("web", "worker", "redis", "gateway")} <= names
