"""Operators' view of apps and deployments. Secret values never appear here."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.models import App, AppSecret, Deployment


class AppSecretInline(admin.TabularInline[AppSecret, App]):
    model = AppSecret
    extra = 0
    fields = ["name", "version", "updated_at"]
    readonly_fields = ["name", "version", "updated_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: App | None = None) -> bool:
        return False  # set through the portal or API, where the value is encrypted


@admin.register(App)
class AppAdmin(admin.ModelAdmin[App]):
    list_display = ["name", "team", "instances", "current_image", "route_error", "deleting_at"]
    list_filter = ["team", "internal"]
    search_fields = ["name", "team__name", "current_image"]
    readonly_fields = [
        "current_deployment",
        "current_image",
        "route_error",
        "last_repair",
        "last_repair_at",
        "deleting_at",
        "created_at",
        "updated_at",
    ]
    inlines = [AppSecretInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[App]:
        return super().get_queryset(request).select_related("team")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Changes go through the portal or API so they are validated, audited and deployed.
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin[Deployment]):
    list_display = [
        "__str__",
        "status",
        "source",
        "image",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "source"]
    search_fields = ["app__name", "image", "created_by"]
    date_hierarchy = "created_at"
    exclude = ["config"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Deployment]:
        return super().get_queryset(request).select_related("app")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# Volumes and git sources register their own admin.
from apps.git import admin as git_admin  # noqa: E402, F401
from apps.volumes import admin as volumes_admin  # noqa: E402, F401
