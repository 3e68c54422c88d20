"""Bootstrap's checks that need no engine: settings, subnets, published ports."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from routing import checks
from routing.bootstrap import pick_subnet
from routing.checks import BootstrapError


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("BERTH_ROOT_DOMAIN", "exa mple.com", "BERTH_ROOT_DOMAIN"),
        ("BERTH_ROOT_DOMAIN", "example.com;", "BERTH_ROOT_DOMAIN"),
        ("BERTH_NAMESPACE", "Berth_1", "BERTH_NAMESPACE"),
        ("BERTH_NAMESPACE", "a" * 21, "BERTH_NAMESPACE"),
        ("BERTH_NETWORK_SUBNET", "10.0.0.0/33", "BERTH_NETWORK_SUBNET"),
        ("BERTH_ADVERTISE_ADDR", "not an address!", "BERTH_ADVERTISE_ADDR"),
    ],
)
def test_bad_settings_are_refused_before_the_engine_is_asked(settings, setting, value, message):
    setattr(settings, setting, value)
    # A broken engine address proves nothing was asked of the engine.
    settings.DOCKER_HOST = "tcp://127.0.0.1:1"

    with pytest.raises(BootstrapError, match=message):
        checks.check_settings()


@pytest.mark.parametrize("port", [0, 65536, -5])
def test_ports_out_of_range_are_refused(settings, port):
    settings.BERTH_GATEWAY_HTTP_PORT = port
    settings.DOCKER_HOST = "tcp://127.0.0.1:1"

    with pytest.raises(
        BootstrapError, match=f"BERTH_GATEWAY_HTTP_PORT must be between 1 and 65535, got {port}"
    ):
        checks.check_settings()


def test_the_same_port_for_http_and_https_is_refused(settings):
    settings.BERTH_GATEWAY_HTTP_PORT = settings.BERTH_GATEWAY_HTTPS_PORT = 8080
    settings.DOCKER_HOST = "tcp://127.0.0.1:1"

    with pytest.raises(BootstrapError, match="must differ"):
        checks.check_settings()


def test_a_port_someone_listens_on_is_not_free():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert checks.port_free_on_host(port) is False
    assert checks.port_free_on_host(port) is True


def test_published_ports_are_read_from_spec_and_endpoint():
    attrs = {
        "Spec": {"EndpointSpec": {"Ports": [{"PublishedPort": 80, "TargetPort": 80}]}},
        "Endpoint": {"Ports": [{"PublishedPort": 30001, "TargetPort": 443}, {"TargetPort": 9}]},
    }

    assert checks.published_ports(attrs) == {80, 30001}


def test_pick_subnet_skips_taken_ranges():
    taken = [ipaddress.IPv4Network("10.128.0.0/20"), ipaddress.IPv4Network("10.128.16.0/24")]

    assert pick_subnet(20, taken) == "10.128.32.0/20"
    assert pick_subnet(20, []) == "10.128.0.0/20"


def test_pick_subnet_refuses_a_prefix_larger_than_its_pool():
    with pytest.raises(BootstrapError, match="BERTH_NETWORK_SUBNET"):
        pick_subnet(8, [])
