from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from paas.models import Membership, Role


def berth(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"root_domain": settings.BERTH_ROOT_DOMAIN}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        membership = getattr(request, "membership", None)
        current = membership if membership else None
        context["current_membership"] = current
        context["current_is_admin"] = current is not None and current.role in (
            Role.OWNER,
            Role.ADMIN,
        )
        context["my_memberships"] = Membership.objects.select_related("team").filter(
            user_id=user.pk
        )
    return context
