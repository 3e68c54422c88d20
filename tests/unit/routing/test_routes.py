"""Which routes the gateway accepts: anything that could inject into nginx is refused."""

from __future__ import annotations

from typing import Any

import pytest

from routing.routes import Route, hostname_error, route_errors


def route(**overrides: Any) -> Route:
    fields = {
        "name": "shop",
        "hostnames": ("shop.example.com",),
        "service": "berth-app-shop",
        "port": 8080,
    }
    return Route(**{**fields, **overrides})


def test_a_plain_route_has_no_errors():
    assert route_errors(route()) == []


@pytest.mark.parametrize(
    "hostname",
    [
        "shop.example.com; include /etc/passwd",
        "shop.example.com\nserver_name evil",
        "Shop.Example.com",
        "shop..example.com",
        "-shop.example.com",
        "shop_.example.com",
        "shop.example.com}",
        "$host",
        "a" * 64 + ".example.com",
        "*.com",
        "",
    ],
)
def test_it_refuses_hostnames_that_are_not_dns_names(hostname):
    assert hostname_error(hostname) is not None
    assert route_errors(route(hostnames=(hostname,)))


@pytest.mark.parametrize(
    "hostname", ["shop.example.com", "localhost", "*.apps.example.com", "xn--bcher-kva.example"]
)
def test_it_accepts_dns_names_and_a_leading_wildcard(hostname):
    assert hostname_error(hostname) is None


def test_it_refuses_an_app_name_that_is_not_a_label():
    assert "is not a DNS label" in route_errors(route(name="../etc"))[0]


@pytest.mark.parametrize("port", [0, 65536, -1, True])
def test_it_refuses_ports_out_of_range(port):
    assert route_errors(route(port=port))


def test_it_refuses_a_service_name_with_spaces_or_semicolons():
    assert route_errors(route(service="svc; return 200"))


def test_it_refuses_a_route_with_no_hostname_or_a_repeated_one():
    assert "at least one hostname" in route_errors(route(hostnames=()))[0]
    assert "listed twice" in route_errors(route(hostnames=("a.example", "a.example")))[0]
