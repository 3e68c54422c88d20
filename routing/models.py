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


# --- custom domains and certificates -------------------------------------------------


class Domain(models.Model):
    """A hostname of an app beside ``<app>.<root domain>``; unique in the installation."""

    app = models.ForeignKey("apps.App", on_delete=models.CASCADE, related_name="domains")
    hostname = models.CharField(max_length=253, unique=True)
    # An alias redirects to the app's primary domain instead of serving the app.
    alias = models.BooleanField(default=False)
    # Keep a certificate for it (from ACME unless one was uploaded).
    https = models.BooleanField(default=True)
    force_https = models.BooleanField(default=False)
    # The domain reaches this gateway: checked by fetching the token, or skipped by an operator.
    verified = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_skipped_by = models.CharField(max_length=150, blank=True)
    verify_token = models.CharField(max_length=64)
    last_check_at = models.DateTimeField(null=True, blank=True)
    last_check_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["hostname"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hostname__regex=r"^(\*\.)?[a-z0-9.-]{1,253}$"),
                name="domain_hostname_plain",
            ),
        ]
        indexes = [models.Index(fields=["verified", "last_check_at"], name="domain_unverified")]

    def __str__(self) -> str:
        return self.hostname


class CertificateSource(models.TextChoices):
    ACME = "acme", "ACME (Let's Encrypt)"
    UPLOAD = "upload", "Uploaded"


class CertificateState(models.TextChoices):
    # Waiting for the domain's check, or for the first order.
    PENDING = "pending", "Waiting"
    ISSUING = "issuing", "Being issued"
    VALID = "valid", "Valid"
    FAILED = "failed", "Failed"


class Certificate(models.Model):
    """The certificate a domain is served with; the key is encrypted at rest."""

    domain = models.OneToOneField(Domain, on_delete=models.CASCADE, related_name="certificate")
    source = models.CharField(max_length=8, choices=CertificateSource.choices)
    state = models.CharField(
        max_length=8, choices=CertificateState.choices, default=CertificateState.PENDING
    )
    # What the gateway serves (kept while a renewal fails).
    chain_pem = models.TextField(blank=True)
    key_ciphertext = models.TextField(blank=True)
    names = models.JSONField(default=list, blank=True)
    issuer = models.CharField(max_length=200, blank=True)
    serial = models.CharField(max_length=64, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    not_after = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source__in=CertificateSource.values),
                name="certificate_source_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=CertificateState.values),
                name="certificate_state_valid",
            ),
        ]
        # The renewal beat: ACME certificates by expiry.
        indexes = [models.Index(fields=["source", "not_after"], name="certificate_renewal")]

    def __str__(self) -> str:
        return f"certificate of {self.domain.hostname}"

    @property
    def served(self) -> bool:
        return bool(self.chain_pem and self.key_ciphertext) and (
            self.not_after is None or self.not_after > timezone.now()
        )


class AppGateway(models.Model):
    """How the gateway serves one app beyond its hostnames (created on first change)."""

    app = models.OneToOneField("apps.App", on_delete=models.CASCADE, related_name="gateway")
    websocket = models.BooleanField(default=True)
    # Directives for the app's location block (routing.validation.snippet_problem).
    snippet = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"gateway options of {self.app_id}"


class BasicAuthUser(models.Model):
    """A user the gateway asks for before an app; only a crypt(3) hash is kept."""

    app = models.ForeignKey("apps.App", on_delete=models.CASCADE, related_name="basic_auth_users")
    username = models.CharField(max_length=64)
    password_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(fields=["app", "username"], name="basicauth_unique_user"),
        ]

    def __str__(self) -> str:
        return self.username


class AcmeAccount(models.Model):
    """The installation's ACME account at one directory; one key serves every directory."""

    directory = models.URLField(max_length=500, unique=True)
    email = models.CharField(max_length=254, blank=True)
    key_ciphertext = models.TextField()
    # The registration resource (JSON) the directory returned.
    registration = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.directory


class PortalCertificate(models.Model):
    """The certificate the gateway serves the portal's own hostname with (one per namespace).

    Issued from the ACME directory when ``BERTH_PORTAL_HTTPS`` is on; the key is
    encrypted at rest like a domain's. A change of the portal's hostname makes a new
    order (the row keeps the name its certificate is for).
    """

    namespace = models.CharField(max_length=40, unique=True)
    hostname = models.CharField(max_length=253)
    chain_pem = models.TextField(blank=True)
    key_ciphertext = models.TextField(blank=True)
    issuer = models.CharField(max_length=200, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    not_after = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"portal certificate of {self.namespace} ({self.hostname})"
