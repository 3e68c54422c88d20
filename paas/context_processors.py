from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from paas.models import Membership


def berth(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"root_domain": settings.BERTH_ROOT_DOMAIN}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        membership = getattr(request, "membership", None)
        context["current_membership"] = membership if membership else None
        context["my_memberships"] = Membership.objects.select_related("team").filter(
            user_id=user.pk
        )
    return context
