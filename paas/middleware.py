"""Attaches the signed-in user's current team to the request (the team switcher)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from paas.models import Membership

SESSION_KEY = "berth_team_id"


def current_membership(request: HttpRequest) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("team").filter(user_id=user.pk)
    wanted = request.session.get(SESSION_KEY)
    if wanted is not None:
        chosen = memberships.filter(team_id=wanted).first()
        if chosen is not None:
            return chosen
    return memberships.order_by("created_at", "pk").first()


class CurrentTeamMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = SimpleLazyObject(lambda: current_membership(request))  # type: ignore[attr-defined]
        return self.get_response(request)
