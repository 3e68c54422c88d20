"""The beat's gateway check puts back what was removed by hand."""

from __future__ import annotations

import pytest

from paas import naming
from routing import files, health
from routing.bootstrap import find_gateway

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_removed_gateway_service_and_main_config_are_put_back(engine, gateway):
    engine.services.get(naming.gateway_service()).remove()
    files.layout().main_conf.unlink()

    message = health.check_gateway()

    assert "gateway repaired" in message
    assert find_gateway() is not None
    assert files.layout().main_conf.exists()
    reply = gateway.wait_for("nobody.example.test", until=lambda r: r.status == 404)
    assert "No app here" in reply.body


def test_a_healthy_gateway_is_left_alone(engine, gateway):
    version = engine.services.get(naming.gateway_service()).attrs["Version"]

    assert health.check_gateway() == "ok"
    assert engine.services.get(naming.gateway_service()).attrs["Version"] == version


def test_nothing_happens_before_a_bootstrap(db, settings):
    settings.BERTH_NAMESPACE = "neverbootstrapped"

    assert health.check_gateway() == "not bootstrapped"
