"""Apps, their secrets, and their numbered deployments (the desired state of what runs)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from paas.models import Team

# A DNS label: the app's hostname is <name>.<root domain>.
APP_NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
SECRET_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"  # noqa: S105 - a name pattern
# What a secret's value is shown as: never the value, nor its length.
SECRET_MASK = "••••••••"  # noqa: S105 - a mask, not a value


# The settings of an app that a deployment runs with (recorded on each
# deployment, listed by the API).
CONFIG_FIELDS = (
    "instances",
    "container_port",
    "env",
    "health_check_path",
    "cpu_limit",
    "cpu_reservation",
    "memory_limit_mb",
    "memory_reservation_mb",
    "internal",
    "placement",
)


class App(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="apps")
    name = models.CharField(max_length=63, unique=True)
    instances = models.PositiveIntegerField(default=1)
    container_port = models.PositiveIntegerField(default=80)
    # Plain settings; values that must stay secret are AppSecrets.
    env = models.JSONField(default=dict, blank=True)
    # Empty: rely on the image's own HEALTHCHECK (if it has one).
    health_check_path = models.CharField(max_length=200, blank=True)
    cpu_limit = models.FloatField(null=True, blank=True)
    cpu_reservation = models.FloatField(null=True, blank=True)
    memory_limit_mb = models.PositiveIntegerField(null=True, blank=True)
    memory_reservation_mb = models.PositiveIntegerField(null=True, blank=True)
    # Internal apps are reachable by other apps on the network, never routed.
    internal = models.BooleanField(default=False)
    # Node label -> value the app's tasks must run on.
    placement = models.JSONField(default=dict, blank=True)
    # The last healthy deployment: what reconcile keeps running.
    current_deployment = models.ForeignKey(
        "Deployment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    current_image = models.CharField(max_length=300, blank=True)
    route_error = models.TextField(blank=True)
    last_repair = models.TextField(blank=True)
    last_repair_at = models.DateTimeField(null=True, blank=True)
    # Set while the engine objects are removed; the row (and its name) goes after.
    deleting_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(name__regex=APP_NAME_PATTERN), name="app_name_dns_label"
            ),
            models.CheckConstraint(
                condition=Q(container_port__gte=1, container_port__lte=65535),
                name="app_container_port_range",
            ),
        ]
        indexes = [models.Index(fields=["team", "name"], name="app_team_name")]

    def __str__(self) -> str:
        return self.name


class AppSecret(models.Model):
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="secrets")
    name = models.CharField(max_length=63)
    # Fernet token; the plain value is never stored, logged or shown back.
    ciphertext = models.TextField()
    # Swarm secrets are immutable: each new value is a new engine secret.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["app", "name"], name="appsecret_unique_app_name"),
            models.CheckConstraint(
                condition=Q(name__regex=SECRET_NAME_PATTERN), name="appsecret_name_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.app.name}/{self.name}"


class Source(models.TextChoices):
    IMAGE = "image", "Image"
    DEFINITION = "definition", "captain-definition"
    TARBALL = "tarball", "Tarball"
    ROLLBACK = "rollback", "Rollback"
    CONFIG = "config", "Settings change"
    GIT = "git", "Git"


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    BUILDING = "building", "Building"
    DEPLOYING = "deploying", "Deploying"
    HEALTHY = "healthy", "Healthy"
    FAILED = "failed", "Failed"
    ROLLED_BACK = "rolled_back", "Rolled back"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE = (Status.QUEUED, Status.BUILDING, Status.DEPLOYING)
RUNNING = (Status.BUILDING, Status.DEPLOYING)
FINISHED = (Status.HEALTHY, Status.FAILED, Status.ROLLED_BACK, Status.CANCELLED)


class Deployment(models.Model):
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="deployments")
    number = models.PositiveIntegerField()
    source = models.CharField(max_length=12, choices=Source.choices)
    summary = models.CharField(max_length=200, blank=True)
    # The image to run: given, built (a unique tag per deployment) or reused.
    image = models.CharField(max_length=300, blank=True)
    built = models.BooleanField(default=False)
    definition = models.TextField(blank=True)
    # The commit a git deployment built (apps.git): full SHA and message.
    commit_sha = models.CharField(max_length=64, blank=True)
    commit_message = models.TextField(blank=True)
    # The app's settings this deployment ran with (apps.desired.snapshot).
    config = models.JSONField(default=dict, blank=True)
    # Extracted build context of an upload, under the data folder.
    build_dir = models.CharField(max_length=500, blank=True)
    rollback_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    reason = models.TextField(blank=True)
    log = models.TextField(blank=True)
    log_truncated = models.BooleanField(default=False)
    cancel_requested = models.BooleanField(default=False)
    created_by = models.CharField(max_length=150, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["app", "number"], name="deployment_unique_number"),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="deployment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="deployment_source_valid"
            ),
        ]
        indexes = [
            # The reaper: running deployments by heartbeat; queued ones by age.
            models.Index(fields=["status", "heartbeat_at"], name="deployment_status_heartbeat"),
            models.Index(fields=["app", "status"], name="deployment_app_status"),
        ]

    def __str__(self) -> str:
        return f"{self.app.name} #{self.number}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED


# An app's git source and webhook deliveries live in apps.git.
from apps.git.models import GitSource, WebhookDelivery  # noqa: E402, F401

# Volumes and mounts live in apps.volumes; imported here so Django registers them.
from apps.volumes.models import Mount, Volume  # noqa: E402, F401
