"""What Berth knows about its gateway (one row per namespace)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class GatewayMode(models.TextChoices):
    NGINX = "nginx", "nginx service run by Berth"
    EXTERNAL = "external", "files for an external proxy"


class GatewayState(models.Model):
    namespace = models.CharField(max_length=40, unique=True)
    mode = models.CharField(max_length=10, choices=GatewayMode.choices, default=GatewayMode.NGINX)
    service_name = models.CharField(max_length=63, blank=True)
    service_id = models.CharField(max_length=64, blank=True)
    image = models.CharField(max_length=200, blank=True)
    node_id = models.CharField(max_length=64, blank=True)
    http_port = models.PositiveIntegerField(null=True, blank=True)
    https_port = models.PositiveIntegerField(null=True, blank=True)
    network = models.CharField(max_length=63, blank=True)
    subnet = models.CharField(max_length=43, blank=True)
    folder = models.CharField(max_length=500, blank=True)
    routes = models.PositiveIntegerField(default=0)
    bootstrapped_at = models.DateTimeField(null=True, blank=True)
    last_reload_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["namespace"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mode__in=GatewayMode.values), name="gatewaystate_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"gateway of {self.namespace} ({self.mode})"
