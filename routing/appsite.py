"""An app's route with its custom domains, certificates, basic auth and snippet.

``apps.routes.route_for`` builds the base route (``<app>.<root>`` to the app's
service) and passes it through :func:`decorate`, so every deploy, reconcile
and domain change renders the same file from the database.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from paas import crypto
from routing.models import AppGateway, BasicAuthUser, Certificate, Domain
from routing.routes import Host, Route, TlsPair

if TYPE_CHECKING:
    from apps.models import App

log = logging.getLogger(__name__)


def tls_pair(certificate: Certificate) -> TlsPair | None:
    """The pair the gateway serves for a certificate, None when there is none to serve."""
    if not certificate.served:
        return None
    try:
        key_pem = crypto.decrypt(certificate.key_ciphertext)
    except crypto.SecretUnreadable as exc:
        log.warning("certificate of %s: %s", certificate.domain_id, exc)
        return None
    return TlsPair(chain_pem=certificate.chain_pem, key_pem=key_pem)


def own_name_certificates(app: Any, hostname: Any) -> QuerySet[Certificate]:
    """Certificates served for an app's own name (added as a domain for HTTPS).

    ``app`` and ``hostname`` are values or expressions (``OuterRef``), so a list of
    apps asks in the same query.
    """
    return Certificate.objects.filter(
        domain__app=app,
        domain__hostname=hostname,
        domain__https=True,
        not_after__gt=timezone.now(),
    ).exclude(chain_pem="")


def primary_hostname(app: App, default: str) -> str:
    """Where aliases redirect: the app's first verified custom domain that is no alias."""
    first = (
        Domain.objects.filter(app=app, verified=True, alias=False)
        .exclude(hostname__startswith="*.")
        .order_by("created_at", "pk")
        .values_list("hostname", flat=True)
        .first()
    )
    return first or default


def decorate(app: App, route: Route) -> Route:
    """``route`` plus the app's verified domains and its gateway options."""
    default = route.hostnames[0]
    primary = primary_hostname(app, default)
    names = list(route.hostnames)
    hosts: list[Host] = []
    domains = Domain.objects.filter(app=app, verified=True).order_by("created_at", "pk")
    certificates = {
        c.domain_id: c for c in Certificate.objects.filter(domain__in=domains).exclude(chain_pem="")
    }
    for domain in domains:
        certificate = certificates.get(domain.pk)
        pair = tls_pair(certificate) if certificate is not None and domain.https else None
        if domain.hostname == default:
            # The app's own name, added for a certificate of its own.
            hosts.append(Host(name=default, tls=pair, force_https=domain.force_https))
            continue
        if domain.hostname in names:
            continue
        names.append(domain.hostname)
        hosts.append(
            Host(
                name=domain.hostname,
                tls=pair,
                force_https=domain.force_https,
                redirect_to=primary if domain.alias and domain.hostname != primary else None,
            )
        )
    options = AppGateway.objects.filter(app=app).first()
    users = tuple(
        BasicAuthUser.objects.filter(app=app)
        .order_by("username")
        .values_list("username", "password_hash")
    )
    return replace(
        route,
        hostnames=tuple(names),
        hosts=tuple(hosts),
        websocket=options.websocket if options is not None else route.websocket,
        snippet=options.snippet if options is not None else "",
        trusted=bool(app.team.trusted),
        basic_auth=users,
    )
