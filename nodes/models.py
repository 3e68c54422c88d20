"""The swarm's nodes as Berth last saw them (synced from the engine every minute)."""

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
