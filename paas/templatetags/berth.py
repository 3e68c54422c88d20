"""Template helpers for pages that are not Berth's own views (allauth's)."""

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
