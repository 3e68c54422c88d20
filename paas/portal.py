"""What every portal page stands on: typed requests, the team from the URL, form errors.

Team pages are decorated with :func:`team_view`. It reads the slug from the
URL, fetches the team through :mod:`paas.access` (404 for outsiders, 403 when
the member's role is below the level the method needs) and attaches the team,
the membership and the principal to the request, so no view can forget the
check. Other Django apps' portal views use it the same way::

    @team_view(read=Level.READ, write=Level.DEPLOY)
    def app_list(request: TeamRequest) -> HttpResponse: ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_htmx.middleware import HtmxDetails

from paas.access import Level, Principal, get_team, principal_for
from paas.middleware import SESSION_KEY
from paas.models import Membership, Team

SAFE_METHODS = frozenset({"GET", "HEAD"})


class PortalRequest(HttpRequest):
    """A signed-in portal request, with what the middlewares attach."""

    user: User
    # Lazy (CurrentTeamMiddleware): test it for truth, not with ``is None``.
    membership: Membership | None
    htmx: HtmxDetails


class TeamRequest(PortalRequest):
    """A request to a team page, after :func:`team_view` checked access."""

    team: Team
    membership: Membership
    principal: Principal
    level: Level


View = Callable[..., HttpResponse]


def team_view(
    *,
    read: Level = Level.READ,
    write: Level = Level.ADMIN,
    methods: Iterable[str] = ("GET", "POST"),
) -> Callable[[View], View]:
    """Check access to the team named by the URL's ``slug`` and call the view without it.

    Safe methods need ``read``; the others need ``write``. A method not in
    ``methods`` gets 405 before the team is looked up, so it reveals nothing.
    """
    allowed = set(methods)
    if "GET" in allowed:
        allowed.add("HEAD")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, **kwargs: Any) -> HttpResponse:
            typed = cast(TeamRequest, request)
            principal = principal_for(request)
            needed = read if request.method in SAFE_METHODS else write
            team = get_team(principal, needed, slug=slug)
            membership = Membership.objects.filter(team=team, user_id=typed.user.pk).first()
            if membership is None:  # left the team since the principal was read
                raise Http404
            typed.team = team
            typed.membership = membership
            typed.principal = principal
            typed.level = principal.level_in(team) or Level.READ
            # The team a person last looked at is their current team.
            if request.session.get(SESSION_KEY) != team.pk:
                request.session[SESSION_KEY] = team.pk
            return view(typed, **kwargs)

        return login_required(require_http_methods(sorted(allowed))(wrapper))

    return decorator


def apply_errors(
    form: forms.BaseForm, error: ValidationError, *, fields: Mapping[str, str] | None = None
) -> None:
    """Put a service's ``ValidationError`` onto the form, each message next to its field.

    ``fields`` renames service keys to form fields where they differ; keys the
    form does not have become errors of the whole form.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, errors in error.error_dict.items():
        name = (fields or {}).get(key, key)
        if name == NON_FIELD_ERRORS or name not in form.fields:
            form.add_error(None, [m for e in errors for m in e.messages])
        else:
            form.add_error(name, errors)


def posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST (even an empty one, so it is validated), else None."""
    return request.POST if request.method == "POST" else None


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` the request names if it stays on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def render_team(
    request: TeamRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """Render a team page with what every team template needs."""
    base = {
        "team": request.team,
        "membership": request.membership,
        "can_admin": request.level >= Level.ADMIN,
        "is_owner": request.level >= Level.OWNER,
    }
    return render(request, template, {**base, **(context or {})}, status=status)
