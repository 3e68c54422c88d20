"""Operators' view of volumes and mounts (read-only: changes go through the portal or API,
where they are checked and rolled out). Driver options are shown with credentials masked."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.volumes.models import Mount, Volume
from apps.volumes.validation import masked_options


class MountInline(admin.TabularInline[Mount, Volume]):
    model = Mount
    extra = 0
    fields = readonly_fields = ("app", "path", "read_only", "created_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Volume | None = None) -> bool:
        return False


@admin.register(Volume)
class VolumeAdmin(admin.ModelAdmin[Volume]):
    list_display = ["name", "team", "driver", "node_hostname", "node_id", "deleting_at"]
    list_filter = ["team", "driver"]
    search_fields = ["name", "engine_name", "team__name", "node_id"]
    fields = readonly_fields = (
        "team",
        "name",
        "driver",
        "options",
        "labels",
        "engine_name",
        "node_id",
        "node_hostname",
        "node_source",
        "deleting_at",
        "last_error",
        "created_by",
        "created_at",
    )
    inlines = [MountInline]

    @admin.display(description="Driver options")
    def options(self, volume: Volume) -> str:
        return ", ".join(f"{k}={v}" for k, v in masked_options(volume.driver_options).items())

    def get_queryset(self, request: HttpRequest) -> QuerySet[Volume]:
        return super().get_queryset(request).select_related("team")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # deletion is checked (in use?) and removes the engine volume: the portal
