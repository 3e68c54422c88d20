"""``manage.py upgrade``: a new portal image for the running installation, settings kept."""

from __future__ import annotations

from paas.management.commands import install


class Command(install.Command):
    help = (
        "Upgrade the installation kept in BERTH_DATA_DIR: build this checkout's image (or "
        "run --image), migrate once in a one-shot job, then roll web and worker. "
        "The settings come from the data folder's install.env."
    )
    upgrade = True
