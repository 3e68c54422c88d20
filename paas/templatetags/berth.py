"""Template helpers: facts for allauth's pages, and small formatting filters."""

from __future__ import annotations

from typing import Any

from django import template

from paas.adapters import is_first_account, pending_invitation

register = template.Library()


@register.simple_tag(takes_context=True)
def signup_facts(context: template.Context) -> dict[str, Any]:
    """Whether this sign-up makes the operator, and the invitation it would accept."""
    request = context.get("request")
    pending = pending_invitation(request) if request is not None else None
    return {
        "first_account": is_first_account(),
        "invitation": pending[0] if pending is not None else None,
    }


@register.filter
def audit_details(data: object) -> str:
    """An audit event's data as short text: ``from developer · to viewer``."""
    if not isinstance(data, dict):
        return ""
    parts = []
    for key, value in data.items():
        if isinstance(value, bool):
            shown = "yes" if value else "no"
        elif isinstance(value, list | tuple):
            shown = ", ".join(map(str, value))
        else:
            shown = str(value)
        parts.append(f"{key.replace('_', ' ')} {shown}")
    return " · ".join(parts)
