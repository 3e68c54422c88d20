"""Which hostnames reach an app, handed to the gateway (routing.gateway).

An app is routed once it has a healthy deployment, at ``<app>.<root domain>``
on the port that deployment runs with; internal apps are never routed. A route
the gateway refuses leaves the app's other state alone and its error is kept
on the app (``route_error``) for the portal and the API to show.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from django.conf import settings

from apps import engine
from apps.models import App
from paas import naming
from paas.transport import EngineError
from routing import appsite, gateway
from routing.routes import GatewayUnavailable, Route

log = logging.getLogger(__name__)


def primary_host(app: App) -> str:
    return f"{app.name}.{settings.BERTH_ROOT_DOMAIN}"


def url(app: App) -> str:
    if app.internal:
        return ""
    https = appsite.own_name_certificates(app.pk, primary_host(app)).exists()
    return url_of(app.name, internal=False, https=https)


def url_of(name: str, *, internal: bool, https: bool = False) -> str:
    """Where the app answers: https when its own name has a certificate being served."""
    if internal:
        return ""
    port, default, scheme = (
        (settings.BERTH_GATEWAY_HTTPS_PORT, 443, "https")
        if https
        else (settings.BERTH_GATEWAY_HTTP_PORT, 80, "http")
    )
    suffix = "" if port == default else f":{port}"
    return f"{scheme}://{name}.{settings.BERTH_ROOT_DOMAIN}{suffix}/"


def _config(app: App) -> dict[str, Any]:
    current = app.current_deployment if app.current_deployment_id else None
    return dict(current.config) if current is not None else {}


def route_for(app: App, *, config: dict[str, Any] | None = None) -> Route | None:
    """The app's route, or None when it must not be routed (internal, or never deployed).

    ``config`` is the deployment's settings (the current one's by default).
    """
    if app.current_deployment_id is None or app.deleting_at is not None:
        return None
    config = _config(app) if config is None else config
    if config.get("internal", app.internal):
        return None
    route = Route(
        name=app.name,
        hostnames=(primary_host(app),),
        service=naming.app_service(app.name),
        port=int(config.get("container_port") or app.container_port),
    )
    # Custom domains, certificates, basic auth and the snippet (routing owns them).
    return appsite.decorate(app, route)


def addresses_by_service(app_name: str | None = None) -> dict[str, tuple[str, ...]] | None:
    """Service ID -> where its running tasks answer on the apps network: the app's
    service, or every service in one engine call. Empty behind an external proxy (it
    reaches the tasks by name); None when the engine did not say."""
    if gateway.external():
        return {}
    service = naming.app_service(app_name) if app_name is not None else None
    try:
        return engine.running_addresses(naming.apps_network(), service)
    except EngineError as exc:
        log.warning("task addresses of %s: %s", service or "the apps", exc)
        return None


def apply(
    app: App,
    *,
    config: dict[str, Any] | None = None,
    addresses: tuple[str, ...] | None = None,
) -> str:
    """Apply (or remove) the app's route; returns and stores the refusal, '' when fine.

    The gateway reloads only when the file changes: a new hostname, or tasks that
    moved (``addresses``, read from the engine unless given).
    """
    route = route_for(app, config=config)
    try:
        if route is None:
            gateway.remove_route(app.name)
            error = ""
        else:
            if addresses is None:
                addresses = next(iter((addresses_by_service(app.name) or {}).values()), ())
            result = gateway.apply_route(replace(route, addresses=addresses))
            error = "" if result.ok else result.error
    except (GatewayUnavailable, EngineError) as exc:
        error = f"The gateway could not be reached: {exc}"
    if error != app.route_error:
        App.objects.filter(pk=app.pk).update(route_error=error)
        app.route_error = error
    if error:
        log.warning("route of %s: %s", app.name, error)
    return error


def refresh(app: App, config: dict[str, Any]) -> None:
    """A deployment's new tasks run (``config`` its settings): send requests to them,
    and no longer to the old ones, which swarm stops next."""
    if app.current_deployment_id is not None:
        apply(app, config=config)


def remove(app_name: str) -> None:
    try:
        gateway.remove_route(app_name)
    except (GatewayUnavailable, EngineError) as exc:
        log.warning("removing the route of %s: %s", app_name, exc)
