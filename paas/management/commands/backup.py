"""``manage.py backup``: Berth's own state (database, keys, settings, gateway files) in one archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from paas.production import backup


class Command(BaseCommand):
    help = (
        "Write a tar.gz of the installation in BERTH_DATA_DIR: a consistent copy of the "
        "database (taken while Berth runs), the secret and secrets keys, install.env and the "
        "gateway's files. The archive is mode 0600: it holds the keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "-o",
            "--output",
            type=Path,
            help="the archive to write (default: ./berth-backup-<namespace>-<time>.tar.gz)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            path = backup.create(Path(settings.DATA_DIR), options["output"], log=self.stdout.write)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Backup written: {path}"))
