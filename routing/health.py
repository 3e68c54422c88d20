"""Drift repair for the gateway itself: a removed service or main config is put back."""

from __future__ import annotations

import logging

from nodes import swarm
from routing import bootstrap, files, gateway, state

log = logging.getLogger(__name__)


def check_gateway() -> str:
    """Recreate the gateway if it was bootstrapped once and has gone since.

    Only acts after a bootstrap (a fresh install is set up by ``manage.py
    bootstrap``, which also checks the settings first).
    """
    known = state.current()
    if known is None or known.bootstrapped_at is None:
        return "not bootstrapped"
    if gateway.external():
        return "external"
    lay = files.layout()
    report = bootstrap.Report()
    conf_changed = gateway.ensure_main_conf(lay)
    if conf_changed:
        report.did("main config rewritten")
    if bootstrap.find_gateway() is None:
        node_id = str(swarm.swarm_state().get("NodeID", ""))
        service_id = bootstrap.ensure_gateway(report, node_id)
        state.record_bootstrap(service_id=service_id, node_id=node_id)
    elif conf_changed:
        with files.locked(lay):
            gateway.reload(gateway.gateway_container(), lay)
    if report.changed:
        message = "gateway repaired: " + "; ".join(report.lines)
        log.warning(message)
        return message
    return "ok"
