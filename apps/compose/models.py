"""Stacks: a compose file deployed as Berth apps, one per service.

The stack keeps the file and its variables (encrypted: they often hold
passwords); each service row links the app it owns and the desired spec's
digest, so a redeploy rolls only what changed. Secret and config contents
live in StackFile rows (secrets encrypted), named by their digest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.models import APP_NAME_PATTERN, App, Deployment
from paas.models import ApiToken, Team

# Short enough that <stack>-<service> stays a DNS label for usual service names.
STACK_NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$"


class StackStatus(models.TextChoices):
    DEPLOYING = "deploying", "Deploying"
    HEALTHY = "healthy", "Healthy"
    FAILED = "failed", "Failed"
    DELETING = "deleting", "Deleting"


class ServiceState(models.TextChoices):
    WAITING = "waiting", "Waiting for dependencies"
    DEPLOYING = "deploying", "Deploying"
    HEALTHY = "healthy", "Healthy"
    FAILED = "failed", "Failed"
    BLOCKED = "blocked", "Blocked by a dependency"
    REMOVED = "removed", "Removed from the file"


class Stack(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="stacks")
    name = models.CharField(max_length=40, unique=True)
    compose = models.TextField()
    # Fernet token of a JSON object; never shown back.
    variables_encrypted = models.TextField(blank=True)
    ignore_unsupported = models.BooleanField(default=False)
    warnings = models.JSONField(default=list, blank=True)
    revision = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=12, choices=StackStatus.choices, default=StackStatus.DEPLOYING
    )
    reason = models.TextField(blank=True)
    # Who applied the current revision: its deployments are made in their name.
    applied_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_by_token = models.ForeignKey(
        ApiToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleting_at = models.DateTimeField(null=True, blank=True)
    delete_volumes = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(name__regex=STACK_NAME_PATTERN), name="stack_name_dns_label"
            ),
            models.CheckConstraint(
                condition=Q(status__in=StackStatus.values), name="stack_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["team", "name"], name="stack_team_name"),
            models.Index(fields=["status"], name="stack_status"),
        ]

    def __str__(self) -> str:
        return self.name


class StackService(models.Model):
    stack = models.ForeignKey(Stack, on_delete=models.CASCADE, related_name="services")
    service = models.CharField(max_length=63)
    # The app goes with its row: deleting a stack's app (here or on its page) unlinks it.
    app = models.OneToOneField(App, on_delete=models.CASCADE, related_name="stack_service")
    position = models.PositiveIntegerField(default=0)
    # The translated plan (apps.compose.translate.ServicePlan) without file contents.
    spec = models.JSONField(default=dict)
    spec_hash = models.CharField(max_length=32)
    # The digest the last requested deployment carries, and the one that became healthy.
    requested_hash = models.CharField(max_length=32, blank=True)
    deployed_hash = models.CharField(max_length=32, blank=True)
    deployment = models.ForeignKey(
        Deployment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A copy of the build context waiting for its deployment (removed by the pipeline).
    build_dir = models.CharField(max_length=500, blank=True)
    state = models.CharField(
        max_length=12, choices=ServiceState.choices, default=ServiceState.WAITING
    )
    reason = models.TextField(blank=True)
    removed = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "service"]
        constraints = [
            models.UniqueConstraint(fields=["stack", "service"], name="stackservice_unique"),
            models.CheckConstraint(
                condition=Q(service__regex=APP_NAME_PATTERN), name="stackservice_name_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stack.name}/{self.service}"


class FileKind(models.TextChoices):
    SECRET = "secret", "Secret"
    CONFIG = "config", "Config"


class StackFile(models.Model):
    """The content of a swarm secret or config, named by its digest (swarm's are immutable)."""

    stack = models.ForeignKey(Stack, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=6, choices=FileKind.choices)
    name = models.CharField(max_length=63)
    engine_name = models.CharField(max_length=64)
    # Secrets: a Fernet token. Configs: the text.
    data = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["engine_name"], name="stackfile_unique_engine_name"),
        ]

    def __str__(self) -> str:
        return f"{self.stack.name}/{self.kind}/{self.name}"
