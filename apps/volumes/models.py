"""Volumes (a team's named storage) and mounts (a volume or a host path inside an app).

Volume names are unique per team, not per installation: every team can have
its own ``data``, and a name never tells another team that a volume exists.
The engine name is fixed when the volume is made (namespace, team id, name
and a random suffix), so renaming a team never detaches its data, and a
leftover engine volume of a deleted row never resurfaces under a new one.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from paas.fields import EncryptedJSONField
from paas.models import Team

VOLUME_NAME_PATTERN = r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$"
LOCAL = "local"
# Local-driver types whose data is not on the node's disk: they pin nothing.
NETWORK_TYPES = frozenset({"nfs", "nfs4", "cifs", "smb3"})
MEMORY_TYPES = frozenset({"tmpfs", "ramfs"})


class NodeSource(models.TextChoices):
    NONE = "", "Not placed yet"
    FIRST_USE = "first_use", "Where it was first used"
    CHOSEN = "chosen", "Chosen"


class Volume(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="volumes")
    name = models.CharField(max_length=63)
    driver = models.CharField(max_length=128, default=LOCAL)
    # Passed to the driver as given (e.g. local: type, o, device); fixed once made.
    # Encrypted at rest: options may hold credentials (cifs: password=...).
    driver_options = EncryptedJSONField(default=dict, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    engine_name = models.CharField(max_length=63, unique=True)
    # The swarm node holding a volume whose data is on a node's disk.
    node_id = models.CharField(max_length=64, blank=True)
    node_hostname = models.CharField(max_length=255, blank=True)
    node_source = models.CharField(
        max_length=10, choices=NodeSource.choices, default=NodeSource.NONE, blank=True
    )
    # Set while the engine volume is removed; the row (and its name) goes after.
    deleting_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "apps"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="volume_unique_team_name"),
            models.CheckConstraint(
                condition=Q(name__regex=VOLUME_NAME_PATTERN), name="volume_name_valid"
            ),
            models.CheckConstraint(
                condition=Q(node_source__in=NodeSource.values), name="volume_node_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def fs_type(self) -> str:
        return str((self.driver_options or {}).get("type", "")) if self.driver == LOCAL else ""

    @property
    def on_node(self) -> bool:
        """The data lives on one node's disk: apps using it run there, one writer at a time."""
        return self.driver == LOCAL and self.fs_type not in NETWORK_TYPES | MEMORY_TYPES


class Mount(models.Model):
    """A volume (or, for trusted teams, a host path) at ``path`` inside an app's tasks."""

    app = models.ForeignKey("apps.App", on_delete=models.CASCADE, related_name="mounts")
    volume = models.ForeignKey(
        Volume, null=True, blank=True, on_delete=models.PROTECT, related_name="mounts"
    )
    host_path = models.CharField(max_length=500, blank=True)
    path = models.CharField(max_length=255)
    read_only = models.BooleanField(default=False)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "apps"
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["app", "path"], name="mount_unique_app_path"),
            models.CheckConstraint(
                condition=(Q(volume__isnull=False) & Q(host_path=""))
                | (Q(volume__isnull=True) & ~Q(host_path="")),
                name="mount_volume_or_host_path",
            ),
        ]

    def __str__(self) -> str:
        source = self.volume.name if self.volume_id and self.volume else self.host_path
        return f"{source} at {self.path}"
