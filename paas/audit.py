"""Writing audit events. Service functions call :func:`record` inside their transaction."""

from __future__ import annotations

from typing import Any

from paas.access import Principal
from paas.models import AuditEvent, Team


def record(
    principal: Principal | None,
    action: str,
    *,
    team: Team | None = None,
    target: object = "",
    target_type: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    user = None
    token = None
    ip = None
    label = "system"
    if principal is not None:
        token = principal.token
        if principal.user is not None and principal.user.is_authenticated and token is None:
            user = principal.user
        ip = principal.ip
        label = principal.label
    return AuditEvent.objects.create(
        team=team,
        actor_user=user,
        actor_token=token,
        actor_label=label[:150],
        action=action,
        target_type=target_type or (type(target).__name__.lower() if target else ""),
        target=str(target)[:200],
        data=data or {},
        ip=ip,
    )
