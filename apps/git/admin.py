"""Operators' view of apps' git sources and webhook deliveries, read-only.

Credentials and the webhook secret are encrypted and never shown; changes go through
the portal or the API, which validate, encrypt and audit them.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.git.models import GitSource, WebhookDelivery


class ReadOnly:
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(GitSource)
class GitSourceAdmin(ReadOnly, admin.ModelAdmin[GitSource]):
    list_display = ["app", "repository_url", "branch", "auth", "updated_at"]
    list_filter = ["auth"]
    search_fields = ["app__name", "repository_url"]
    exclude = ["credential_ciphertext", "webhook_secret_ciphertext"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[GitSource]:
        return super().get_queryset(request).select_related("app")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly, admin.ModelAdmin[WebhookDelivery]):
    list_display = ["app", "provider", "event", "ref", "outcome", "received_at"]
    list_filter = ["outcome", "provider"]
    search_fields = ["app__name", "ref", "commit_sha", "delivery_id"]
    date_hierarchy = "received_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        return super().get_queryset(request).select_related("app")
