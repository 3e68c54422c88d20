"""API shapes of domains, certificates and basic-auth users (validation is the services')."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from routing import selectors
from routing.models import BasicAuthUser, Certificate, Domain
from routing.verify import PATH


class CertificateSerializer(serializers.ModelSerializer[Certificate]):
    class Meta:
        model = Certificate
        fields = [
            "source",
            "state",
            "names",
            "issuer",
            "serial",
            "fingerprint",
            "not_before",
            "not_after",
            "issued_at",
            "last_attempt_at",
            "last_error",
        ]
        read_only_fields = fields


class DomainSerializer(serializers.ModelSerializer[Domain]):
    verification = serializers.SerializerMethodField()
    certificate = serializers.SerializerMethodField()
    https_state = serializers.SerializerMethodField()

    class Meta:
        model = Domain
        fields = [
            "hostname",
            "alias",
            "https",
            "force_https",
            "verified",
            "verified_at",
            "verification",
            "https_state",
            "certificate",
            "created_at",
        ]
        read_only_fields = fields

    def get_verification(self, domain: Domain) -> dict[str, Any]:
        return {
            "path": f"{PATH}{domain.verify_token}",
            "skipped_by": domain.verification_skipped_by or None,
            "last_check_at": domain.last_check_at,
            "last_error": domain.last_check_error or None,
        }

    def get_https_state(self, domain: Domain) -> dict[str, Any]:
        view = selectors.describe_certificate(domain)
        return {
            "state": view.state,
            "label": view.label,
            "expires_in_days": view.expires_in_days,
            "detail": view.detail or None,
        }

    def get_certificate(self, domain: Domain) -> dict[str, Any] | None:
        certificate = selectors.certificate_of(domain)
        if certificate is None:
            return None
        return dict(CertificateSerializer(certificate).data)


class DomainCreateSerializer(serializers.Serializer[Any]):
    hostname = serializers.CharField(max_length=300, trim_whitespace=False)
    alias = serializers.BooleanField(required=False, default=False)
    https = serializers.BooleanField(required=False, default=True)
    force_https = serializers.BooleanField(required=False, default=False)


class DomainUpdateSerializer(serializers.Serializer[Any]):
    alias = serializers.BooleanField(required=False)
    https = serializers.BooleanField(required=False)
    force_https = serializers.BooleanField(required=False)


class CertificateUploadSerializer(serializers.Serializer[Any]):
    certificate = serializers.CharField(
        max_length=65536, trim_whitespace=False, help_text="PEM: server certificate, then chain"
    )
    key = serializers.CharField(
        max_length=65536, trim_whitespace=False, help_text="PEM private key (no passphrase)"
    )


class AuthUserSerializer(serializers.ModelSerializer[BasicAuthUser]):
    class Meta:
        model = BasicAuthUser
        fields = ["username", "created_at"]
        read_only_fields = fields


class AuthUserWriteSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=100, trim_whitespace=False)
    password = serializers.CharField(max_length=500, trim_whitespace=False, write_only=True)


class GatewayOptionsSerializer(serializers.Serializer[Any]):
    websocket = serializers.BooleanField(required=False)
    snippet = serializers.CharField(
        required=False, allow_blank=True, max_length=8000, trim_whitespace=False
    )
