"""An app's git source (repository, branch, folder, credentials, webhook) and its deliveries.

Credentials and the webhook secret are Fernet-encrypted (paas.crypto) and never
shown back: the token or key is write-only, the secret is shown once when made.
The webhook URL carries a random id, so it names the app without being guessable.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class Auth(models.TextChoices):
    NONE = "none", "None (public repository)"
    TOKEN = "token", "HTTPS token"
    SSH_KEY = "ssh_key", "SSH deploy key"


class GitSource(models.Model):
    app = models.OneToOneField("apps.App", on_delete=models.CASCADE, related_name="git_source")
    repository_url = models.CharField(max_length=500)
    branch = models.CharField(max_length=200, default="main")
    # A folder of the repository holding the Dockerfile or captain-definition.
    subfolder = models.CharField(max_length=500, blank=True)
    auth = models.CharField(max_length=10, choices=Auth.choices, default=Auth.NONE)
    # HTTPS only: sent with the token (providers accept any name with a token).
    username = models.CharField(max_length=100, blank=True)
    # The token or private key, encrypted; empty with no credentials.
    credential_ciphertext = models.TextField(blank=True)
    # The deploy key's public half (OpenSSH line), to add on the git host; not secret.
    public_key = models.TextField(blank=True)
    # Host keys of SSH remotes, pinned on first use (or given); public, so shown.
    known_hosts = models.TextField(blank=True)
    hook_id = models.CharField(max_length=40, unique=True)
    webhook_secret_ciphertext = models.TextField()
    secret_made_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(auth__in=Auth.values), name="gitsource_auth_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.repository_url}#{self.branch}"


class Outcome(models.TextChoices):
    DEPLOYED = "deployed", "Deployed"
    IGNORED = "ignored", "Ignored"
    DUPLICATE = "duplicate", "Duplicate"


class WebhookDelivery(models.Model):
    """A signed delivery and what came of it; refused ones are only in the audit log."""

    app = models.ForeignKey("apps.App", on_delete=models.CASCADE, related_name="git_deliveries")
    # The provider's delivery id (X-GitHub-Delivery, X-Gitea-Delivery, X-Gitlab-Event-UUID).
    delivery_id = models.CharField(max_length=100, blank=True)
    provider = models.CharField(max_length=10)
    event = models.CharField(max_length=40)
    ref = models.CharField(max_length=250, blank=True)
    commit_sha = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=300, blank=True)
    deployment = models.ForeignKey(
        "apps.Deployment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["app", "delivery_id"],
                condition=~Q(delivery_id=""),
                name="webhookdelivery_unique_delivery",
            ),
        ]
        indexes = [models.Index(fields=["app", "-received_at"], name="webhookdelivery_recent")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event} {self.delivery_id}"
