"""API shapes of an app's git source. Credentials are write-only; the secret appears once."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.git.models import Auth, GitSource, WebhookDelivery
from apps.models import SECRET_MASK


class DeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    deployment = serializers.IntegerField(source="deployment.number", default=None)

    class Meta:
        model = WebhookDelivery
        fields = [
            "delivery_id",
            "provider",
            "event",
            "ref",
            "commit_sha",
            "outcome",
            "reason",
            "deployment",
            "received_at",
        ]
        read_only_fields = fields


class GitSourceSerializer(serializers.ModelSerializer[GitSource]):
    credential = serializers.SerializerMethodField(
        help_text="A mask when a token or key is stored; never the value."
    )
    webhook_url = serializers.SerializerMethodField()
    deliveries = serializers.SerializerMethodField()

    class Meta:
        model = GitSource
        fields = [
            "repository_url",
            "branch",
            "subfolder",
            "auth",
            "username",
            "credential",
            "public_key",
            "known_hosts",
            "webhook_url",
            "secret_made_at",
            "deliveries",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_credential(self, source: GitSource) -> str | None:
        return SECRET_MASK if source.auth != Auth.NONE and source.credential_ciphertext else None

    def get_webhook_url(self, source: GitSource) -> str:
        return str(self.context.get("webhook_url", ""))

    def get_deliveries(self, source: GitSource) -> list[dict[str, Any]]:
        rows = source.app.git_deliveries.select_related("deployment")[:10]
        return list(DeliverySerializer(rows, many=True).data)


class GitSourceWriteSerializer(serializers.Serializer[Any]):
    repository_url = serializers.CharField(max_length=1000)
    branch = serializers.CharField(max_length=1000, required=False, default="main")
    subfolder = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    username = serializers.CharField(
        max_length=200, required=False, allow_blank=True, allow_null=True, default=None
    )
    token = serializers.CharField(
        required=False, write_only=True, allow_blank=True, trim_whitespace=False
    )
    ssh_private_key = serializers.CharField(
        required=False, write_only=True, allow_blank=True, trim_whitespace=False
    )
    generate_key = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Make an SSH deploy key; its public half is returned.",
    )
    clear_credentials = serializers.BooleanField(required=False, default=False)
    known_hosts = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=None, trim_whitespace=False
    )


class WebhookSecretSerializer(serializers.Serializer[Any]):
    webhook_url = serializers.CharField()
    webhook_secret = serializers.CharField(help_text="Shown this once; Berth keeps it encrypted.")


class GitDeploySerializer(serializers.Serializer[Any]):
    commit = serializers.CharField(
        required=False, allow_blank=True, help_text="A full SHA; the branch's tip if omitted."
    )
