"""``manage.py restore ARCHIVE``: a backup back into BERTH_DATA_DIR (then ``install``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from paas.production import backup


class Command(BaseCommand):
    help = (
        "Restore a `manage.py backup` archive into BERTH_DATA_DIR, for BERTH_NAMESPACE when it "
        "is set (else the archive's namespace). Then run `manage.py install` to start Berth on it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="restore over a data folder in use: stop the portal's services first and "
            "keep the current database and keys in before-restore-<time>/",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data_dir = Path(settings.DATA_DIR)
        try:
            backup.restore(
                options["archive"],
                data_dir,
                namespace=os.environ.get("BERTH_NAMESPACE") or None,
                replace=options["replace"],
                log=self.stdout.write,
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS("Restored. Start Berth on it: python manage.py install")
        )
