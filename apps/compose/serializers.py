"""API shapes of stacks. Validation beyond types is the services'; variables are never shown."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps import routes
from apps.compose.models import Stack, StackService
from apps.compose.services import variables_of


def service_row(row: StackService) -> dict[str, Any]:
    spec = row.spec or {}
    deployment = row.deployment
    app = row.app
    return {
        "service": row.service,
        "app": app.name,
        "state": row.state,
        "reason": row.reason,
        "image": spec.get("image") or app.current_image or "",
        "build": (spec.get("build") or {}).get("context"),
        "url": routes.url(app) or None,
        "domains": spec.get("domains") or [],
        "depends_on": spec.get("depends_on") or {},
        "instances": app.instances,
        "deployment": (
            {"number": deployment.number, "status": deployment.status}
            if deployment is not None
            else None
        ),
        "removed": row.removed,
        "deleting": app.deleting_at is not None,
    }


def stack_data(
    stack: Stack, services: list[StackService], *, detail: bool = False
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": stack.name,
        "team": stack.team.slug,
        "status": stack.status,
        "reason": stack.reason,
        "revision": stack.revision,
        "warnings": stack.warnings,
        "services": [service_row(row) for row in services],
        "created_at": serializers.DateTimeField().to_representation(stack.created_at),
        "updated_at": serializers.DateTimeField().to_representation(stack.updated_at),
    }
    if detail:
        data["compose"] = stack.compose
        data["variables"] = sorted(variables_of(stack))  # names only
        data["ignore_unsupported"] = stack.ignore_unsupported
    return data


@extend_schema_field(
    {"type": "object", "additionalProperties": {"type": "string"}, "example": {"TAG": "1.4"}}
)
class VariablesField(serializers.Field):  # type: ignore[type-arg]
    """An object of NAME: value, or (in a form) JSON or .env text."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and data.strip().startswith("{"):
            try:
                return json.loads(data)
            except json.JSONDecodeError as exc:
                raise serializers.ValidationError(f"Not valid JSON: {exc.msg}.") from None
        return data

    def to_representation(self, value: Any) -> Any:
        return sorted(value or {})


class StackWriteSerializer(serializers.Serializer[Any]):
    compose = serializers.CharField(required=False, trim_whitespace=False, allow_blank=True)
    variables = VariablesField(required=False)
    ignore_unsupported = serializers.BooleanField(required=False, default=False)
    # DRF removes declared fields from the class, so this does not shadow Field.source.
    source = serializers.FileField(  # type: ignore[assignment]
        required=False,
        help_text="A tar or tar.gz with compose.yaml and the build contexts (multipart).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("compose") and not attrs.get("source"):
            raise serializers.ValidationError(
                {"compose": "Give a compose file, or a tarball (source) holding one."}
            )
        return attrs


class StackCreateSerializer(StackWriteSerializer):
    name = serializers.CharField(max_length=200, trim_whitespace=False, allow_blank=True)
    team = serializers.SlugField(
        required=False, help_text="Team slug (a token's own team if omitted)."
    )


class ServiceSerializer(serializers.Serializer[Any]):
    service = serializers.CharField()
    app = serializers.CharField()
    state = serializers.CharField()
    reason = serializers.CharField()
    image = serializers.CharField()
    url = serializers.CharField(allow_null=True)


# The shape answered, for the schema only (the views answer what stack_data builds).
class StackSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    team = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    revision = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())
    services = ServiceSerializer(many=True)
    compose = serializers.CharField(required=False)
    variables = serializers.ListField(child=serializers.CharField(), required=False)
