"""``manage.py install``: Berth as swarm services on this manager (README, "Production")."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from paas.production import config, deploy


class Command(BaseCommand):
    help = (
        "Run Berth as swarm services (web, worker with beat, Redis) from this checkout's image, "
        "on this engine's swarm (initialised if there is none). Run again to apply changed "
        "settings: only services whose spec changed are rolled."
    )
    upgrade = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--image",
            help="run this portal image instead of building one from the checkout",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=deploy.WAIT_SECONDS,
            help="seconds to wait for the services to become healthy",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            explicit = config.operator_settings(os.environ)
        except config.ConfigError as exc:
            raise CommandError(str(exc)) from exc
        if options["image"]:
            explicit["BERTH_IMAGE"] = options["image"]
        data_dir = Path(settings.DATA_DIR)
        try:
            result = deploy.install(
                data_dir=data_dir,
                explicit=explicit,
                log=self.stdout.write,
                upgrade=self.upgrade,
                timeout=options["timeout"],
            )
        except deploy.InstallError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Upgraded" if self.upgrade else "Installed"
        self.stdout.write(
            self.style.SUCCESS(f"{verb}: namespace {result.namespace}, image {result.image}.")
        )
        if result.portal_url:
            self.stdout.write(
                f"Open {result.portal_url} (the first account signed up becomes the operator)."
            )
        self.stdout.write(f"Settings kept in {data_dir / config.ENV_FILE}.")
