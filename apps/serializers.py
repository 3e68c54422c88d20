"""API shapes of apps, secrets and deployments. Validation beyond types is the services'."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps import routes
from apps.models import CONFIG_FIELDS, SECRET_MASK, App, AppSecret, Deployment
from paas.models import Team


def _when(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, as DRF writes datetimes (``...Z``), without its per-value timezone lookups."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def app_row(row: dict[str, Any]) -> dict[str, Any]:
    """An app of :func:`apps.selectors.app_rows` in the shape of :class:`AppSerializer`."""
    current = None
    if row["current_deployment__number"] is not None:
        current = {
            "number": row["current_deployment__number"],
            "status": row["current_deployment__status"],
            "image": row["current_deployment__image"],
        }
    latest = None
    if row["latest_number"] is not None:
        latest = {"number": row["latest_number"], "status": row["latest_status"]}
    return {
        "name": row["name"],
        "team": row["team__slug"],
        "url": routes.url_of(row["name"], internal=row["internal"], https=row["own_https"]) or None,
        "instances": row["instances"],
        "container_port": row["container_port"],
        "env": row["env"],
        "health_check_path": row["health_check_path"],
        "cpu_limit": row["cpu_limit"],
        "cpu_reservation": row["cpu_reservation"],
        "memory_limit_mb": row["memory_limit_mb"],
        "memory_reservation_mb": row["memory_reservation_mb"],
        "internal": row["internal"],
        "placement": row["placement"],
        "current_image": row["current_image"],
        "current_deployment": current,
        "latest_deployment": latest,
        "route_error": row["route_error"],
        "last_repair": row["last_repair"],
        "last_repair_at": _when(row["last_repair_at"]),
        "created_at": _when(row["created_at"]),
        "updated_at": _when(row["updated_at"]),
    }


class DeploymentBriefSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    status = serializers.CharField()


class AppSerializer(serializers.ModelSerializer[App]):
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    url = serializers.SerializerMethodField()
    current_deployment = serializers.SerializerMethodField()
    latest_deployment = serializers.SerializerMethodField()

    class Meta:
        model = App
        fields = [
            "name",
            "team",
            "url",
            *CONFIG_FIELDS,
            "current_image",
            "current_deployment",
            "latest_deployment",
            "route_error",
            "last_repair",
            "last_repair_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, app: App) -> str | None:
        return routes.url(app) or None

    def get_current_deployment(self, app: App) -> dict[str, Any] | None:
        current = app.current_deployment
        if current is None:
            return None
        return {"number": current.number, "status": current.status, "image": current.image}

    def get_latest_deployment(self, app: App) -> dict[str, Any] | None:
        number = getattr(app, "latest_number", None)
        if number is None:
            latest = app.deployments.order_by("-number").only("number", "status").first()
            if latest is None:
                return None
            return {"number": latest.number, "status": latest.status}
        return {"number": number, "status": getattr(app, "latest_status", "")}


@extend_schema_serializer(description="The settings a request may change; all optional.")
class AppSettingsSerializer(serializers.Serializer[Any]):
    instances = serializers.IntegerField(required=False)
    container_port = serializers.IntegerField(required=False)
    env = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    health_check_path = serializers.CharField(required=False, allow_blank=True)
    cpu_limit = serializers.FloatField(required=False, allow_null=True)
    cpu_reservation = serializers.FloatField(required=False, allow_null=True)
    memory_limit_mb = serializers.IntegerField(required=False, allow_null=True)
    memory_reservation_mb = serializers.IntegerField(required=False, allow_null=True)
    internal = serializers.BooleanField(required=False)
    placement = serializers.DictField(child=serializers.CharField(), required=False)


class AppCreateSerializer(AppSettingsSerializer):
    name = serializers.CharField(max_length=200, trim_whitespace=False, allow_blank=True)
    team = serializers.SlugField(
        required=False, help_text="Team slug (a token's own team if omitted)."
    )


class SecretSerializer(serializers.ModelSerializer[AppSecret]):
    value = serializers.SerializerMethodField(method_name="masked")

    class Meta:
        model = AppSecret
        fields = ["name", "value", "version", "updated_at"]
        read_only_fields = fields

    def masked(self, secret: AppSecret) -> str:
        return SECRET_MASK


class SecretWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    value = serializers.CharField(trim_whitespace=False, write_only=True)


class DeploymentSerializer(serializers.ModelSerializer[Deployment]):
    app = serializers.CharField(source="app.name", read_only=True)
    rollback_of = serializers.IntegerField(
        source="rollback_of.number", read_only=True, default=None
    )

    class Meta:
        model = Deployment
        fields = [
            "app",
            "number",
            "source",
            "summary",
            "image",
            "built",
            "commit_sha",
            "commit_message",
            "status",
            "reason",
            "rollback_of",
            "cancel_requested",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class DeploymentDetailSerializer(DeploymentSerializer):
    class Meta(DeploymentSerializer.Meta):
        fields = [*DeploymentSerializer.Meta.fields, "log", "log_truncated"]
        read_only_fields = fields


@extend_schema_serializer(
    description="Exactly one of: an image, a pasted captain-definition, or an uploaded tarball."
)
class DeploymentCreateSerializer(serializers.Serializer[Any]):
    image = serializers.CharField(required=False)
    definition = serializers.CharField(required=False, trim_whitespace=False)
    # DRF removes declared fields from the class, so this does not shadow Field.source.
    source = serializers.FileField(  # type: ignore[assignment]
        required=False, help_text="A tar or tar.gz (multipart)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [key for key in ("image", "definition", "source") if attrs.get(key)]
        if len(given) != 1:
            raise serializers.ValidationError(
                "Give exactly one of image, definition (a captain-definition) or source (a tarball)."
            )
        return attrs
