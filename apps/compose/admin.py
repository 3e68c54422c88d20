"""Operators' view of stacks. Variables and secret contents never appear here."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from apps.compose.models import Stack, StackService

SERVICE_FIELDS: tuple[str, ...] = ("service", "app", "state", "reason", "deployment", "removed")
STACK_FIELDS: tuple[str, ...] = (
    "name",
    "team",
    "status",
    "reason",
    "revision",
    "warnings",
    "compose",
    "ignore_unsupported",
    "applied_by_user",
    "applied_by_token",
    "created_at",
    "updated_at",
    "deleting_at",
)


class StackServiceInline(admin.TabularInline[StackService, Stack]):
    model = StackService
    extra = 0
    fields = SERVICE_FIELDS
    readonly_fields = SERVICE_FIELDS
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Stack | None = None) -> bool:
        return False  # stacks change through a compose file, in the portal or the API


@admin.register(Stack)
class StackAdmin(admin.ModelAdmin[Stack]):
    list_display = ["name", "team", "status", "revision", "updated_at", "deleting_at"]
    list_filter = ["status", "team"]
    search_fields = ["name", "team__name"]
    fields = STACK_FIELDS
    readonly_fields = STACK_FIELDS
    inlines = [StackServiceInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Stack | None = None) -> bool:
        return False
