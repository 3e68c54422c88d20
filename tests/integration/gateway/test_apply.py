"""Staged apply on the real gateway: refusals stay local, reloads drop nothing."""

from __future__ import annotations

import http.client
import threading

import pytest

from routing import files
from routing import gateway as gw
from routing.routes import Route
from tests.support.gateway import (
    ENV_APP,
    task_addresses,
    wait_listening,
    wait_tasks_running,
    web_service,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def shop(engine, images, gateway, namespace):
    """The busybox app routed at shop.example.test."""
    service = web_service(
        engine,
        name=f"{namespace}-app-shop",
        image=images.web,
        network=gateway.network,
        namespace=namespace,
        env={"MESSAGE": "shop"},
    )
    wait_tasks_running(service, 1)
    route = Route(name="shop", hostnames=("shop.example.test",), service=service.name, port=80)
    assert gw.apply_route(route).ok
    gateway.wait_for("shop.example.test", "/cgi-bin/info")
    return route


def test_a_refused_config_keeps_the_last_good_one_and_the_others_answer(gateway, shop, monkeypatch):
    layout = files.layout()
    good = layout.site("shop").read_text()
    real = gw.site_text
    monkeypatch.setattr(
        gw,
        "site_text",
        lambda route: real(route).replace("proxy_http_version 1.1;", "proxy_http_versio 1.1;"),
    )

    result = gw.apply_route(
        Route(
            name="shop",
            hostnames=("shop.example.test", "new.example.test"),
            service=shop.service,
            port=80,
        )
    )

    assert not result.ok
    assert 'unknown directive "proxy_http_versio"' in result.error
    assert "shop.conf" in result.error
    assert "/etc/berth" not in result.error
    assert layout.site("shop").read_text() == good
    assert gateway.get("shop.example.test", "/cgi-bin/info").fact("message") == "shop"
    assert gateway.get("new.example.test", "/").status == 404
    assert list(layout.staging.iterdir()) == []

    from routing.models import GatewayState

    assert "proxy_http_versio" in GatewayState.objects.get(namespace=gateway.namespace).last_error


def test_a_refused_app_in_a_sync_does_not_stop_the_others(gateway, shop, monkeypatch, namespace):
    real = gw.site_text
    monkeypatch.setattr(
        gw, "site_text", lambda route: real(route) + ("bogus;\n" if route.name == "broken" else "")
    )
    blog = Route(
        name="blog", hostnames=("blog.example.test",), service=f"{namespace}-app-blog", port=80
    )
    broken = Route(
        name="broken", hostnames=("broken.example.test",), service=f"{namespace}-app-x", port=80
    )

    results = gw.sync_routes([shop, blog, broken])

    assert results["shop"].ok
    assert results["blog"].ok
    assert not results["broken"].ok
    assert 'unknown directive "bogus"' in results["broken"].error
    # blog is routed (no task: the unavailable page), broken is not (no app here).
    assert gateway.get("blog.example.test", "/").status == 503
    assert gateway.get("broken.example.test", "/").status == 404
    assert gateway.get("shop.example.test", "/cgi-bin/info").status == 200


def test_requests_sent_during_reloads_all_succeed(gateway, shop, namespace):
    failures: list[str] = []
    done = threading.Event()
    sent = 0

    def hammer() -> None:
        nonlocal sent
        while not done.is_set():
            try:
                reply = gateway.get("shop.example.test", "/cgi-bin/info", timeout=5)
                if reply.status != 200:
                    failures.append(f"{reply.status}: {reply.body[:80]}")
            except OSError as exc:
                failures.append(repr(exc))
            sent += 1

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for i in range(10):
            route = Route(
                name=f"extra{i}",
                hostnames=(f"extra{i}.example.test",),
                service=f"{namespace}-app-x",
                port=80,
            )
            assert gw.apply_route(route).ok
    finally:
        done.set()
        for thread in threads:
            thread.join()

    assert sent > 20
    assert failures == []


def test_one_changed_app_rewrites_one_file_and_stale_files_go(gateway, shop, namespace):
    routes = [
        Route(
            name=f"app{i}",
            hostnames=(f"app{i}.example.test",),
            service=f"{namespace}-app-{i}",
            port=80,
        )
        for i in range(5)
    ]
    assert all(r.ok for r in gw.sync_routes([shop, *routes]).values())
    layout = files.layout()
    before = {name: path.stat().st_ino for name, path in files.live_sites(layout).items()}

    changed = Route(
        name="app0",
        hostnames=("app0.example.test", "zero.example.test"),
        service=routes[0].service,
        port=80,
    )
    results = gw.sync_routes([shop, changed, *routes[1:4]])

    assert all(r.ok for r in results.values())
    after = {name: path.stat().st_ino for name, path in files.live_sites(layout).items()}
    assert set(after) == {"shop", "app0", "app1", "app2", "app3"}
    rewritten = {name for name in after if after[name] != before[name]}
    assert rewritten == {"app0"}
    assert gateway.get("zero.example.test", "/").status == 503
    assert gateway.get("app4.example.test", "/").status == 404


def test_remove_route_stops_routing_the_app(gateway, shop):
    gw.remove_route("shop")

    assert gateway.get("shop.example.test", "/").status == 404
    assert not files.layout().site("shop").exists()


def test_a_hostname_already_routed_to_another_app_is_refused(gateway, shop, namespace):
    result = gw.apply_route(
        Route(name="thief", hostnames=("shop.example.test",), service=f"{namespace}-x", port=80)
    )

    assert not result.ok
    assert "already routed to the app shop" in result.error
    assert gateway.get("shop.example.test", "/cgi-bin/info").fact("message") == "shop"


def test_the_app_sees_forwarded_headers_and_the_websocket_upgrade(
    engine, images, gateway, namespace
):
    service = web_service(
        engine,
        name=f"{namespace}-app-echo",
        image=images.web,
        network=gateway.network,
        namespace=namespace,
        command=ENV_APP,
    )
    wait_tasks_running(service, 1)
    assert gw.apply_route(
        Route(name="echo", hostnames=("echo.example.test",), service=service.name, port=80)
    ).ok
    gateway.wait_for("echo.example.test", "/cgi-bin/env")

    conn = http.client.HTTPConnection("127.0.0.1", gateway.http_port, timeout=10)
    conn.request(
        "GET",
        "/cgi-bin/env",
        headers={"Host": "echo.example.test", "Upgrade": "websocket", "Connection": "Upgrade"},
    )
    env = conn.getresponse().read().decode()
    conn.close()

    assert "HTTP_HOST=echo.example.test" in env
    assert "HTTP_X_FORWARDED_HOST=echo.example.test" in env
    assert "HTTP_X_FORWARDED_PROTO=http" in env
    assert "HTTP_X_FORWARDED_FOR=" in env
    assert "HTTP_UPGRADE=websocket" in env
    assert "HTTP_CONNECTION=upgrade" in env


def test_a_group_sends_requests_round_its_addresses_only(gateway, engine, images, namespace):
    service = web_service(
        engine,
        name=f"{namespace}-app-trio",
        image=images.web,
        network=gateway.network,
        namespace=namespace,
        replicas=3,
    )
    wait_tasks_running(service, 3)
    addresses = task_addresses(service.name, gateway.network)
    assert len(addresses) == 3
    # Two of the three: by name (Docker's DNS) the third would answer too.
    route = Route(
        name="trio",
        hostnames=("trio.example.test",),
        service=service.name,
        port=80,
        addresses=addresses[:2],
    )

    assert gw.apply_route(route).ok
    gateway.wait_for("trio.example.test", "/cgi-bin/info")
    seen = {gateway.get("trio.example.test", "/cgi-bin/info").fact("hostname") for _ in range(12)}
    assert len(seen) == 2


def test_a_stale_address_falls_back_to_the_tasks_dns_knows(gateway, engine, images, namespace):
    service = web_service(
        engine,
        name=f"{namespace}-app-moved",
        image=images.web,
        network=gateway.network,
        namespace=namespace,
        env={"PORT": "8080", "MESSAGE": "moved"},
    )
    wait_tasks_running(service, 1)
    # Nothing listens on 8080 at this address (the gateway's own loopback): refused.
    route = Route(
        name="moved",
        hostnames=("moved.example.test",),
        service=service.name,
        port=8080,
        addresses=("127.0.0.1",),
    )

    assert gw.apply_route(route).ok
    reply = gateway.wait_for("moved.example.test", "/cgi-bin/info")
    assert reply.fact("message") == "moved"
    assert gateway.get("moved.example.test", "/cgi-bin/info").fact("message") == "moved"
    # Refused before anything was sent: a POST goes on too.
    posted = gateway.request("POST", "moved.example.test", "/cgi-bin/info", b"entry")
    assert posted.fact("message") == "moved"


def test_a_request_a_task_may_have_handled_goes_again_only_if_safe(
    gateway, engine, images, namespace
):
    # What Docker's DNS knows: the test app on 8080.
    service = web_service(
        engine,
        name=f"{namespace}-app-ledger",
        image=images.web,
        network=gateway.network,
        namespace=namespace,
        env={"PORT": "8080", "MESSAGE": "ledger"},
    )
    # In the group: a task that reads each request's first line, then hangs up unanswered.
    dropper = web_service(
        engine,
        name=f"{namespace}-app-dropper",
        image=images.web,
        network=gateway.network,
        namespace=namespace,
        command=[
            "sh",
            "-c",
            "mkdir -p /tmp && printf '#!/bin/sh\\nread line\\n' > /tmp/drop && chmod +x /tmp/drop"
            " && while true; do nc -l -p 8080 -e /tmp/drop; done",
        ],
    )
    wait_tasks_running(service, 1)
    wait_tasks_running(dropper, 1)
    wait_listening(engine, dropper, 8080)
    route = Route(
        name="ledger",
        hostnames=("ledger.example.test",),
        service=service.name,
        port=8080,
        addresses=task_addresses(dropper.name, gateway.network),
    )
    assert gw.apply_route(route).ok

    # The POST reached a task that may have acted on it: not sent again.
    assert gateway.request("POST", "ledger.example.test", "/cgi-bin/info", b"entry").status == 503
    # A GET is safe to repeat: it goes on to the tasks Docker's DNS knows.
    assert gateway.get("ledger.example.test", "/cgi-bin/info").fact("message") == "ledger"
