"""allauth adapter: the first account is the operator; after that, sign-up needs an invitation."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import HttpRequest
from django.urls import reverse

from paas import services
from paas.access import Principal, client_ip
from paas.middleware import SESSION_KEY
from paas.models import Invitation

INVITE_SESSION_KEY = "berth_invite"


def pending_invitation(request: HttpRequest) -> tuple[Invitation, str] | None:
    """The open invitation whose link this browser opened (see the invite page), if any."""
    secret = request.session.get(INVITE_SESSION_KEY)
    if not secret:
        return None
    try:
        return services.find_open_invitation(secret), str(secret)
    except ValidationError:
        return None


# Any fixed number: the key of the advisory lock sign-ups take on Postgres.
SIGN_UP_LOCK = 0x6265727468


def _one_sign_up_at_a_time() -> None:
    """Hold the sign-up lock until the transaction ends, so the first account is one.

    A row lock on an empty table locks nothing, so Postgres takes an advisory lock.
    SQLite needs none: Berth's transactions there take the write lock when they begin
    (``transaction_mode = IMMEDIATE``).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SIGN_UP_LOCK])


def is_first_account() -> bool:
    return not get_user_model().objects.exists()


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return is_first_account() or pending_invitation(request) is not None

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # Signing in with an invitation pending goes back to it, to accept it.
        pending = pending_invitation(request)
        if pending is not None:
            return reverse("invite", kwargs={"secret": pending[1]})
        return str(super().get_login_redirect_url(request))

    @transaction.atomic
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        _one_sign_up_at_a_time()
        first = not get_user_model().objects.exists()
        pending = pending_invitation(request)
        if not first and pending is None:
            # Two first sign-ups at once both passed is_open_for_signup: the later one
            # finds the operator made.
            raise PermissionDenied("Sign-up is by invitation: this Berth has its operator.")
        user = super().save_user(request, user, form, commit=False)
        if first:
            user.is_staff = True
            user.is_superuser = True
        user.save()
        if pending is not None:
            principal = Principal(user=user, ip=client_ip(request))
            membership = services.accept_invitation(
                secret=pending[1], user=user, principal=principal
            )
            request.session.pop(INVITE_SESSION_KEY, None)
            # Land in the team the invitation was for.
            request.session[SESSION_KEY] = membership.team_id
            messages.success(
                request,
                f"Welcome to {membership.team.name}: you joined as {membership.get_role_display().lower()}.",
            )
        elif first:
            messages.success(
                request, "You are the operator of this Berth. Create a team to get started."
            )
        return user
