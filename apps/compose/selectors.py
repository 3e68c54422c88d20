"""Reads of stacks, scoped to what a principal may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.compose.models import Stack, StackService
from paas.access import Level, Principal, get_for_principal, visible


def compose_of(app_id: int) -> dict[str, Any] | None:
    """The extra spec of an app a stack owns (None for a plain app)."""
    spec = StackService.objects.filter(app_id=app_id).values_list("spec", flat=True).first()
    if spec is None:
        return None
    compose = spec.get("compose")
    return dict(compose) if isinstance(compose, dict) else None


def live_stacks() -> QuerySet[Stack]:
    return Stack.objects.filter(deleting_at__isnull=True)


def stacks_for(principal: Principal, *, team_slug: str | None = None) -> QuerySet[Stack]:
    queryset = visible(principal, live_stacks()).select_related("team")
    if team_slug:
        queryset = queryset.filter(team__slug=team_slug)
    return queryset.order_by("name")


def get_stack(principal: Principal, name: str, level: Level = Level.READ) -> Stack:
    return get_for_principal(principal, live_stacks().select_related("team"), level, name=name)


def services_of(stack: Stack) -> list[StackService]:
    return list(
        stack.services.select_related("app", "deployment").defer(
            "deployment__log", "deployment__config", "deployment__definition"
        )
    )
