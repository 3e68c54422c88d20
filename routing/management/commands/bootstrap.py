"""Adopt or initialise the swarm, make the network, deploy the gateway; print what it did."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from nodes.swarm import SwarmError
from paas.transport import EngineError
from routing.bootstrap import bootstrap
from routing.checks import BootstrapError
from routing.files import LockTimeout
from routing.routes import GatewayUnavailable


class Command(BaseCommand):
    help = (
        "Prepare the engine for Berth: adopt its swarm (or initialise one), create the "
        "namespaced network and deploy the gateway. Safe to run again: it changes only "
        "what differs from the settings."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = bootstrap()
        except (BootstrapError, SwarmError, EngineError, GatewayUnavailable, LockTimeout) as exc:
            raise CommandError(f"bootstrap refused:\n{exc}") from exc
        for line in report.lines:
            self.stdout.write(line)
        if report.changed:
            self.stdout.write(self.style.SUCCESS("Bootstrap done."))
        else:
            self.stdout.write(self.style.SUCCESS("Nothing to change."))
