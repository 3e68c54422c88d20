"""BERTH_GATEWAY=external: routes written as server blocks and Traefik files, no nginx run."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from routing import gateway
from routing.routes import Route, RouteResult


@pytest.fixture
def external(settings, tmp_path):
    settings.BERTH_GATEWAY = "external"
    settings.BERTH_GATEWAY_DIR = tmp_path
    settings.BERTH_NAMESPACE = "berth"
    return tmp_path / "berth" / "external"


def shop(**overrides: Any) -> Route:
    fields = {
        "name": "shop",
        "hostnames": ("shop.example.com",),
        "service": "berth-app-shop",
        "port": 8080,
    }
    return Route(**{**fields, **overrides})


def test_a_route_is_written_for_nginx_and_for_traefik(external):
    result = gateway.apply_route(shop())

    assert result.ok
    block = (external / "nginx" / "shop.conf").read_text()
    assert "server_name shop.example.com;" in block
    assert "listen" not in block
    document = yaml.safe_load((external / "traefik" / "shop.yml").read_text())
    assert document["http"]["routers"]["berth-shop"]["rule"] == "Host(`shop.example.com`)"


def test_sync_removes_the_files_of_apps_no_longer_routed(external):
    gateway.sync_routes([shop(), shop(name="blog", hostnames=("blog.example.com",))])

    results = gateway.sync_routes([shop()])

    assert results == {"shop": RouteResult(ok=True)}
    assert sorted(p.name for p in (external / "nginx").iterdir()) == ["shop.conf"]
    assert sorted(p.name for p in (external / "traefik").iterdir()) == ["shop.yml"]


def test_remove_route_deletes_both_files(external):
    gateway.apply_route(shop())

    gateway.remove_route("shop")

    assert list((external / "nginx").iterdir()) == []
    assert list((external / "traefik").iterdir()) == []


def test_an_invalid_route_is_refused_with_a_reason_and_nothing_written(external):
    result = gateway.apply_route(shop(hostnames=("shop.example.com;evil",)))

    assert not result.ok
    assert "semicolon" in result.error
    assert not (external / "nginx").exists()


def test_sync_refuses_a_hostname_claimed_by_two_apps_and_keeps_the_first(external):
    results = gateway.sync_routes([shop(), shop(name="thief", hostnames=("shop.example.com",))])

    assert results["shop"].ok
    assert not results["thief"].ok
    assert "already routed to the app shop" in results["thief"].error
    assert not (external / "nginx" / "thief.conf").exists()
