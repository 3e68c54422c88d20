"""Apps reached through the real gateway by Host header (real engine, real nginx)."""

from __future__ import annotations

import io
import time

import pytest
from django.core.management import call_command

from routing import gateway as gw
from routing.routes import GatewayUnavailable, Route
from tests.support.gateway import wait_tasks_running, web_service

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_an_app_is_reached_by_its_hostname(engine, images, gateway, namespace):
    service = web_service(
        engine,
        name=f"{namespace}-app-shop",
        image=images.web,
        network=gateway.network,
        namespace=namespace,
        env={"MESSAGE": "hello from shop"},
    )
    wait_tasks_running(service, 1)

    result = gw.apply_route(
        Route(name="shop", hostnames=("shop.example.test",), service=service.name, port=80)
    )

    assert result.ok, result.error
    reply = gateway.wait_for("shop.example.test", "/cgi-bin/info")
    assert reply.fact("message") == "hello from shop"
    assert reply.fact("hostname")


def test_an_app_with_no_running_task_gets_the_unavailable_page(gateway, namespace):
    result = gw.apply_route(
        Route(
            name="idle", hostnames=("idle.example.test",), service=f"{namespace}-app-idle", port=80
        )
    )

    assert result.ok, result.error
    reply = gateway.get("idle.example.test", "/")
    assert reply.status == 503
    assert "not running right now" in reply.body
    assert reply.headers.get("retry-after") == "5"


def test_a_host_no_app_claims_gets_the_no_app_page(gateway):
    reply = gateway.get("nobody.example.test", "/")

    assert reply.status == 404
    assert "No app here" in reply.body


def test_apply_without_a_gateway_says_to_bootstrap(engine, namespace, settings, tmp_path):
    settings.BERTH_GATEWAY = "nginx"
    settings.BERTH_GATEWAY_DIR = tmp_path

    with pytest.raises(GatewayUnavailable, match=r"manage\.py bootstrap"):
        gw.apply_route(Route(name="shop", hostnames=("shop.example.test",), service="x", port=80))


def test_the_portal_is_routed_at_its_subdomain_when_configured(
    engine, images, gateway, namespace, settings
):
    portal = web_service(
        engine,
        name=f"{namespace}-web",
        image=images.web,
        network=gateway.network,
        namespace=namespace,
        env={"MESSAGE": "portal"},
    )
    wait_tasks_running(portal, 1)
    settings.BERTH_ROOT_DOMAIN = "example.test"
    settings.BERTH_PORTAL_SUBDOMAIN = "berth"
    settings.BERTH_PORTAL_UPSTREAM = f"tasks.{portal.name}:80"

    output = io.StringIO()
    call_command("bootstrap", stdout=output)

    assert "portal: routing is now" in output.getvalue()
    assert gateway.wait_for("berth.example.test", "/cgi-bin/info").fact("message") == "portal"
    # An app sync leaves the portal's route alone.
    gw.sync_routes([])
    assert gateway.get("berth.example.test", "/cgi-bin/info").fact("message") == "portal"

    settings.BERTH_PORTAL_UPSTREAM = None
    call_command("bootstrap", stdout=io.StringIO())
    assert gateway.get("berth.example.test", "/").status == 404


def test_the_gateway_logs_each_request_within_seconds_to_a_bounded_log(
    engine, images, gateway, namespace
):
    service = web_service(
        engine,
        name=f"{namespace}-app-logged",
        image=images.web,
        network=gateway.network,
        namespace=namespace,
    )
    wait_tasks_running(service, 1)
    assert gw.apply_route(
        Route(name="logged", hostnames=("logged.example.test",), service=service.name, port=80)
    ).ok
    gateway.wait_for("logged.example.test", "/cgi-bin/info?first")
    gateway.get("logged.example.test", "/cgi-bin/info?marker")

    # Buffered in nginx, written at least once a second.
    container = engine.containers.get(gw.gateway_container())
    # Kept in at most 5 files of 20 MB: the access log never fills the disk.
    assert container.attrs["HostConfig"]["LogConfig"] == {
        "Type": "local",
        "Config": {"max-file": "5", "max-size": "20m"},
    }
    deadline = time.monotonic() + 5
    while b"/cgi-bin/info?marker" not in container.logs(stdout=True, stderr=False):
        assert time.monotonic() < deadline, "the request never reached the gateway's log"
        time.sleep(0.2)
