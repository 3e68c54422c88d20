"""allauth adapter: the first account is the operator; after that, sign-up needs an invitation."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from paas import services
from paas.access import Principal

INVITE_SESSION_KEY = "berth_invite"


def _pending_invite(request: HttpRequest) -> str | None:
    secret = request.session.get(INVITE_SESSION_KEY)
    if not secret:
        return None
    try:
        services.find_open_invitation(secret)
    except ValidationError:
        return None
    return str(secret)


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        if not get_user_model().objects.exists():
            return True
        return _pending_invite(request) is not None

    @transaction.atomic
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        first = not get_user_model().objects.select_for_update().exists()
        user = super().save_user(request, user, form, commit=False)
        if first:
            user.is_staff = True
            user.is_superuser = True
        user.save()
        secret = _pending_invite(request)
        if secret is not None:
            principal = Principal(user=user, ip=request.META.get("REMOTE_ADDR"))
            services.accept_invitation(secret=secret, user=user, principal=principal)
            request.session.pop(INVITE_SESSION_KEY, None)
        return user
