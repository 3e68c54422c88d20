"""Reads of apps and deployments, scoped to what a principal may see.

Every view and endpoint gets its app through :func:`get_app` (404 for
outsiders, 403 below the level) and lists through :func:`apps_for`, whose
query count does not grow with the number of apps.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Concat

from apps.models import CONFIG_FIELDS, App, AppSecret, Deployment
from paas.access import Level, Principal, get_for_principal, visible
from routing import appsite


def live_apps() -> QuerySet[App]:
    return App.objects.filter(deleting_at__isnull=True)


def with_latest(queryset: QuerySet[App]) -> QuerySet[App]:
    """Annotate each app with its latest deployment's number and status (two subqueries)."""
    latest = Deployment.objects.filter(app=OuterRef("pk")).order_by("-number")
    return queryset.annotate(
        latest_number=Subquery(latest.values("number")[:1]),
        latest_status=Subquery(latest.values("status")[:1]),
    )


# A deployment's log can be a megabyte: never load it with its app.
HEAVY = ("current_deployment__log", "current_deployment__definition", "current_deployment__config")


def apps_for(principal: Principal, *, team_id: int | None = None) -> QuerySet[App]:
    queryset = (
        visible(principal, live_apps()).select_related("team", "current_deployment").defer(*HEAVY)
    )
    if team_id is not None:
        queryset = queryset.filter(team_id=team_id)
    return with_latest(queryset).order_by("name")


ROW_FIELDS = (
    "name",
    "team__slug",
    *CONFIG_FIELDS,
    "current_image",
    "current_deployment__number",
    "current_deployment__status",
    "current_deployment__image",
    "latest_number",
    "latest_status",
    "route_error",
    "last_repair",
    "last_repair_at",
    "created_at",
    "updated_at",
)


def app_rows(
    principal: Principal, *, team_slug: str | None = None
) -> QuerySet[App, dict[str, Any]]:
    """The API list as plain rows: no model instances, so a thousand apps stay cheap."""
    queryset = with_latest(visible(principal, live_apps()))
    if team_slug:
        queryset = queryset.filter(team__slug=team_slug)
    own_name = Concat(OuterRef("name"), Value(f".{settings.BERTH_ROOT_DOMAIN}"))
    queryset = queryset.annotate(
        own_https=Exists(appsite.own_name_certificates(OuterRef("pk"), own_name))
    )
    rows: QuerySet[App, dict[str, Any]] = queryset.order_by("name").values(*ROW_FIELDS, "own_https")
    return rows


def get_app(principal: Principal, name: str, level: Level = Level.READ) -> App:
    return get_for_principal(
        principal,
        live_apps().select_related("team", "current_deployment").defer(*HEAVY[:2]),
        level,
        name=name,
    )


def deployments_of(app: App) -> QuerySet[Deployment]:
    return (
        Deployment.objects.filter(app=app).defer("log", "definition", "config").order_by("-number")
    )


def get_deployment(app: App, number: int) -> Deployment:
    from django.http import Http404

    deployment = Deployment.objects.filter(app=app, number=number).select_related("app").first()
    if deployment is None:
        raise Http404
    return deployment


def secrets_of(app: App) -> QuerySet[AppSecret]:
    return AppSecret.objects.filter(app=app).defer("ciphertext").order_by("name")
