"""Two Berth installations on one swarm never touch each other's objects or files."""

from __future__ import annotations

import secrets

import pytest

from paas import naming
from routing import files
from routing import gateway as gw
from routing.bootstrap import bootstrap
from routing.routes import Route
from tests.support.gateway import Gateway, free_port, wait_tasks_running, web_service
from tests.support.swarm import remove_namespace

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_two_namespaces_side_by_side(engine, images, gateway, namespace, settings):
    first = gateway
    shop_a = web_service(
        engine,
        name=f"{namespace}-app-shop",
        image=images.web,
        network=first.network,
        namespace=namespace,
        env={"MESSAGE": "first"},
    )
    wait_tasks_running(shop_a, 1)
    assert gw.apply_route(
        Route(name="shop", hostnames=("shop.one.test",), service=shop_a.name, port=80)
    ).ok

    other = f"t{secrets.token_hex(3)}"
    try:
        settings.BERTH_NAMESPACE = other
        settings.BERTH_GATEWAY_HTTP_PORT = free_port()
        settings.BERTH_GATEWAY_HTTPS_PORT = free_port()
        bootstrap()
        second = Gateway(
            other,
            settings.BERTH_GATEWAY_HTTP_PORT,
            settings.BERTH_GATEWAY_HTTPS_PORT,
            naming.apps_network(),
            "",
        )
        shop_b = web_service(
            engine,
            name=f"{other}-app-shop",
            image=images.web,
            network=second.network,
            namespace=other,
            env={"MESSAGE": "second"},
        )
        wait_tasks_running(shop_b, 1)
        # The same app name in both installations.
        assert gw.apply_route(
            Route(name="shop", hostnames=("shop.two.test",), service=shop_b.name, port=80)
        ).ok

        assert second.wait_for("shop.two.test", "/cgi-bin/info").fact("message") == "second"
        assert first.wait_for("shop.one.test", "/cgi-bin/info").fact("message") == "first"
        # Each gateway knows only its own apps.
        assert second.get("shop.one.test").status == 404
        assert first.get("shop.two.test").status == 404

        # Sync the second to nothing: the first keeps its file and its app.
        assert gw.sync_routes([]) == {}
        assert not files.layout(other).site("shop").exists()
        assert files.layout(namespace).site("shop").exists()
        assert first.get("shop.one.test", "/cgi-bin/info").fact("message") == "first"
        assert second.get("shop.two.test").status == 404

        # Separate networks, gateways and labels.
        assert first.network != second.network
        names = {
            s.name
            for s in engine.services.list(filters={"label": f"{naming.NAMESPACE_LABEL}={other}"})
        }
        assert names == {f"{other}-gateway", f"{other}-app-shop"}
    finally:
        remove_namespace(engine, other)

    # Removing the second installation left the first untouched.
    assert first.get("shop.one.test", "/cgi-bin/info").fact("message") == "first"
