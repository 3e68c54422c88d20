"""Recording the gateway's state where operators look (the gateway page, the admin)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from routing.models import GatewayState


def current() -> GatewayState | None:
    return GatewayState.objects.filter(namespace=settings.BERTH_NAMESPACE).first()


def _update(**fields: Any) -> None:
    fields["updated_at"] = timezone.now()
    GatewayState.objects.update_or_create(namespace=settings.BERTH_NAMESPACE, defaults=fields)


def record_bootstrap(**fields: Any) -> None:
    _update(bootstrapped_at=timezone.now(), **fields)


def record_reload(*, routes: int) -> None:
    _update(last_reload_at=timezone.now(), routes=routes)


def record_error(message: str) -> None:
    _update(last_error=message[:4000], last_error_at=timezone.now())


def record_routes(routes: int) -> None:
    _update(routes=routes)
