"""The swarm's nodes as Berth last saw them, how Berth reaches them, and operations on them.

Node rows follow the swarm (synced every minute and after each operation);
the access fields (engine address, SSH login) are Berth's own and survive a
sync. Secrets (TLS keys, SSH keys and passwords) are stored Fernet-encrypted.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class NodeRole(models.TextChoices):
    MANAGER = "manager", "Manager"
    WORKER = "worker", "Worker"


class Availability(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSE = "pause", "Paused"
    DRAIN = "drain", "Drained"


class NodeState(models.TextChoices):
    READY = "ready", "Ready"
    DOWN = "down", "Down"
    DISCONNECTED = "disconnected", "Disconnected"
    UNKNOWN = "unknown", "Unknown"


class Node(models.Model):
    node_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    role = models.CharField(max_length=10, choices=NodeRole.choices)
    availability = models.CharField(max_length=10, choices=Availability.choices)
    state = models.CharField(max_length=14, choices=NodeState.choices)
    leader = models.BooleanField(default=False)
    address = models.CharField(max_length=100, blank=True)
    engine_version = models.CharField(max_length=40, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    cpus = models.FloatField(default=0)
    memory_bytes = models.BigIntegerField(default=0)
    synced_at = models.DateTimeField(default=timezone.now)
    # Berth's running tasks here: [{"service", "app", "state"}] (from the last sync).
    berth_tasks = models.JSONField(default=list, blank=True)
    # Tasks the engine could not start for want of an image, in words (from the last sync).
    image_problem = models.TextField(blank=True)
    # The node's own engine, for copying images and leaving the swarm: tcp://host:2376 or unix://.
    engine_url = models.CharField(max_length=300, blank=True)
    engine_tls_ca = models.TextField(blank=True)
    engine_tls_cert = models.TextField(blank=True)
    engine_tls_key_encrypted = models.TextField(blank=True)
    # SSH login remembered when the node was added over SSH (credentials encrypted).
    ssh_host = models.CharField(max_length=255, blank=True)
    ssh_port = models.PositiveIntegerField(default=22)
    ssh_user = models.CharField(max_length=100, blank=True)
    ssh_credentials_encrypted = models.TextField(blank=True)

    class Meta:
        ordering = ["-role", "hostname", "node_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=NodeRole.values), name="node_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(availability__in=Availability.values),
                name="node_availability_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=NodeState.values), name="node_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hostname} ({self.node_id[:12]}, {self.role})"

    @property
    def memory_gib(self) -> float:
        return round(self.memory_bytes / 2**30, 1)


class SshHostKey(models.Model):
    """A host key pinned on first use: later connections must present the same key."""

    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=22)
    key_type = models.CharField(max_length=40)
    key_base64 = models.TextField()
    fingerprint = models.CharField(max_length=100)
    pinned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["host", "port"]
        constraints = [
            models.UniqueConstraint(fields=["host", "port"], name="sshhostkey_unique_host_port")
        ]

    def __str__(self) -> str:
        return f"{self.host}:{self.port} {self.fingerprint}"


class OperationKind(models.TextChoices):
    JOIN_SSH = "join_ssh", "Join over SSH"
    JOIN_ENGINE = "join_engine", "Join through the engine API"
    DRAIN = "drain", "Drain"
    REMOVE = "remove", "Remove"


class OperationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


OPERATION_ACTIVE = (OperationStatus.QUEUED, OperationStatus.RUNNING)


class NodeOperation(models.Model):
    """A long node operation run by the worker; its log is shown live on the node page."""

    kind = models.CharField(max_length=12, choices=OperationKind.choices)
    node = models.ForeignKey(
        Node, null=True, blank=True, on_delete=models.SET_NULL, related_name="operations"
    )
    # The swarm node id, kept after the row of a removed node is gone.
    node_ref = models.CharField(max_length=64, blank=True)
    # What the operator asked for, without secrets (address, user, role, engine url...).
    params = models.JSONField(default=dict, blank=True)
    # Credentials the worker needs (encrypted); erased when the operation ends.
    secret_encrypted = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=OperationStatus.choices, default=OperationStatus.QUEUED
    )
    log = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=OperationKind.values), name="nodeoperation_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=OperationStatus.values),
                name="nodeoperation_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["node", "status"], name="nodeoperation_node_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in OPERATION_ACTIVE

    @property
    def target(self) -> str:
        return str(self.params.get("address") or self.params.get("engine_url") or self.node_ref)


class RegistryMode(models.TextChoices):
    NONE = "none", "No registry: copy images to each node's engine"
    HOSTED = "hosted", "Self-hosted registry (a swarm service)"
    EXTERNAL = "external", "External registry"


class ImageRegistry(models.Model):
    """Where nodes get the images Berth deploys (one row, pk 1)."""

    mode = models.CharField(max_length=10, choices=RegistryMode.choices, default=RegistryMode.NONE)
    # External: host[:port][/prefix]; hosted: 127.0.0.1:<port> (every node runs a listener there).
    server = models.CharField(max_length=255, blank=True)
    username = models.CharField(max_length=100, blank=True)
    password_encrypted = models.TextField(blank=True)
    state = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mode__in=RegistryMode.values), name="imageregistry_mode_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.server}".strip()
